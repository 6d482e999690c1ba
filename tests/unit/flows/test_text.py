"""The text form: canonical examples both ways, random valid documents round-tripping exactly,
operator precedence and parentheses, and parse errors located by line."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identra.flows import text as text_module
from identra.flows.builtin import builtin
from identra.flows.document import (
    FIELDS,
    MAX_DEPTH,
    SCHEMA,
    FlowInvalid,
    dump,
    dump_expr,
    parse,
)
from identra.flows.text import (
    COMMENT,
    expr_text,
    load,
    parse_expr,
    parse_text,
    render,
    to_json,
)
from tests.unit.flows.strategies import documents, expressions

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

EVERYTHING = """\
flow "Every node and every test"
description "Not a sensible flow: \\"all\\" of the form, with \\\\ and \\u2028 escapes"
start who

identify who
  next ask
  timeout 300

step ask
  options password, idp:google, idp:Corp.Login_2
  next check
  timeout 600

condition check
  if role any ["manager", "admin"] and role all ["x"] or group any ["Sales"] and group all ["EMEA", "Paris"]
  then store
  else mark

condition store
  if user_store in ["PRIMARY"] or claim "department" eq "sales" or claim "dept" ne "it" or claim "country" in ["FR", "DE"] or claim "email_verified" present
  then requests
  else outsider

condition requests
  if (sessions >= 1 or sessions > 2) and (sessions <= 3 or sessions < 4 or sessions == 0) and acr in ["urn:example:gold"] and application in ["portal"]
  then where
  else mark

condition where
  if network in ["10.0.0.0/8", "2001:db8::/32"] and not time days ["mon", "fri"] from "09:00" to "17:30" tz "Europe/Paris"
  then risky
  else mark

condition risky
  if risk >= 70.5 or risk > 90 or risk <= 10 or risk < 5 or risk == 50
  then enrolled
  else mark

condition enrolled
  if not (enrolled any ["totp", "passkey"] or amr any ["otp"]) and not amr all ["pwd", "hwk"]
  then enroll
  else mark

enroll enroll
  options totp, passkey
  next mark
  skippable true
  timeout 900

set mark
  next limit
  acr "urn:example:silver"
  amr ["hwk"]

limit_sessions limit
  max 3
  on_exceed choose
  next final
  message "Three sessions at most"

condition final
  if claim "status" eq "terminated"
  then lock
  else end

lock lock
  message "Your account is locked."
  duration 3600

allow end
  acr "urn:example:gold"
  amr ["mfa"]

deny outsider
  message "Not from here."
"""  # noqa: E501


def _docstring_example() -> str:
    """The example at the top of identra.flows.text's docstring."""
    doc = inspect.getdoc(text_module) or ""
    start = doc.index('flow "Managers')
    end = doc.index("allow done") + len("allow done")
    return textwrap.dedent("    " + doc[start:end]) + "\n"


DOCSTRING_JSON = {
    "schema": SCHEMA,
    "name": "Managers confirm with SMS",
    "description": "Password or Google; managers also confirm with an SMS code",
    "start": "login",
    "nodes": [
        {
            "id": "login",
            "type": "step",
            "options": ["password", "idp:google"],
            "next": "is-manager",
        },
        {
            "id": "is-manager",
            "type": "condition",
            "if": {
                "all": [
                    {"role": {"any": ["manager"]}},
                    {"not": {"network": {"in": ["10.0.0.0/8"]}}},
                ]
            },
            "then": "sms",
            "else": "done",
        },
        {"id": "sms", "type": "step", "options": ["sms-otp"], "next": "done"},
        {"id": "done", "type": "allow"},
    ],
}


# ---- canonical examples -----------------------------------------------------------------


def test_the_docstring_example_reads_into_its_document_and_back() -> None:
    example = _docstring_example()
    assert parse_text(example) == DOCSTRING_JSON
    assert render(load(example)) == example
    assert render(parse(DOCSTRING_JSON)) == example
    assert to_json(example) == DOCSTRING_JSON


def test_the_builtin_flow_renders_canonically() -> None:
    expected = (
        'flow "Password"\n'
        'description "The built-in flow: username and password."\n'
        "start login\n"
        "\n"
        "step login\n"
        "  options password\n"
        "  next done\n"
        "\n"
        "allow done\n"
    )
    document = builtin().document
    assert render(document) == expected
    assert load(expected) == document


def test_every_node_type_and_test_round_trips() -> None:
    raw = parse_text(EVERYTHING)
    parsed = parse(raw)
    assert {n.type for n in parsed.nodes} == set(FIELDS)
    assert render(parsed) == EVERYTHING
    assert dump(parsed) == raw
    assert (
        parsed.description == 'Not a sensible flow: "all" of the form, with \\ and \u2028 escapes'
    )
    nodes = {n["id"]: n for n in raw["nodes"]}
    assert nodes["ask"]["options"] == ["password", "idp:google", "idp:Corp.Login_2"]
    assert nodes["enroll"]["skippable"] is True
    assert nodes["final"]["if"] == {"claim": {"name": "status", "eq": "terminated"}}
    assert nodes["where"]["if"]["all"][1] == {
        "not": {
            "time": {
                "within": {
                    "days": ["mon", "fri"],
                    "from": "09:00",
                    "to": "17:30",
                    "tz": "Europe/Paris",
                }
            }
        }
    }
    assert nodes["risky"]["if"]["any"][0] == {"risk": {">=": 70.5}}


def test_text_is_forgiving_about_layout_but_renders_canonically() -> None:
    loose = (
        'flow   "Loose"\r\n'
        "start a\r\n"
        "step a\r\n"
        "\tnext z\r\n"
        "    options   password ,totp\r\n"
        "\r\n\r\n"
        "allow z\r\n"
    )
    parsed = load(loose)
    assert parsed.node("a").options == ("password", "totp")
    assert render(parsed) == (
        'flow "Loose"\nstart a\n\nstep a\n  options password, totp\n  next z\n\nallow z\n'
    )


def test_strings_with_line_breaks_stay_on_one_line() -> None:
    name = "a\nb\u2028c\u2029d\x85e\rf\x0bg\x0ch\x1ci"
    parsed = parse({**DOCSTRING_JSON, "name": name})
    rendered = render(parsed)
    assert rendered.splitlines()[0] == (
        'flow "a\\nb\\u2028c\\u2029d\\u0085e\\rf\\u000bg\\fh\\u001ci"'
    )
    assert load(rendered) == parsed


def test_invisible_characters_are_escaped() -> None:
    message = "Pay \u202eevil\u202c now\u200b\ufeff, tag\U000e0001; visible: é 🙂 \xa0"
    parsed = parse(
        {
            **DOCSTRING_JSON,
            "nodes": [{"id": "done", "type": "deny", "message": message}],
            "start": "done",
        }
    )
    rendered = render(parsed)
    assert (
        '  message "Pay \\u202eevil\\u202c now\\u200b\\ufeff, tag\\udb40\\udc01; '
        'visible: é 🙂 \xa0"\n'
    ) in rendered
    assert load(rendered) == parsed


def test_raw_line_separators_inside_a_string_are_read() -> None:
    # Written by hand (not rendered): still one line, since only "\n" ends a line.
    source = _docstring_example().replace("Managers confirm", "Managers\u2028confirm")
    assert parse_text(source)["name"] == "Managers\u2028confirm with SMS"


# ---- round trips of random documents -----------------------------------------------------


@PROPERTY
@given(documents())
def test_random_documents_round_trip_through_the_text_form(raw: dict[str, Any]) -> None:
    parsed = parse(raw)
    assert dump(parsed) == raw
    text = render(parsed)
    assert parse_text(text) == raw
    again = parse(parse_text(text))
    assert again == parsed
    assert dump(again) == dump(parsed)
    assert render(load(text)) == text
    # a field per line: nothing inside a value breaks the line structure
    assert len(text.splitlines()) == len(text.split("\n")) - 1


@PROPERTY
@given(expressions(depth=6))
def test_random_expressions_round_trip(expr: dict[str, Any]) -> None:
    document = {
        "schema": SCHEMA,
        "name": "e",
        "start": "c",
        "nodes": [
            {"id": "c", "type": "condition", "if": expr, "then": "z", "else": "z"},
            {"id": "z", "type": "allow"},
        ],
    }
    condition = parse(document).node("c").condition
    assert condition is not None
    assert parse_expr(expr_text(condition)) == dump_expr(condition) == expr


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_a_rendered_text_with_one_node_changed_is_read_as_changed(data: st.DataObject) -> None:
    raw = data.draw(documents(max_nodes=5))
    index = data.draw(st.integers(0, len(raw["nodes"]) - 1))
    node = raw["nodes"][index]
    text = render(parse(raw))
    header = f"{node['type']} {node['id']}\n"
    assert text.count(header) == 1
    renamed = text.replace(header, f"{node['type']} {node['id']}-x\n")
    assert parse_text(renamed)["nodes"][index]["id"] == f"{node['id']}-x"


# ---- precedence and parentheses -----------------------------------------------------------

A = 'role any ["a"]'
B = 'group any ["b"]'
C = 'amr any ["c"]'
EA = {"role": {"any": ["a"]}}
EB = {"group": {"any": ["b"]}}
EC = {"amr": {"any": ["c"]}}


@pytest.mark.parametrize(
    ("source", "expected", "canonical"),
    [
        (f"{A} or {B} and {C}", {"any": [EA, {"all": [EB, EC]}]}, None),
        (f"{A} and {B} or {C}", {"any": [{"all": [EA, EB]}, EC]}, None),
        (f"{A} and {B} and {C}", {"all": [EA, EB, EC]}, None),
        (f"{A} or {B} or {C}", {"any": [EA, EB, EC]}, None),
        (f"({A} and {B}) and {C}", {"all": [{"all": [EA, EB]}, EC]}, None),
        (f"{A} and ({B} and {C})", {"all": [EA, {"all": [EB, EC]}]}, None),
        (f"({A} or {B}) or {C}", {"any": [{"any": [EA, EB]}, EC]}, None),
        (f"({A} or {B}) and {C}", {"all": [{"any": [EA, EB]}, EC]}, None),
        (f"{A} or ({B} and {C})", {"any": [EA, {"all": [EB, EC]}]}, f"{A} or {B} and {C}"),
        (f"({A})", EA, A),
        (f"((({A})))", EA, A),
        (f"not {A} and {B}", {"all": [{"not": EA}, EB]}, None),
        (f"not {A} or {B}", {"any": [{"not": EA}, EB]}, None),
        (f"not ({A} and {B})", {"not": {"all": [EA, EB]}}, None),
        (f"not ({A} or {B})", {"not": {"any": [EA, EB]}}, None),
        (f"not not {A}", {"not": {"not": EA}}, None),
        (f"not (not {A})", {"not": {"not": EA}}, f"not not {A}"),
        (f"{A} and not {B}", {"all": [EA, {"not": EB}]}, None),
        (f"(not {A}) and {B}", {"all": [{"not": EA}, EB]}, f"not {A} and {B}"),
    ],
)
def test_precedence(source: str, expected: dict[str, Any], canonical: str | None) -> None:
    assert parse_expr(source) == expected
    document = {
        "schema": SCHEMA,
        "name": "p",
        "start": "c",
        "nodes": [
            {"id": "c", "type": "condition", "if": expected, "then": "z", "else": "z"},
            {"id": "z", "type": "allow"},
        ],
    }
    condition = parse(document).node("c").condition
    assert condition is not None
    assert expr_text(condition) == (canonical or source)


def test_test_syntax_variants() -> None:
    assert parse_expr('claim "x" present') == {"claim": {"name": "x", "present": True}}
    assert parse_expr('claim "x" in ["a", "b"]') == {"claim": {"name": "x", "in": ["a", "b"]}}
    assert parse_expr("risk >= 1e1") == {"risk": {">=": 10.0}}
    assert parse_expr("sessions==0") == {"sessions": {"==": 0}}
    assert parse_expr('role any["a","b"]') == {"role": {"any": ["a", "b"]}}


# ---- errors, with their lines --------------------------------------------------------------

HEAD = 'flow "Errors"\nstart a\n\n'


def text_problems(source: str) -> list[tuple[str, str]]:
    with pytest.raises(FlowInvalid) as caught:
        parse_text(source)
    return caught.value.problems


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # unknown lines
        (
            "stpe a\n",
            ("line 4", f"unknown line 'stpe'; a node starts with its type ({', '.join(FIELDS)})"),
        ),
        (
            "allow a\nstpe b\n",
            ("line 5", f"unknown line 'stpe'; a node starts with its type ({', '.join(FIELDS)})"),
        ),
        ("allow a\nstart a\n", ("line 5", "top-level lines (flow, description, start) come first")),
        ("step\n", ("line 4", "write 'step <id>'")),
        ("step a b\n", ("line 4", "write 'step <id>'")),
        # fields
        ("allow a\n  acr\n", ("line 5", "acr needs a value")),
        (
            "step a\n  colour red\n",
            ("line 5", "a step node has no field 'colour'; its fields: options, next, timeout"),
        ),
        (
            "allow a\n  next z\n",
            ("line 5", "a allow node has no field 'next'; its fields: acr, amr"),
        ),
        (
            'deny a\n  message "x"\n  duration 5\n',
            ("line 6", "a deny node has no field 'duration'; its fields: message"),
        ),
        ("step a\n  next b\n  next c\n", ("line 6", "next is given twice")),
        ("step a\n  next b c\n", ("line 5", "next takes one word")),
        ("limit_sessions a\n  on_exceed deny now\n", ("line 5", "on_exceed takes one word")),
        (
            "step a\n  options password totp\n",
            ("line 5", "write the options as names separated by commas"),
        ),
        (
            "step a\n  options password,\n",
            ("line 5", "write the options as names separated by commas"),
        ),
        ("enroll a\n  skippable maybe\n", ("line 5", "expected true or false")),
        ("enroll a\n  skippable true false\n", ("line 5", "unexpected 'false'")),
        ("identify a\n  timeout soon\n", ("line 5", "expected a number, found 'soon'")),
        ("identify a\n  timeout \u0663\u0660\n", ("line 5", "cannot read '\u0663\u0660'")),
        ("allow a\n  amr otp\n", ("line 5", "expected '[', found 'otp'")),
        ('allow a\n  amr ["otp",]\n', ("line 5", "expected a quoted string, found ']'")),
        ('allow a\n  amr ["otp"\n', ("line 5", "expected more at the end")),
        # strings
        ('deny a\n  message "unterminated\n', ("line 5", "cannot read '\"unterminated'")),
        ("deny a\n  message unquoted\n", ("line 5", "expected a quoted string, found 'unquoted'")),
        (
            'deny a\n  message "bad \\q escape"\n',
            ("line 5", 'bad string "bad \\q escape": Invalid \\escape'),
        ),
        (
            'deny a\n  message "raw\ttab"\n',
            ("line 5", 'bad string "raw\ttab": Invalid control character at'),
        ),
        ('deny a\n  message "x" "y"\n', ("line 5", "unexpected '\"y\"'")),
        # comments are refused everywhere, on purpose
        ("# a comment\nallow a\n", ("line 4", COMMENT)),
        ("allow a\n  # a comment\n", ("line 5", COMMENT)),
        ("step a\n  next z # the end\n", ("line 5", COMMENT)),
        ("step a\n  options password # for now\n", ("line 5", COMMENT)),
        ('deny a\n  message "No" # polite\n', ("line 5", COMMENT)),
        ('condition a\n  if role any ["a"] # managers\n', ("line 5", COMMENT)),
        # expressions
        ('condition a\n  if role any ["a"] xyz\n', ("line 5", "unexpected 'xyz'")),
        ('condition a\n  if role any ["a"] and\n', ("line 5", "expected more at the end")),
        ('condition a\n  if (role any ["a"]\n', ("line 5", "expected ')' at the end")),
        ('condition a\n  if role any ["a"])\n', ("line 5", "unexpected ')'")),
        (
            'condition a\n  if role any ["a"] or or group any ["b"]\n',
            ("line 5", "expected a test, found 'or'"),
        ),
        (
            'condition a\n  if colour any ["red"]\n',
            (
                "line 5",
                "unknown test 'colour'; known: acr, amr, application, claim, enrolled, "
                "group, network, risk, role, sessions, time, user_store",
            ),
        ),
        ("condition a\n  if risk >= high\n", ("line 5", "expected a number, found 'high'")),
        ("condition a\n  if risk\n", ("line 5", "expected more at the end")),
        (
            'condition a\n  if time days ["mon"] to "10:00"\n',
            ("line 5", "expected 'from', found 'to'"),
        ),
        (
            'condition a\n  if claim department eq "x"\n',
            ("line 5", "expected a quoted string, found 'department'"),
        ),
        (
            'condition a\n  if role any ["a"] && group any ["b"]\n',
            ("line 5", "cannot read '&& group any [\"b\"]'"),
        ),
        (
            "condition a\n  if " + "not " * (MAX_DEPTH + 1) + 'amr any ["x"]\n',
            ("line 5", f"the expression nests deeper than {MAX_DEPTH} levels"),
        ),
        (
            "condition a\n  if " + "(" * 5000 + 'amr any ["x"]' + ")" * 5000 + "\n",
            ("line 5", f"the expression nests deeper than {MAX_DEPTH} levels"),
        ),
    ],
)
def test_parse_errors_carry_their_line(body: str, expected: tuple[str, str]) -> None:
    found = text_problems(HEAD + body)
    assert len(found) == 1, found
    where, message = found[0]
    assert where == expected[0]
    assert message.startswith(expected[1]), message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("  next a\n", [("line 1", "an indented field belongs to a node")]),
        ('flow "a"\nflow "b"\n', [("line 2", "flow is given twice")]),
        ('description "a"\ndescription "b"\n', [("line 2", "description is given twice")]),
        ("start a\nstart b\n", [("line 2", "start is given twice")]),
        ("start a b\n", [("line 1", "write 'start <node id>'")]),
        ("flow Errors\n", [("line 1", "expected a quoted string, found 'Errors'")]),
        ('flow "x" extra\n', [("line 1", "unexpected 'extra'")]),
        (
            'flow "x"\n# one\nstart a\n\nstep a\n  next b c\n  colour red\nallow b\n  amr "x"\n',
            [
                ("line 2", COMMENT),
                ("line 6", "next takes one word"),
                ("line 7", "a step node has no field 'colour'; its fields: options, next, timeout"),
                ("line 9", "expected '[', found '\"x\"'"),
            ],
        ),
    ],
)
def test_every_problem_is_reported(source: str, expected: list[tuple[str, str]]) -> None:
    assert text_problems(source) == expected


def test_huge_numbers_are_a_problem_not_a_crash() -> None:
    found = text_problems(HEAD + "identify a\n  timeout " + "9" * 5000 + "\n")
    assert found[0][0] == "line 5" and found[0][1].startswith("cannot read:")


def test_readable_text_is_then_validated_as_a_document() -> None:
    raw = parse_text(HEAD + "step a\n  options password\n  next nowhere\n")
    with pytest.raises(FlowInvalid) as caught:
        parse(raw)
    assert caught.value.problems == [("nodes.a", "refers to unknown node 'nowhere'")]
    with pytest.raises(FlowInvalid):
        load(HEAD + "step a\n  options password\n  next nowhere\n")
    # the checks against the server go through load too
    with pytest.raises(FlowInvalid) as caught:
        load(HEAD + "step a\n  options totp\n  next z\n\nallow z\n", first_factor=lambda o: False)
    assert caught.value.problems == [
        ("nodes.a", "no option here can identify the user; add a first step before it")
    ]


def test_empty_text_reads_as_an_empty_document() -> None:
    assert parse_text("") == {"schema": SCHEMA, "nodes": []}
    with pytest.raises(FlowInvalid) as caught:
        load("\n\n")
    assert [p for p, _ in caught.value.problems] == ["name", "start", "nodes"]
