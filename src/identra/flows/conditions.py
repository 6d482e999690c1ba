"""Evaluating condition expressions against what is known about the login.

Facts that cost a query (the user's roles and groups, their active sessions) are fetched only
when a test asks for them, once per evaluation. A test about the user is false while no user
is known, and a ``risk`` test is false while no risk score has been set (the fraud-detection
connector sets one); conditions therefore fail closed towards the ``else`` branch.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == network.version and address in network:
            return True
    return False


def in_window(now: int, window: dict[str, Any]) -> bool:
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(window["tz"]))
    if DAYS[local.weekday()] not in window["days"]:
        return False
    minutes = local.hour * 60 + local.minute
    start = int(window["from"][:2]) * 60 + int(window["from"][3:])
    end = int(window["to"][:2]) * 60 + int(window["to"][3:])
    if start < end:
        return start <= minutes < end
    return minutes >= start or minutes < end  # a window across midnight (22:00-06:00)


def _claim(test: Test, claims: dict[str, Any]) -> bool:
    value = claims.get(test.claim or "")
    present = value is not None and value != "" and value != []
    if test.op == "present":
        return present
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if test.op == "in":
        return present and text in test.value
    if test.op == "ne":
        return not present or text != test.value
    return present and text == test.value


async def evaluate(expr: Expr, facts: Facts) -> bool:
    if isinstance(expr, All):
        for item in expr.items:
            if not await evaluate(item, facts):
                return False
        return True
    if isinstance(expr, Any_):
        for item in expr.items:
            if await evaluate(item, facts):
                return True
        return False
    if isinstance(expr, Not):
        return not await evaluate(expr.item, facts)
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
