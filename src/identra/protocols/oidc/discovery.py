"""Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 (same document).

Only what exists is advertised. Endpoints added by other feature modules (introspection,
revocation, PAR, device authorization, registration...) merge their own members in through
``extra``; grant types come from the token endpoint's grant registry.
``id_token_signing_alg_values_supported`` lists the algorithms the keyring has active keys for
(what a client may register as ``id_token_signed_response_alg``); ``subject_types_supported``
both public and pairwise (OIDC Core §8).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from identra.protocols.oauth2.checks.prompt import PROMPTS
from identra.protocols.oauth2.checks.response import RESPONSE_MODES, RESPONSE_TYPES
from identra.protocols.oauth2.pkce import SUPPORTED_METHODS
from identra.protocols.oidc.claims import CLAIMS_SUPPORTED, OIDC_SCOPES
from identra.protocols.oidc.id_token import SIGNING_ALGS
from identra.protocols.oidc.subjects import SUBJECT_TYPES

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def metadata(
    issuer: str,
    *,
    grant_types: Iterable[str],
    acr_values: Iterable[str] = (),
    signing_algs: Iterable[str] = SIGNING_ALGS,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    algs = list(signing_algs)
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "jwks_uri": f"{issuer}/oauth2/jwks",
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "scopes_supported": list(OIDC_SCOPES),
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": list(RESPONSE_MODES),
        "grant_types_supported": sorted(set(grant_types)),
        "subject_types_supported": list(SUBJECT_TYPES),
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "code_challenge_methods_supported": list(SUPPORTED_METHODS),
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "prompt_values_supported": list(PROMPTS),
        "display_values_supported": ["page"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
    acr = list(acr_values)
    if acr:
        doc["acr_values_supported"] = acr
    for key, value in (extra or {}).items():
        current = doc.get(key)
        if isinstance(current, list) and isinstance(value, list):
            doc[key] = [*current, *(v for v in value if v not in current)]
        else:
            doc[key] = value
    return doc
