"""Unit tests of the pieces under the runtime: rules, signatures, token operations, the request
block of a token request, and reply parsing."""

from __future__ import annotations

from typing import Any

import pytest

from identra.actions import signing
from identra.actions.caller import Fault, parse_reply
from identra.actions.model import ActionSpec
from identra.actions.pre_issue import TOKEN_EXCHANGE, TokenState, _request_block, apply_operations
from identra.actions.rules import ALWAYS, RuleInvalid, parse_rule
from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.hooks import TokenDraft
from identra.protocols.oauth2.models import Client, Tenant

FIELDS = ("application", "grantType", "scope", "userStore")


def rule(*expressions: tuple[str, str, str], groups: int = 1) -> dict[str, Any]:
    group = {
        "condition": "AND",
        "expressions": [{"field": f, "operator": o, "value": v} for f, o, v in expressions],
    }
    return {"condition": "OR", "rules": [group] * groups}


def test_rules_match_aliases_members_and_absent_facts() -> None:
    assert parse_rule(None, FIELDS) is ALWAYS and parse_rule({}, FIELDS) is ALWAYS
    by_app = parse_rule(rule(("application", "equals", "client-1")), FIELDS)
    assert by_app.matches({"application": ("app-id", "client-1")})
    assert not by_app.matches({"application": ("app-id", "client-2")})
    no_admin = parse_rule(rule(("scope", "notEquals", "admin")), FIELDS)
    assert no_admin.matches({"scope": ("read", "write")})
    assert not no_admin.matches({"scope": ("read", "admin")})
    store = parse_rule(rule(("userStore", "equals", "PRIMARY")), FIELDS)
    assert not store.matches({"userStore": None})
    assert parse_rule(rule(("userStore", "notEquals", "PRIMARY")), FIELDS).matches({})
    both = parse_rule(
        rule(("grantType", "equals", "password"), ("scope", "equals", "openid")), FIELDS
    )
    assert both.matches({"grantType": "password", "scope": ["openid"]})
    assert not both.matches({"grantType": "password", "scope": []})
    assert parse_rule(both.to_json(), FIELDS) == both


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ([], "rule"),
        ({"condition": "AND", "rules": []}, "rule/condition"),
        ({"condition": "OR", "rules": []}, "rule/rules"),
        ({"condition": "OR", "rules": [{"condition": "AND", "expressions": []}]}, "rule/rules/0"),
        (rule(("flow", "equals", "x")), "rule/rules/0/expressions/0/field"),
        (rule(("scope", "contains", "x")), "rule/rules/0/expressions/0/operator"),
        (rule(("scope", "equals", "")), "rule/rules/0/expressions/0"),
        (rule(("scope", "equals", "a\nb")), "rule/rules/0/expressions/0/value"),
        (rule(("scope", "equals", "x"), groups=11), "rule/rules"),
        ({"condition": "OR", "rules": [], "extra": 1}, "rule/extra"),
    ],
)
def test_bad_rules_name_the_part(document: Any, path: str) -> None:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule(document, FIELDS)
    assert caught.value.path.startswith(path), caught.value.path


def test_standard_webhooks_signatures() -> None:
    secret = signing.generate_secret()
    assert signing.valid_secret(secret) and not signing.valid_secret("whsec_!!")
    body = b'{"a":1}'
    headers = signing.headers(secret, "msg_1", 1_700_000_000, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert signing.verify(secret, headers, body, 1_700_000_100)
    assert not signing.verify(secret, headers, body + b" ", 1_700_000_100)
    assert not signing.verify(secret, headers, body, 1_700_001_000)  # too old
    assert not signing.verify(signing.generate_secret(), headers, body, 1_700_000_100)
    # During a rotation a receiver may list several signatures; any valid one passes.
    other = signing.signature(signing.generate_secret(), "msg_1", 1_700_000_000, body)
    rotated = {**headers, "webhook-signature": f"{other} {headers['webhook-signature']}"}
    assert signing.verify(secret, rotated, body, 1_700_000_000)


def draft(**form: str) -> TokenDraft:
    client = Client(
        id="app-1", org_id="org-1", client_id="client-1", name="c", type="m2m", enabled=True,
        secret_digest=None, auth_method="client_secret_basic",
        grant_types=frozenset({"client_credentials"}), scopes=frozenset({"a"}), audiences=(),
        redirect_uris=(), pkce_required=False, access_token_format="jwt", access_token_ttl=None,
    )  # fmt: skip
    claims = {
        "iss": "https://idp", "sub": "client-1", "aud": "client-1", "client_id": "client-1",
        "iat": 100, "exp": 3700, "jti": "j", "org_id": "org-1", "scope": "a b",
    }  # fmt: skip
    request = ProtocolRequest(
        "POST",
        "https://idp/oauth2/token",
        {"authorization": "Basic x", "user-agent": "test", "dpop": "proof", "x-trace": "1"},
        form={k: [v] for k, v in form.items()},
    )
    return TokenDraft(
        tenant=Tenant("org-1", "root", "https://idp"),
        client=client,
        grant_type=form.get("grant_type"),
        subject="client-1",
        scopes=("a", "b"),
        claims=claims,
        ttl=3600,
        request=request,
    )


def test_operations_apply_in_order_all_or_nothing() -> None:
    state = TokenState.of(draft())
    new = apply_operations(
        state,
        [
            {"op": "add", "path": "/accessToken/scopes/0", "value": "first"},
            {"op": "add", "path": "/accessToken/scopes/-", "value": "a"},  # already there
            {"op": "remove", "path": "/accessToken/scopes/1"},  # "a", after the insert
            {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "x", "value": "1"}},
            {"op": "replace", "path": "/accessToken/claims/x", "value": 2},
            {"op": "add", "path": "/accessToken/claims/aud/-", "value": "https://api"},
            {"op": "replace", "path": "/accessToken/claims/aud/0", "value": "https://api"},
        ],
        None,
    )
    assert new.scopes == ["first", "b"]
    assert ("x", 2) in new.claims
    assert new.aud == ["https://api"]  # a replacement equal to another entry leaves one
    assert state.scopes == ["a", "b"]  # the original is untouched
    final = new.to_draft(draft())
    assert final.claims["x"] == 2 and final.claims["aud"] == "https://api"
    with pytest.raises(Fault) as caught:
        apply_operations(
            state,
            [
                {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "y", "value": 1}},
                {"op": "remove", "path": "/accessToken/claims/iss"},
            ],
            None,
        )
    assert caught.value.kind == "disallowed_operation" and "operation 1" in caught.value.detail
    assert ("y", 1) not in state.claims


def test_lifetime_rules() -> None:
    state = TokenState.of(draft())
    longer = [{"op": "replace", "path": "/accessToken/claims/expires_in", "value": 7200}]
    assert apply_operations(state, longer, "client_credentials").expires_in == 7200
    with pytest.raises(Fault):
        apply_operations(state, longer, TOKEN_EXCHANGE)
    for bad in (0, 86_401, True, "60", 1.5):
        with pytest.raises(Fault):
            apply_operations(
                state,
                [{"op": "replace", "path": "/accessToken/claims/expires_in", "value": bad}],
                None,
            )


def test_the_request_block_carries_no_credentials() -> None:
    block = _request_block(
        draft(
            grant_type="urn:ietf:params:oauth:grant-type:device_code",
            device_code="dc-secret",
            subject_token="st-secret",
            subject_token_type="urn:ietf:params:oauth:token-type:access_token",
            client_secret="cs",
            code_verifier="v",
            client_assertion="ey",
            resource="https://api",
            scope="a b",
        )
    )
    params = block["additionalParams"]
    assert set(params) == {"subject_token_type", "resource"}
    assert block["scopes"] == ["a", "b"]
    assert set(block["additionalHeaders"]) == {"user-agent", "x-trace"}


def spec(kind: str = "preIssueAccessToken") -> ActionSpec:
    return ActionSpec(
        id="a", org_id="o", name="n", type=kind, endpoint="http://127.0.0.1/", auth_type="none",
        auth_encrypted=None, timeout_ms=1000, failure_policy="fail_closed", rule=ALWAYS,
        signing_secret_encrypted=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, b"not json", "invalid_json"),
        (200, b"[]", "invalid_response"),
        (200, b'{"actionStatus": "INCOMPLETE"}', "invalid_response"),
        (200, b'{"actionStatus": "FAILED"}', "invalid_response"),
        (200, b'{"actionStatus": "FAILED", "failureReason": " "}', "invalid_response"),
        (200, b'{"actionStatus": "SUCCESS", "operations": {}}', "invalid_response"),
        (200, b'{"actionStatus": "SUCCESS", "operations": [1]}', "invalid_response"),
        (500, b'{"actionStatus": "ERROR", "errorMessage": "db"}', "service_error"),
        (401, b'{"actionStatus": "ERROR"}', "service_error"),
        (503, b'{"actionStatus": "SUCCESS"}', "http_status"),
        (404, b"<html>", "http_status"),
        (302, b"", "http_status"),
    ],
)
def test_replies_are_checked_strictly(status: int, body: bytes, kind: str) -> None:
    with pytest.raises(Fault) as caught:
        parse_reply(spec(), status, body)
    assert caught.value.kind == kind
    ok = parse_reply(spec(), 200, b'{"actionStatus": "SUCCESS", "extra": 1}')
    assert ok.status == "SUCCESS" and ok.operations == []
    incomplete = parse_reply(spec("authentication"), 200, b'{"actionStatus": "INCOMPLETE"}')
    assert incomplete.status == "INCOMPLETE"
