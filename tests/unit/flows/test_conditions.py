"""Evaluating conditions with hand-built facts: every test kind, the edge cases (no user, no
risk score, wrong IP family, windows across midnight and DST), and lazy fetching of the
costly facts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from identra.flows.conditions import Facts, evaluate, in_window
from identra.flows.document import SCHEMA, Expr, parse
from identra.flows.ports import UserFacts
from identra.flows.text import parse_expr

ANN = UserFacts(
    user_id="u1",
    username="ann",
    status="active",
    store="PRIMARY",
    roles=frozenset({"manager", "staff"}),
    groups=frozenset({"Sales", "EMEA"}),
    claims={
        "department": "sales",
        "email_verified": True,
        "admin": False,
        "level": 3,
        "ratio": 2.5,
        "langs": ["fr", "en"],
        "blank": "",
        "nothing": None,
        "none_yet": [],
    },
    enrolled=frozenset({"totp", "backup_codes"}),
)
MONDAY_NOON = int(datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp())


class Lookups:
    """The costly facts, counting how often they are asked for."""

    def __init__(self, user: UserFacts | None = ANN, sessions: int = 2) -> None:
        self._user = user
        self._sessions = sessions
        self.user_calls = 0
        self.session_calls = 0

    async def user(self) -> UserFacts | None:
        self.user_calls += 1
        return self._user

    async def session_count(self) -> int:
        self.session_calls += 1
        return self._sessions


def make_facts(lookups: Lookups | None = None, **changes: Any) -> Facts:
    lookups = lookups or Lookups()
    values: dict[str, Any] = {
        "now": MONDAY_NOON,
        "client_id": "portal",
        "acr_values": ("urn:example:silver", "urn:example:gold"),
        "ip": "10.1.2.3",
        "amr": ("pwd", "otp"),
        "risk": None,
        "user": lookups.user,
        "session_count": lookups.session_count,
    }
    values.update(changes)
    return Facts(**values)


def expr(source: str) -> Expr:
    """A validated expression from its text form."""
    raw = {
        "schema": SCHEMA,
        "name": "t",
        "start": "c",
        "nodes": [
            {"id": "c", "type": "condition", "if": parse_expr(source), "then": "z", "else": "z"},
            {"id": "z", "type": "allow"},
        ],
    }
    condition = parse(raw).node("c").condition
    assert condition is not None
    return condition


async def holds(source: str, facts: Facts | None = None) -> bool:
    return await evaluate(expr(source), facts or make_facts())


CASES: list[tuple[str, bool]] = [
    # roles and groups
    ('role any ["manager"]', True),
    ('role any ["admin", "staff"]', True),
    ('role any ["admin"]', False),
    ('role all ["manager", "staff"]', True),
    ('role all ["manager", "admin"]', False),
    ('role any ["Manager"]', False),  # names are exact
    ('group any ["Sales"]', True),
    ('group all ["Sales", "EMEA"]', True),
    ('group all ["Sales", "APAC"]', False),
    # user store
    ('user_store in ["PRIMARY"]', True),
    ('user_store in ["CORP-LDAP", "PRIMARY"]', True),
    ('user_store in ["CORP-LDAP"]', False),
    # claims
    ('claim "department" eq "sales"', True),
    ('claim "department" eq "Sales"', False),
    ('claim "department" ne "sales"', False),
    ('claim "department" ne "it"', True),
    ('claim "department" in ["it", "sales"]', True),
    ('claim "department" in ["it"]', False),
    ('claim "department" present', True),
    ('claim "email_verified" eq "true"', True),
    ('claim "email_verified" eq "True"', False),
    ('claim "email_verified" ne "false"', True),
    ('claim "admin" eq "false"', True),
    ('claim "admin" present', True),  # false is a value
    ('claim "admin" in ["true"]', False),
    ('claim "level" eq "3"', True),
    ('claim "level" in ["1", "2", "3"]', True),
    ('claim "ratio" eq "2.5"', True),
    ('claim "langs" eq "en"', True),  # a list matches when one of its values does
    ('claim "langs" in ["de", "fr"]', True),
    ('claim "langs" in ["de"]', False),
    ('claim "langs" ne "en"', False),
    ('claim "langs" ne "de"', True),
    ('claim "langs" eq "[\\"fr\\", \\"en\\"]"', False),
    ('claim "blank" present', False),
    ('claim "nothing" present', False),
    ('claim "none_yet" present', False),
    ('claim "missing" present', False),
    ('claim "missing" eq "x"', False),
    ('claim "missing" in ["x"]', False),
    ('claim "missing" ne "x"', True),
    ('claim "blank" ne "x"', True),
    # sessions (two others are active)
    ("sessions >= 2", True),
    ("sessions >= 3", False),
    ("sessions > 1", True),
    ("sessions > 2", False),
    ("sessions <= 2", True),
    ("sessions <= 1", False),
    ("sessions < 3", True),
    ("sessions < 2", False),
    ("sessions == 2", True),
    ("sessions == 0", False),
    # the request
    ('acr in ["urn:example:gold"]', True),
    ('acr in ["urn:example:platinum"]', False),
    ('application in ["crm", "portal"]', True),
    ('application in ["crm"]', False),
    ('amr any ["otp", "hwk"]', True),
    ('amr any ["hwk"]', False),
    ('amr all ["pwd", "otp"]', True),
    ('amr all ["pwd", "hwk"]', False),
    ('enrolled any ["passkey", "totp"]', True),
    ('enrolled any ["passkey"]', False),
    # risk is unset here: false whatever the comparison
    ("risk >= 0", False),
    ("risk <= 100", False),
    ("risk == 0", False),
    ("not risk >= 70", True),  # negation turns the unknown into true: write conditions with care
    # combinations
    ('role any ["manager"] and group any ["Sales"]', True),
    ('role any ["manager"] and group any ["APAC"]', False),
    ('role any ["admin"] or group any ["Sales"]', True),
    ('not role any ["admin"]', True),
    ('not (role any ["manager"] or risk > 1)', False),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
async def test_tests(source: str, expected: bool) -> None:
    assert await holds(source) is expected


@pytest.mark.parametrize(
    ("risk", "source", "expected"),
    [
        (70.0, "risk >= 70", True),
        (69.9, "risk >= 70", False),
        (70, "risk > 70", False),
        (0.0, "risk == 0", True),
        (0.0, "risk < 1", True),
        (100, "risk <= 100", True),
        (50, "risk < 50", False),
    ],
)
async def test_risk_scores(risk: float, source: str, expected: bool) -> None:
    assert await holds(source, make_facts(risk=risk)) is expected


async def test_no_requested_acr() -> None:
    assert not await holds('acr in ["urn:example:gold"]', make_facts(acr_values=()))


@pytest.mark.parametrize(
    ("ip", "networks", "expected"),
    [
        ("10.1.2.3", '["10.0.0.0/8"]', True),
        ("10.1.2.3", '["192.168.0.0/16", "10.1.2.0/24"]', True),
        ("10.1.2.3", '["10.1.2.3"]', True),
        ("10.1.2.4", '["10.1.2.3"]', False),
        ("11.0.0.1", '["10.0.0.0/8"]', False),
        ("10.1.2.3", '["10.1.2.3/8"]', True),  # host bits are ignored (strict=False)
        ("2001:db8::1", '["2001:db8::/32"]', True),
        ("2001:db9::1", '["2001:db8::/32"]', False),
        ("::1", '["::1"]', True),
        ("fe80::1%eth0", '["fe80::/10"]', True),
        # the wrong family never matches
        ("10.1.2.3", '["::/0"]', False),
        ("2001:db8::1", '["0.0.0.0/0"]', False),
        # an IPv4-mapped IPv6 address (dual-stack sockets) is its IPv4 address
        ("::ffff:10.1.2.3", '["10.0.0.0/8"]', True),
        ("::ffff:10.1.2.3", '["192.168.0.0/16"]', False),
        # no address, or garbage: false
        (None, '["0.0.0.0/0", "::/0"]', False),
        ("unknown", '["0.0.0.0/0", "::/0"]', False),
        ("", '["0.0.0.0/0"]', False),
    ],
)
async def test_networks(ip: str | None, networks: str, expected: bool) -> None:
    assert await holds(f"network in {networks}", make_facts(ip=ip)) is expected


def at(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


OFFICE = 'time days ["mon", "tue", "wed", "thu", "fri"] from "09:00" to "17:00" tz "UTC"'
NIGHT = 'time days ["fri"] from "22:00" to "06:00" tz "UTC"'
PARIS = (
    'time days ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] '
    'from "09:00" to "10:00" tz "Europe/Paris"'
)


@pytest.mark.parametrize(
    ("source", "now", "expected"),
    [
        (OFFICE, at(2026, 11, 23, 12, 0), True),  # Monday noon
        (OFFICE, at(2026, 11, 23, 9, 0), True),  # "from" is included
        (OFFICE, at(2026, 11, 23, 8, 59), False),
        (OFFICE, at(2026, 11, 23, 16, 59), True),
        (OFFICE, at(2026, 11, 23, 17, 0), False),  # "to" is not
        (OFFICE, at(2026, 11, 28, 12, 0), False),  # Saturday
        (OFFICE, at(2026, 11, 29, 12, 0), False),  # Sunday
        # across midnight: the night belongs to the day it starts on
        (NIGHT, at(2026, 11, 27, 21, 59), False),  # Friday evening, before
        (NIGHT, at(2026, 11, 27, 22, 0), True),  # Friday 22:00
        (NIGHT, at(2026, 11, 27, 23, 59), True),
        (NIGHT, at(2026, 11, 28, 0, 0), True),  # Saturday 00:00, still Friday night
        (NIGHT, at(2026, 11, 28, 5, 59), True),
        (NIGHT, at(2026, 11, 28, 6, 0), False),
        (NIGHT, at(2026, 11, 27, 2, 0), False),  # Friday 02:00 is Thursday's night
        (NIGHT, at(2026, 11, 28, 23, 0), False),  # Saturday evening
        # Europe/Paris: CET (UTC+1) until Sunday 29 March 2026 01:00 UTC, then CEST (UTC+2)
        (PARIS, at(2026, 3, 27, 8, 30), True),  # Friday 09:30 CET
        (PARIS, at(2026, 3, 27, 7, 30), False),  # Friday 08:30 CET
        (PARIS, at(2026, 3, 30, 8, 30), False),  # Monday 10:30 CEST: same UTC, other answer
        (PARIS, at(2026, 3, 30, 7, 30), True),  # Monday 09:30 CEST
        (PARIS, at(2026, 3, 29, 7, 0), True),  # Sunday 09:00 CEST, the day of the change
        # the weekday is the local one: Monday 08:00 in Auckland is Sunday 19:00 UTC
        (
            'time days ["mon"] from "07:00" to "09:00" tz "Pacific/Auckland"',
            at(2026, 11, 22, 19, 0),
            True,
        ),
        (
            'time days ["sun"] from "07:00" to "09:00" tz "Pacific/Auckland"',
            at(2026, 11, 22, 19, 0),
            False,
        ),
    ],
)
async def test_time_windows(source: str, now: int, expected: bool) -> None:
    assert await holds(source, make_facts(now=now)) is expected


def test_in_window_directly() -> None:
    window = {"days": ["sun"], "from": "23:00", "to": "01:00", "tz": "UTC"}
    assert in_window(at(2026, 11, 29, 23, 30), window)  # Sunday 23:30
    assert in_window(at(2026, 11, 30, 0, 30), window)  # Monday 00:30: Sunday's night
    assert not in_window(at(2026, 11, 29, 0, 30), window)  # Sunday 00:30: Saturday's night
    assert not in_window(at(2026, 11, 24, 0, 30), window)  # Tuesday 00:30


# ---- an unknown user ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'role any ["manager"]',
        'group any ["Sales"]',
        'user_store in ["PRIMARY"]',
        'claim "department" present',
        'claim "department" ne "it"',
        'enrolled any ["totp"]',
        "sessions >= 0",
        "sessions == 0",
    ],
)
async def test_user_tests_are_false_without_a_user(source: str) -> None:
    lookups = Lookups(user=None)
    assert await holds(source, make_facts(lookups)) is False
    assert lookups.session_calls == 0


# ---- lazy fetching -------------------------------------------------------------------------


async def test_user_facts_are_fetched_once_per_evaluation() -> None:
    lookups = Lookups()
    condition = expr(
        'role any ["manager"] and group any ["Sales"] and user_store in ["PRIMARY"] '
        'and claim "department" eq "sales" and enrolled any ["totp"] and sessions >= 1 '
        "and sessions <= 5"
    )
    assert await evaluate(condition, make_facts(lookups))
    assert (lookups.user_calls, lookups.session_calls) == (1, 1)
    assert await evaluate(condition, make_facts(lookups))  # a new evaluation asks again
    assert (lookups.user_calls, lookups.session_calls) == (2, 2)


async def test_an_unknown_user_is_looked_up_once() -> None:
    lookups = Lookups(user=None)
    condition = expr('role any ["a"] or group any ["b"] or claim "c" present or sessions > 0')
    assert not await evaluate(condition, make_facts(lookups))
    assert (lookups.user_calls, lookups.session_calls) == (1, 0)


@pytest.mark.parametrize(
    "source",
    [
        'network in ["10.0.0.0/8"] and application in ["portal"] and amr any ["pwd"]',
        'acr in ["urn:example:gold"] or risk > 50',
        'time days ["mon"] from "00:00" to "23:59" tz "UTC"',
        # "and"/"or" stop at the first item that decides
        'application in ["crm"] and role any ["manager"] and sessions > 0',
        'application in ["portal"] or role any ["manager"] or sessions > 0',
        'not application in ["portal"] and (role any ["manager"] or sessions > 0)',
    ],
)
async def test_user_facts_are_not_fetched_when_not_needed(source: str) -> None:
    lookups = Lookups()
    await holds(source, make_facts(lookups))
    assert (lookups.user_calls, lookups.session_calls) == (0, 0)


async def test_sessions_are_not_counted_for_other_user_tests() -> None:
    lookups = Lookups()
    assert await holds('role any ["manager"] and claim "level" eq "3"', make_facts(lookups))
    assert (lookups.user_calls, lookups.session_calls) == (1, 0)
