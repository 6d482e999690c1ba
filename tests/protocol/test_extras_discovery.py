"""RFC 8414 §2 members of the non-interactive endpoints in the discovery documents."""

from __future__ import annotations

from tests.protocol.extras_helpers import DEVICE_CODE, TOKEN_EXCHANGE
from tests.support import Harness


async def test_metadata_names_the_endpoints(h: Harness) -> None:
    await h.create_org("acme")
    for prefix in ("", "/o/acme"):
        issuer = f"{h.settings.issuer}{prefix}"
        for doc in ("openid-configuration", "oauth-authorization-server"):
            resp = await h.client.get(f"{prefix}/.well-known/{doc}")
            assert resp.status_code == 200, resp.text
            meta = resp.json()
            assert meta["issuer"] == issuer
            assert meta["introspection_endpoint"] == f"{issuer}/oauth2/introspect"
            assert meta["revocation_endpoint"] == f"{issuer}/oauth2/revoke"
            assert meta["pushed_authorization_request_endpoint"] == f"{issuer}/oauth2/par"
            assert meta["device_authorization_endpoint"] == f"{issuer}/oauth2/device_authorization"
            assert {DEVICE_CODE, TOKEN_EXCHANGE, "client_credentials"} <= set(
                meta["grant_types_supported"]
            )
            methods = set(meta["token_endpoint_auth_methods_supported"])
            assert {
                "private_key_jwt",
                "client_secret_jwt",
                "client_secret_basic",
                "none",
            } <= methods
            assert "none" not in meta["introspection_endpoint_auth_methods_supported"]
            assert "none" in meta["revocation_endpoint_auth_methods_supported"]
            assert "ES256" in meta["dpop_signing_alg_values_supported"]
            assert "HS256" not in meta["dpop_signing_alg_values_supported"]
            assert "RS256" in meta["token_endpoint_auth_signing_alg_values_supported"]
