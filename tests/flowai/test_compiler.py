"""The rule compiler: the showcase flow exactly, readings and alternatives, questions instead
of guesses, assumptions, explanations, diffs, and robustness against any input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identra.flowai import lexicon
from identra.flowai.compiler import (
    MAX_DESCRIPTION,
    DescriptionInvalid,
    compile_description,
    diff,
    validate,
)
from identra.flowai.equivalence import equivalent
from identra.flowai.inventory import Inventory
from identra.flows.document import parse
from identra.flows.text import parse_text
from tests.flowai.corpus import inventories

ROOT = Path(__file__).resolve().parents[2]
SHOWCASE = ROOT / "examples" / "flows" / "managers-sms.flow"
SAY = (
    "Password or Google then SMS if the user has manager role, from the Primary user store, "
    "and no other session"
)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return inventories()["default"]


def test_the_showcase_description_gives_exactly_the_showcase_flow(inv: Inventory) -> None:
    result = compile_description(SAY, inv)
    assert result.ok and result.engine == "rules"
    first = result.readings[0]
    expected = SHOWCASE.read_text(encoding="utf-8")
    # The same document: ids, messages, name and description included; and the same text.
    assert first.document == parse_text(expected)
    assert first.text == expected
    assert first.explanation == (
        "Users sign in with a password or Google. Users who do not come from the PRIMARY user "
        "store are refused ('Only members of the PRIMARY user store can sign in here.'). "
        "Users who have the manager role also confirm with an SMS code. A user who already "
        "has an active session elsewhere is refused. Then they are signed in."
    )
    assert "read 'Primary user store' as who may sign in at all" in first.assumptions


def test_the_showcase_has_other_readings_to_regenerate(inv: Inventory) -> None:
    readings = compile_description(SAY, inv).readings
    assert len(readings) >= 3
    for i, a in enumerate(readings):
        validate(a.document, inv)
        for b in readings[i + 1 :]:
            assert not equivalent(a.document, b.document), "each alternative is different"
    texts = [r.text for r in readings[1:]]
    # "no other session" could let the user end another session instead of refusing...
    assert any("on_exceed choose" in t for t in texts)
    # ... and "from the Primary user store" could belong to the managers' condition.
    merged = 'if role any ["manager"] and user_store in ["PRIMARY"]'
    assert any(merged in t and "deny not-primary" not in t for t in texts)


def test_compiling_is_deterministic(inv: Inventory) -> None:
    first = compile_description(SAY, inv)
    again = compile_description(SAY, inv)
    assert [r.to_json() for r in first.readings] == [r.to_json() for r in again.readings]


@pytest.mark.parametrize(
    ("say", "words"),
    [
        ("password, then SMS for contractors", ["role 'contractor'", "group 'contractors'"]),
        ("password or email", ["email-otp", "magic-link"]),
        ("Okta then SMS", ["okta", "google", "corp-sso"]),
        ("password, TOTP outside the office network", ["office network", "CIDR"]),
        ("password; SMS after 3 failed attempts", ["failed attempts", "5 wrong passwords"]),
        ("password; block the vendors group", ["vendors", "contractors, Sales"]),
    ],
)
def test_unclear_names_are_questions_naming_the_candidates(
    inv: Inventory, say: str, words: list[str]
) -> None:
    result = compile_description(say, inv)
    assert not result.ok and not result.readings
    asked = " ".join(q.text for q in result.questions)
    for word in words:
        assert word.lower() in asked.lower(), (word, asked)


def test_every_clause_counts_or_is_asked_about(inv: Inventory) -> None:
    # "weekends" means nothing to the compiler: the whole description becomes a question, the
    # clause is never silently dropped.
    result = compile_description("password, then SMS for managers on weekends", inv)
    assert not result.ok
    assert any("weekends" in q.text for q in result.questions)


def test_typos_and_synonyms_are_read_and_said(inv: Inventory) -> None:
    result = compile_description("pasword, then OTP by text for mangers", inv)
    assert result.ok
    reading = result.readings[0]
    assert "options password" in reading.text and "options sms-otp" in reading.text
    assert 'role any ["manager"]' in reading.text
    assert "read 'pasword' as 'password'" in reading.assumptions
    assert "read 'mangers' as 'manager'" in reading.assumptions


def test_gmail_means_the_google_identity_provider(inv: Inventory) -> None:
    reading = compile_description("Gmail or Face ID", inv).readings[0]
    assert "options idp:google, passkey" in reading.text


def test_a_provider_of_another_name_is_found_by_its_kind() -> None:
    inv = Inventory({"password": True, "idp:": True}, {"workspace": "google"})
    reading = compile_description("Google or password", inv).readings[0]
    assert "options idp:workspace, password" in reading.text
    assert "read 'Google' as the identity provider 'workspace'" in reading.assumptions


def test_an_option_the_server_does_not_offer_is_a_question() -> None:
    inv = Inventory({"password": True, "totp": False})
    result = compile_description("password then SMS", inv)
    assert not result.ok
    assert "no SMS provider is configured" in result.questions[0].text


def test_the_diff_is_against_the_current_flow(inv: Inventory) -> None:
    current = parse_text(
        'flow "Password"\nstart login\n\nstep login\n  options password\n  next done\n\n'
        "allow done\n"
    )
    reading = compile_description("password, then TOTP", inv).readings[0]
    text = diff(parse(current), reading.document, "current (revision 2)")
    assert text.startswith("--- current (revision 2)\n+++ generated\n")
    assert "+  next totp\n+\n+step totp\n+  options totp\n" in text
    assert '-flow "Password"\n+flow "Password then authenticator app"\n' in text


def test_bad_descriptions_are_refused(inv: Inventory) -> None:
    for bad in ("", "   ", "x" * (MAX_DESCRIPTION + 1)):
        with pytest.raises(DescriptionInvalid):
            compile_description(bad, inv)


WORDS = sorted(
    {w for phrases in lexicon.OPTION_PHRASES.values() for p in phrases for w in p.split()}
    | {w for phrases in lexicon.KEYWORDS.values() for p in phrases for w in p.split()}
    | {"manager", "Sales", "PRIMARY", "PARTNERS", "google", "10.0.0.0/8", "3", ",", ";", "."}
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25))
def test_any_word_salad_is_a_valid_flow_or_a_question(words: list[str]) -> None:
    inv = inventories()["default"]
    result = compile_description(" ".join(words), inv)
    assert result.ok or result.questions
    for reading in result.readings:
        document = validate(reading.document, inv)  # what 'flows apply' would accept
        assert json.loads(json.dumps(reading.document)) == reading.document
        assert document.name and reading.explanation


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_answered_without_an_error(text: str) -> None:
    inv = inventories()["default"]
    try:
        result = compile_description(text, inv)
    except DescriptionInvalid:
        assert not text.strip()
        return
    for reading in result.readings:
        validate(reading.document, inv)
