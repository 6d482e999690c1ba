"""Evaluating condition expressions against what is known about the login.

Facts that cost a query (the user's roles and groups, their active sessions) are fetched only
when a test asks for them, at most once per evaluation (:func:`evaluate` memoizes them, whatever
the caller passes). ``and``/``or`` stop at the first item that decides. A test about the user is
false while no user is known, and a ``risk`` test is false while no risk score has been set (the
fraud-detection connector sets one); conditions therefore fail closed towards the ``else``
branch (unless negated with ``not``).

Semantics of the tests that need more than a lookup:

- ``network in [...]``: the client address in any of the networks; an IPv4-mapped IPv6
  address (``::ffff:10.0.0.1``) counts as its IPv4 address; no address: false.
- ``time within {...}``: the local time in ``tz`` is in ``[from, to)`` on one of ``days``. A
  window across midnight (``from 22:00 to 06:00``) belongs to the day it starts on: with
  ``days ["fri"]`` it covers Friday 22:00 to Saturday 06:00.
- ``claim``: a claim is compared as text (``true``/``false`` for booleans, numbers as JSON
  writes them); a list-valued claim matches ``eq``/``in`` when one of its values does, and ``ne``
  when none equals. A claim that is missing, ``null``, ``""`` or ``[]`` is not ``present``,
  never ``eq``/``in``, always ``ne``.
- ``sessions``: the user's other active sessions (not counting this login).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from identra.flows.document import DAYS, All, Any_, Expr, Not, Test
from identra.flows.ports import UserFacts


@dataclass
class Facts:
    now: int
    client_id: str
    acr_values: tuple[str, ...]
    ip: str | None
    amr: tuple[str, ...]
    risk: float | None
    user: Callable[[], Awaitable[UserFacts | None]]
    session_count: Callable[[], Awaitable[int]]


def _compare(op: str, left: float, right: float) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "==": left == right,
    }[op]


def _names(op: str, have: set[str] | frozenset[str], wanted: tuple[str, ...]) -> bool:
    if op == "all":
        return all(w in have for w in wanted)
    return any(w in have for w in wanted)


def _in_network(ip: str | None, cidrs: tuple[str, ...]) -> bool:
    if ip is None:
        return False
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == network.version and address in network:
            return True
    return False


def in_window(now: int, window: dict[str, Any]) -> bool:
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(window["tz"]))
    minutes = local.hour * 60 + local.minute
    start = int(window["from"][:2]) * 60 + int(window["from"][3:])
    end = int(window["to"][:2]) * 60 + int(window["to"][3:])
    today = DAYS[local.weekday()]
    if start < end:
        return today in window["days"] and start <= minutes < end
    # Across midnight (22:00-06:00): the hours after midnight belong to the day before.
    if minutes >= start:
        return today in window["days"]
    yesterday = DAYS[(local.date() - timedelta(days=1)).weekday()]
    return minutes < end and yesterday in window["days"]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)  # true, false, 3, 2.5
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _claim(test: Test, claims: dict[str, Any]) -> bool:
    value = claims.get(test.claim or "")
    present = value is not None and value != "" and value != []
    if test.op == "present":
        return present
    if not present:
        return test.op == "ne"
    texts = [_as_text(v) for v in value] if isinstance(value, list | tuple) else [_as_text(value)]
    if test.op == "in":
        return any(text in test.value for text in texts)
    if test.op == "ne":
        return all(text != test.value for text in texts)
    return any(text == test.value for text in texts)


class _Memo:
    """Calls each costly fact at most once."""

    def __init__(self, facts: Facts) -> None:
        self._facts = facts
        self._user: tuple[UserFacts | None] | None = None
        self._sessions: int | None = None

    async def user(self) -> UserFacts | None:
        if self._user is None:
            self._user = (await self._facts.user(),)
        return self._user[0]

    async def session_count(self) -> int:
        if self._sessions is None:
            self._sessions = await self._facts.session_count()
        return self._sessions


async def evaluate(expr: Expr, facts: Facts) -> bool:
    """Whether ``expr`` holds. The user's facts and session count are fetched only if a test
    needs them, at most once each."""
    memo = _Memo(facts)
    cached = Facts(
        now=facts.now,
        client_id=facts.client_id,
        acr_values=facts.acr_values,
        ip=facts.ip,
        amr=facts.amr,
        risk=facts.risk,
        user=memo.user,
        session_count=memo.session_count,
    )
    return await _evaluate(expr, cached)


async def _evaluate(expr: Expr, facts: Facts) -> bool:
    if isinstance(expr, All):
        for item in expr.items:
            if not await _evaluate(item, facts):
                return False
        return True
    if isinstance(expr, Any_):
        for item in expr.items:
            if await _evaluate(item, facts):
                return True
        return False
    if isinstance(expr, Not):
        return not await _evaluate(expr.item, facts)
    return await _test(expr, facts)


async def _test(test: Test, facts: Facts) -> bool:
    kind = test.kind
    if kind == "application":
        return facts.client_id in test.value
    if kind == "acr":
        return any(a in test.value for a in facts.acr_values)
    if kind == "network":
        return _in_network(facts.ip, test.value)
    if kind == "time":
        return in_window(facts.now, test.value)
    if kind == "amr":
        return _names(test.op, set(facts.amr), test.value)
    if kind == "risk":
        return facts.risk is not None and _compare(test.op, facts.risk, test.value)
    if kind == "sessions":
        user = await facts.user()
        return user is not None and _compare(test.op, await facts.session_count(), test.value)
    user = await facts.user()
    if user is None:
        return False
    if kind == "role":
        return _names(test.op, user.roles, test.value)
    if kind == "group":
        return _names(test.op, user.groups, test.value)
    if kind == "user_store":
        return user.store in test.value
    if kind == "enrolled":
        return _names("any", user.enrolled, test.value)
    if kind == "claim":
        return _claim(test, dict(user.claims))
    raise ValueError(f"unknown test {kind!r}")  # parse() admits only known tests
