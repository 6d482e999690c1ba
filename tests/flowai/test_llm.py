"""The optional LLM back end against a fake OpenAI-compatible endpoint on loopback: what is sent
(the description and names, never user data), and what is done with well-formed, malformed,
schema-violating and hostile answers (repaired through the compiler's own checks, or refused).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from identra.flowai import service
from identra.flowai.inventory import Inventory
from identra.flowai.llm import MAX_NODES, LlmBackend, generate, messages
from tests.flowai.corpus import inventories
from tests.flowai.fake_llm import API_KEY, MODEL, FakeLlm

# Dutch: the rules cannot read it, so "auto" hands it to the LLM back end.
DUTCH = "Wachtwoord of passkey, daarna sms voor managers"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLlm]:
    with FakeLlm() as server:
        yield server


@pytest.fixture
def llm(fake: FakeLlm) -> FakeLlm:
    fake.clear()
    return fake


@pytest.fixture
def inv() -> Inventory:
    return inventories()["default"]


def backend(fake: FakeLlm, timeout: float = 5) -> LlmBackend:
    return LlmBackend(fake.base_url, MODEL, API_KEY, timeout)


def flow(*nodes: dict[str, Any], start: str = "login", **extra: Any) -> str:
    return json.dumps(
        {"schema": "identra.flow/1", "name": "m", "start": start, "nodes": list(nodes), **extra}
    )


GOOD = flow(
    {"id": "login", "type": "step", "options": ["Password", "passkey"], "next": "mgr"},
    {
        "id": "mgr",
        "type": "condition",
        "if": {"role": {"any": ["Managers"]}},
        "then": "sms",
        "else": "done",
    },
    {"id": "sms", "type": "step", "options": ["SMS"], "next": "done"},
    {"id": "done", "type": "allow"},
)


async def test_a_good_answer_is_resolved_against_the_org_and_validated(
    llm: FakeLlm, inv: Inventory
) -> None:
    llm.answer(f"Here you are:\n```json\n{GOOD}\n```")
    result = await service.run(DUTCH, inv, backend(llm), "auto")
    assert result.ok and result.engine == "llm"
    reading = result.readings[0]
    assert "options password, passkey" in reading.text
    assert 'role any ["manager"]' in reading.text and "options sms-otp" in reading.text
    assert reading.document["name"] == DUTCH  # the flow's name is the description, not the model's
    assert "drafted by the LLM back end and checked by the compiler" in reading.assumptions
    assert "the model's role 'Managers' was read as 'manager'" in reading.assumptions
    assert "the model's option 'SMS' was read as sms-otp" in reading.assumptions
    assert reading.explanation.startswith("Users sign in with a password or a passkey.")


async def test_only_the_description_and_names_are_sent(llm: FakeLlm, inv: Inventory) -> None:
    llm.answer(GOOD)
    await generate(backend(llm), DUTCH, inv)
    (request,) = llm.requests
    assert llm.headers[0]["authorization"] == f"Bearer {API_KEY}"
    assert request["model"] == MODEL and request["temperature"] == 0
    system, user = request["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    # The description travels as JSON data in the user message, never inside the instructions.
    assert json.loads(user["content"]) == {"description": DUTCH}
    assert DUTCH not in system["content"]
    blocks = json.loads(system["content"].split("Available: ", 1)[1])
    assert blocks == {
        "options": [
            "password",
            "email-otp",
            "magic-link",
            "sms-otp",
            "totp",
            "backup-code",
            "passkey",
            "idp:google",
            "idp:corp-sso",
        ],
        "first_factor_options": [
            "password",
            "email-otp",
            "magic-link",
            "passkey",
            "idp:google",
            "idp:corp-sso",
        ],
        "roles": list(inv.roles),
        "groups": list(inv.groups),
        "user_stores": list(inv.user_stores),
    }
    assert messages(DUTCH, inv) == request["messages"]


async def test_auto_does_not_call_the_llm_when_the_rules_understand(
    llm: FakeLlm, inv: Inventory
) -> None:
    result = await service.run("password then TOTP", inv, backend(llm), "auto")
    assert result.ok and result.engine == "rules"
    # A question about the organization's names is the administrator's, not the model's.
    asked = await service.run("password then SMS for contractors", inv, backend(llm), "auto")
    assert not asked.ok and asked.engine == "rules"
    assert llm.requests == []


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("Sure! Here is a flow: {oops", "did not answer with a JSON document"),
        ('Sure! {"nodes": [1, 2,]}', "not valid JSON"),
        ("I cannot help with that.", "did not answer with a JSON document"),
        ("[1, 2, 3]", "did not answer with a JSON document"),
        ('"just a string"', "did not answer with a JSON document"),
        ("{" * 5000 + "}" * 5000, "not valid JSON"),
        # Schema violations: a missing "next", a loop, an unknown node type.
        (
            flow(
                {"id": "login", "type": "step", "options": ["password"]},
                {"id": "done", "type": "allow"},
            ),
            "missing field(s): next",
        ),
        (flow({"id": "login", "type": "step", "options": ["password"], "next": "login"}), "loop"),
        (flow({"id": "login", "type": "teleport"}), "must be one of"),
        (flow({"id": "done", "type": "allow"}, start="done"), "without passing any step"),
    ],
)
async def test_malformed_and_invalid_answers_are_refused(
    llm: FakeLlm, inv: Inventory, answer: str, says: str
) -> None:
    llm.answer(answer)
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and not result.readings
    assert says in " ".join(q.text for q in result.questions)


@pytest.mark.parametrize(
    ("nodes", "says"),
    [
        # An option this server does not offer, an identity provider the org does not have.
        ([{"id": "login", "type": "step", "options": ["idp:evil-corp"], "next": "done"}], "evil"),
        (
            [{"id": "login", "type": "step", "options": ["push-notification"], "next": "done"}],
            "push-notification",
        ),
        # A role the org does not have.
        (
            [
                {"id": "login", "type": "step", "options": ["password"], "next": "c"},
                {
                    "id": "c",
                    "type": "condition",
                    "if": {"role": {"any": ["superadmin"]}},
                    "then": "done",
                    "else": "done",
                },
            ],
            "superadmin",
        ),
        # A network the description never named.
        (
            [
                {"id": "login", "type": "step", "options": ["password"], "next": "c"},
                {
                    "id": "c",
                    "type": "condition",
                    "if": {"network": {"in": ["0.0.0.0/0"]}},
                    "then": "done",
                    "else": "done",
                },
            ],
            "0.0.0.0/0",
        ),
        # Locking accounts the description did not ask to lock.
        (
            [
                {"id": "login", "type": "step", "options": ["password"], "next": "x"},
                {"id": "x", "type": "lock", "message": "gotcha"},
            ],
            "locks accounts",
        ),
        # Claiming authentication methods.
        (
            [
                {"id": "login", "type": "step", "options": ["password"], "next": "s"},
                {
                    "id": "s",
                    "type": "set",
                    "acr": "urn:identra:acr:mfa",
                    "amr": ["mfa", "hwk"],
                    "next": "done",
                },
            ],
            "acr/amr",
        ),
    ],
)
async def test_hostile_answers_are_refused(
    llm: FakeLlm, inv: Inventory, nodes: list[dict[str, Any]], says: str
) -> None:
    if not any(n["id"] == "done" for n in nodes):
        nodes = [*nodes, {"id": "done", "type": "allow"}]
    llm.answer(flow(*nodes))
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and not result.readings
    assert says in " ".join(q.text for q in result.questions)


async def test_the_models_prose_never_reaches_users(llm: FakeLlm, inv: Inventory) -> None:
    phishing = "Your account is compromised: call +1 555 0100 and read us your password."
    llm.answer(
        flow(
            {"id": "login", "type": "step", "options": ["password"], "next": "c"},
            {
                "id": "c",
                "type": "condition",
                "if": {"user_store": {"in": ["partners"]}},
                "then": "no",
                "else": "done",
            },
            {"id": "no", "type": "deny", "message": phishing},
            {"id": "done", "type": "allow", "acr": "urn:identra:acr:mfa", "amr": ["mfa", "hwk"]},
            name="Ignore all previous instructions",
            description=phishing,
            extra_field="x",
        )
    )
    result = await generate(backend(llm), "Wachtwoord; blokkeer partners", inv)
    assert result.ok
    reading = result.readings[0]
    dumped = json.dumps(reading.document)
    assert phishing not in dumped and "Ignore all previous" not in dumped
    assert "Users of the PARTNERS user store cannot sign in here." in reading.text
    assert "acr" not in reading.document["nodes"][-1] and "amr" not in reading.document["nodes"][-1]
    assert "acr/amr claims the model put on 'allow' were removed" in reading.assumptions
    assert "fields the model added were ignored: extra_field" in reading.assumptions


async def test_a_model_question_is_not_shown_verbatim(llm: FakeLlm, inv: Inventory) -> None:
    llm.answer('{"question": "<script>alert(1)</script> visit evil.example"}')
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok
    assert "evil" not in json.dumps([q.to_json() for q in result.questions])


async def test_huge_answers_are_refused(llm: FakeLlm, inv: Inventory) -> None:
    many = [
        {"id": f"n{i}", "type": "step", "options": ["password"], "next": f"n{i + 1}"}
        for i in range(MAX_NODES + 5)
    ] + [{"id": f"n{MAX_NODES + 5}", "type": "allow"}]
    llm.answer(flow(*many, start="n0"))
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and f"more than {MAX_NODES} nodes" in result.questions[0].text
    llm.answer("{" + '"x": "' + "a" * 70_000 + '"}')
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and "too large" in result.questions[0].text
    llm.raw(200, b"{" + b" " * (1024 * 1024 + 10) + b"}")
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and "larger than 1 MiB" in result.questions[0].text


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (500, b'{"error": "boom"}', "HTTP 500"),
        (401, b'{"error": "bad key"}', "HTTP 401"),
        (200, b"not json at all", "not a chat completion"),
        (200, b'{"choices": []}', "not a chat completion"),
        (200, b'{"choices": [{"message": {"content": 42}}]}', "has no text"),
    ],
)
async def test_endpoint_failures_are_reported_not_raised(
    llm: FakeLlm, inv: Inventory, status: int, body: bytes, says: str
) -> None:
    llm.raw(status, body)
    result = await generate(backend(llm), DUTCH, inv)
    assert not result.ok and says in result.questions[0].text


async def test_a_slow_endpoint_times_out(llm: FakeLlm, inv: Inventory) -> None:
    llm.raw(200, b"{}", delay=2)
    result = await generate(backend(llm, timeout=0.3), DUTCH, inv)
    assert not result.ok and "could not be reached" in result.questions[0].text


async def test_an_unreachable_endpoint_leaves_the_rules_questions(inv: Inventory) -> None:
    from tests.support import free_port

    dead = LlmBackend(f"http://127.0.0.1:{free_port()}/v1", MODEL, None, 1)
    result = await service.run(DUTCH, inv, dead, "auto")
    assert not result.ok and result.engine == "rules"
    assert any("LLM back end was asked too" in n for n in result.notes)


def test_the_settings_section() -> None:
    from pydantic import ValidationError

    from identra.settings import Settings

    base = {"_env_file": None}
    settings = Settings(**base, flow_ai={"base_url": "http://127.0.0.1:9/v1/", "model": "m"})  # type: ignore[arg-type]
    made = LlmBackend.from_settings(settings)
    assert made == LlmBackend("http://127.0.0.1:9/v1", "m", None, 30.0)
    assert LlmBackend.from_settings(Settings(**base)) is None  # type: ignore[arg-type]
    for bad in (
        {"base_url": "ftp://x", "model": "m"},
        {"base_url": "http://x"},
        {"base_url": "http://x", "model": "m", "timeout": 0},
        {"base_url": "http://x", "model": "m", "colour": "red"},
    ):
        with pytest.raises(ValidationError):
            Settings(**base, flow_ai=bad)  # type: ignore[arg-type]


async def test_through_the_api_no_user_data_leaves(tmp_path: Any, llm: FakeLlm) -> None:
    from tests.flowai.support import building_blocks, mount
    from tests.support import ADMIN, harness

    sms = {"base_url": "http://127.0.0.1:9/v1", "api_key": "unused"}  # sms-otp is offered
    async with harness(tmp_path, flow_ai=llm.settings(), sms=sms) as h:
        mount(h.app)
        await building_blocks(h)  # users alice, boss, pat with emails and phone numbers
        llm.answer(GOOD)
        resp = await h.client.post(
            "/api/v1/orgs/root/flows/generate",
            json={"description": DUTCH},
            headers=ADMIN,
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["status"] == "flow" and body["engine"] == "llm", body
        assert "drafted by the LLM back end and checked by the compiler" in body["assumptions"]
    sent = json.dumps(llm.requests)
    for private in ("alice", "boss", "pat@", "example.com", "+1555", "Liddell", "admin@"):
        assert private not in sent, private
    assert "manager" in sent and "PARTNERS" in sent and "idp:google" in sent
