"""The grant types the token endpoint knows. Add a grant: write its module, list it here."""

from __future__ import annotations

from identra.protocols.oauth2.grants.authorization_code import AuthorizationCodeGrant
from identra.protocols.oauth2.grants.base import Grant
from identra.protocols.oauth2.grants.client_credentials import ClientCredentialsGrant
from identra.protocols.oauth2.grants.device_code import DeviceCodeGrant
from identra.protocols.oauth2.grants.password import PasswordGrant
from identra.protocols.oauth2.grants.refresh_token import RefreshTokenGrant
from identra.protocols.oauth2.grants.token_exchange import TokenExchangeGrant


def default_grants() -> dict[str, Grant]:
    grants: list[Grant] = [
        ClientCredentialsGrant(),
        AuthorizationCodeGrant(),
        RefreshTokenGrant(),
        DeviceCodeGrant(),
        TokenExchangeGrant(),
        PasswordGrant(),
    ]
    return {grant.grant_type: grant for grant in grants}
