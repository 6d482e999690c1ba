"""docs/flows.md stays true: its flows parse (canonically), the showcase flow says what the guide
says it does, and the CLI commands and API routes it lists are the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

from identra.cli.flows import app as flows_cli
from identra.flows.conditions import Facts, evaluate
from identra.flows.document import FlowDocument, Node, dump, parse
from identra.flows.document import Test as T
from identra.flows.ports import UserFacts
from identra.flows.schema import json_schema
from identra.flows.text import load, parse_text, render
from identra.management.routers.flows import router
from identra.management.routers.flows_generate import router as generate_router
from identra.management.routers.flows_preview import router as preview_router
from tests.unit.flows.test_conditions import Lookups, make_facts

GUIDE = Path(__file__).parents[3] / "docs" / "flows.md"
FIRST_FACTORS = {"password", "email-otp", "magic-link", "passkey"}


def first_factor(option: str) -> bool:
    return option in FIRST_FACTORS or option.startswith("idp:")


def known_option(option: str) -> bool:
    return True


def blocks(language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def flows() -> list[FlowDocument]:
    return [
        load(block, known_option=known_option, first_factor=first_factor)
        for block in blocks("flow")
    ]


def test_every_flow_in_the_guide_is_valid_and_canonical() -> None:
    found = blocks("flow")
    assert len(found) >= 2
    for block in found:
        document = load(block, known_option=known_option, first_factor=first_factor)
        assert render(document) == block


def showcase() -> FlowDocument:
    documents = [d for d in flows() if d.name == "Managers confirm with SMS"]
    assert len(documents) == 1
    return documents[0]


def test_the_showcase_flow() -> None:
    """Password or Google, then SMS OTP if the user has the manager role, users from the
    PRIMARY user store only, and no other active session."""
    flow = showcase()
    start = flow.node(flow.start)
    assert (start.type, start.options) == ("step", ("password", "idp:google"))
    by_type: dict[str, list[Node]] = {}
    for node in flow.nodes:
        by_type.setdefault(node.type, []).append(node)
    conditions = {n.condition: n for n in by_type["condition"]}
    store = conditions[T("user_store", "in", ("PRIMARY",))]
    manager = conditions[T("role", "any", ("manager",))]
    assert flow.node(store.otherwise or "").type == "deny"
    assert store.then == manager.id
    sms = flow.node(manager.then or "")
    assert (sms.type, sms.options) == ("step", ("sms-otp",))
    (limit,) = by_type["limit_sessions"]
    assert (limit.max, limit.on_exceed) == (1, "deny")
    assert sms.next == manager.otherwise == limit.id
    assert flow.node(limit.next or "").type == "allow"


async def test_the_showcase_conditions_decide_as_described() -> None:
    flow = showcase()
    store = flow.node("primary-only")
    manager = flow.node("is-manager")
    assert store.condition is not None and manager.condition is not None

    def facts(store_name: str, roles: set[str]) -> Facts:
        user = UserFacts("u", "ann", "active", store_name, roles=frozenset(roles))
        return make_facts(Lookups(user=user))

    assert await evaluate(store.condition, facts("PRIMARY", set()))
    assert not await evaluate(store.condition, facts("CORP-LDAP", set()))
    assert await evaluate(manager.condition, facts("PRIMARY", {"manager"}))
    assert not await evaluate(manager.condition, facts("PRIMARY", {"staff"}))


def test_the_json_in_the_guide_is_the_showcase() -> None:
    (document,) = [b for b in blocks("json") if b.startswith('{\n  "schema": "identra.flow/1"')]
    shown = json.loads(document)
    expected = dump(showcase())
    del expected["description"]  # "shortened"
    assert shown == expected


def test_the_guide_lists_the_real_cli_commands() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    commands = {c.name for c in flows_cli.registered_commands}
    assert commands == {"validate", "apply", "show", "history", "remove", "schema", "generate"}
    for name in commands:
        assert f"`identra flows {name}" in text
    for option in ("--org", "--app", "--json"):
        assert option in text


def test_the_guide_lists_the_real_api_routes() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(GET|PUT|POST|DELETE) (/orgs/[^`]+)` \|", text, re.MULTILINE))
    real = {
        (m, r.path)  # type: ignore[attr-defined]
        for routes in (router.routes, generate_router.routes, preview_router.routes)
        for r in routes
        if getattr(r, "include_in_schema", True)  # not the preview's public stylesheet
        for m in r.methods  # type: ignore[attr-defined]
    }
    assert listed == real


def test_the_guide_tables_name_every_node_type_and_test() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    schema = json_schema()
    for name in schema["$defs"]:
        if name.startswith("node_"):
            assert f"| `{name[5:]}` |" in text
    for name in schema["$defs"]:
        if name.startswith("test_"):
            assert f'{{"{name[5:]}": ' in text


def test_a_text_example_in_the_guide_reads() -> None:
    raw = parse_text(blocks("flow")[0])
    assert parse(raw) == showcase()


def test_the_showcase_is_the_example_file() -> None:
    example = GUIDE.parents[1] / "examples" / "flows" / "managers-sms.flow"
    assert load(example.read_text(encoding="utf-8")) == showcase()
