"""Which user claims are released, and where (OIDC Core 1.0 §5.4, §5.5).

- §5.4: the ``profile``, ``email``, ``address`` and ``phone`` scopes request sets of claims.
  With a response type that issues an access token (``code``), they are returned from the
  UserInfo endpoint, not in the ID token.
- §5.5: the ``claims`` request parameter asks for individual claims in the ``userinfo`` and/or
  ``id_token`` member; each claim is ``null`` or an object with ``essential``, ``value`` or
  ``values``. Claims the OP does not know are ignored (§5.5.1: "MUST ignore").
"""

from __future__ import annotations

import json
from typing import Any

from identra.protocols.oauth2.errors import InvalidRequest

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
OIDC_SCOPES = ("openid", "offline_access", *SCOPE_CLAIMS)
USER_CLAIMS = tuple(c for claims in SCOPE_CLAIMS.values() for c in claims)
# Claims about the authentication event, requestable in the ID token (§5.5.1.1 for acr).
ID_TOKEN_CLAIMS = ("sub", "auth_time", "acr", "amr", "sid", "nonce", "azp", "at_hash", "c_hash")
CLAIMS_SUPPORTED = (
    "iss",
    "aud",
    "exp",
    "iat",
    *ID_TOKEN_CLAIMS,
    *USER_CLAIMS,
)
_MEMBERS = ("userinfo", "id_token")


def parse_claims_parameter(raw: str | None) -> dict[str, dict[str, Any]]:
    """Validate the ``claims`` parameter (§5.5); returns {"userinfo": {...}, "id_token": {...}}."""
    if raw is None or raw == "":
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest("the claims parameter is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("the claims parameter must be a JSON object")
    out: dict[str, dict[str, Any]] = {}
    for member in _MEMBERS:
        requested = data.get(member)
        if requested is None:
            continue
        if not isinstance(requested, dict):
            raise InvalidRequest(f"claims.{member} must be a JSON object")
        clean: dict[str, Any] = {}
        for name, spec in requested.items():
            if spec is not None and not isinstance(spec, dict):
                raise InvalidRequest(f"claims.{member}.{name} must be null or an object")
            if isinstance(spec, dict):
                if "essential" in spec and not isinstance(spec["essential"], bool):
                    raise InvalidRequest(f"claims.{member}.{name}.essential must be a boolean")
                if "values" in spec and not isinstance(spec["values"], list):
                    raise InvalidRequest(f"claims.{member}.{name}.values must be an array")
            clean[str(name)] = spec
        out[member] = clean
    return out


def requested_claim_names(claims_request: dict[str, dict[str, Any]]) -> set[str]:
    """User claims named in either member (what consent must cover)."""
    names: set[str] = set()
    for member in _MEMBERS:
        names.update(n for n in claims_request.get(member, {}) if n in USER_CLAIMS)
    return names


def essential_acr(claims_request: dict[str, dict[str, Any]]) -> tuple[str, ...] | None:
    """§5.5.1.1: an essential ``acr`` request in the id_token member, as the accepted values."""
    spec = claims_request.get("id_token", {}).get("acr")
    if not isinstance(spec, dict) or not spec.get("essential"):
        return None
    if "values" in spec:
        return tuple(str(v) for v in spec["values"])
    if "value" in spec:
        return (str(spec["value"]),)
    return None


def release(
    profile_claims: dict[str, Any],
    scopes: list[str],
    member_request: dict[str, Any] | None,
    *,
    include_scope_claims: bool,
) -> dict[str, Any]:
    """The user claims to return: those implied by scope (when asked) plus those requested."""
    wanted: set[str] = set()
    if include_scope_claims:
        for scope in scopes:
            wanted.update(SCOPE_CLAIMS.get(scope, ()))
    if member_request:
        wanted.update(n for n in member_request if n in USER_CLAIMS)
    return {
        name: profile_claims[name]
        for name in USER_CLAIMS
        if name in wanted and name in profile_claims
    }
