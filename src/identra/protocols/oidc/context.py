"""What the user-facing grants (authorization code, refresh token) need beyond
:class:`~identra.protocols.oauth2.context.TokenContext`.

The web layer builds an :class:`OidcTokenContext` for every token request; grants that need
it call :func:`oidc_context`, which fails loudly (``server_error``) on a wiring mistake
rather than misbehaving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from identra.cache.base import Cache
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import ServerError
from identra.protocols.oauth2.tokens import Signer
from identra.protocols.oidc.codes import CodeStore
from identra.protocols.oidc.storage import (
    ClientSettingsStore,
    GrantStore,
    PasswordCheck,
    UserDirectory,
)


@dataclass(frozen=True)
class OidcTokenContext(TokenContext):
    cache: Cache
    codes: CodeStore
    grants: GrantStore
    users: UserDirectory
    client_settings: ClientSettingsStore
    digest: Callable[[str], str]
    code_ttl: int
    refresh_token_ttl: int
    id_token_ttl: int
    # OIDC Core §3.1.3.7 / Discovery: RS256 is the ID-token algorithm every relying party can
    # verify without registering one, whatever the deployment signs access tokens with.
    id_token_signer: Signer | None = field(default=None, kw_only=True)
    # The active key of an algorithm (``Keyring.signer``), for clients that registered an
    # ``id_token_signed_response_alg`` (OIDC Registration §2); KeyError when there is none.
    # Without it, such a client is served by ``id_token_signer`` or ``signer`` when one of them
    # has its algorithm.
    id_token_signers: Callable[[str], Signer] | None = field(default=None, kw_only=True)
    # RFC 6749 §4.3, for applications that enable the password grant explicitly.
    passwords: PasswordCheck | None = field(default=None, kw_only=True)


def oidc_context(ctx: TokenContext) -> OidcTokenContext:
    if not isinstance(ctx, OidcTokenContext):
        raise ServerError("the token endpoint is not configured for user grants")
    return ctx
