"""RFC 7636 §4.3 at the authorization endpoint: S256 required for public clients (RFC 9700
§2.1.1) and for every client whose application requires PKCE; ``plain`` refused."""

from __future__ import annotations

from identra.protocols.oauth2 import pkce
from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.params import single


def check_pkce(draft: Draft) -> None:
    client = draft.need_client()
    required = client.is_public or client.pkce_required
    draft.code_challenge = pkce.check_challenge(
        single(draft.params, "code_challenge"),
        single(draft.params, "code_challenge_method"),
        required,
    )
