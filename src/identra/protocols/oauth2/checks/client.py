"""RFC 6749 §4.1.1 / §2.2: ``client_id`` names an enabled client of this organization.

An unknown client cannot be redirected to (nothing vouches for any redirect URI): error page.
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft, NoRedirect
from identra.protocols.oauth2.errors import InvalidRequest, OAuth2Error, UnauthorizedClient
from identra.protocols.oauth2.params import single
from identra.protocols.oauth2.storage import ClientStore


async def check_client(draft: Draft, clients: ClientStore) -> None:
    try:
        client_id = single(draft.params, "client_id")
    except OAuth2Error as error:
        raise NoRedirect(error) from None
    if not client_id:
        raise NoRedirect(InvalidRequest("missing parameter client_id"))
    client = await clients.by_client_id(client_id)
    if client is None or client.org_id != draft.tenant.org_id or not client.enabled:
        raise NoRedirect(InvalidRequest("unknown or disabled client"))
    if "authorization_code" not in client.grant_types:
        raise NoRedirect(UnauthorizedClient("this client may not use the authorization code flow"))
    draft.client = client
