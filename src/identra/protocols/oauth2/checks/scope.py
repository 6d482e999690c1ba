"""RFC 6749 §3.3 scope, OIDC Core §3.1.2.1 and §11.

- The OpenID Connect scopes (``openid``, ``profile``, ``email``, ``address``, ``phone``,
  ``offline_access``) are available to every client that may use the code flow; any other
  scope must be allowed for the client, otherwise ``invalid_scope``.
- ``offline_access`` is ignored unless ``openid`` is present and the client may refresh
  (§11: "MUST ignore the offline_access request unless the Client is using a response_type
  value that would result in an Authorization Code being returned").
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.errors import InvalidScope
from identra.protocols.oauth2.params import scopes, single
from identra.protocols.oidc.claims import OIDC_SCOPES


def check_scope(draft: Draft) -> None:
    client = draft.need_client()
    requested = scopes(single(draft.params, "scope"))
    refused = [s for s in requested if s not in OIDC_SCOPES and s not in client.scopes]
    if refused:
        raise InvalidScope(f"scope not allowed for this client: {' '.join(refused)}")
    if "offline_access" in requested and (
        "openid" not in requested or "refresh_token" not in client.grant_types
    ):
        requested.remove("offline_access")
    draft.scopes = requested
