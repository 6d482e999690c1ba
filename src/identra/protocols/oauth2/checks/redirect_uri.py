"""RFC 6749 §3.1.2.3 / RFC 9700 §4.1.3 / OIDC Core §3.1.2.1: the redirect URI.

- Compared to the registered URIs by exact string match: no prefix, wildcard or
  normalisation (RFC 9700 §4.1.3).
- OIDC requests (``openid`` scope) must send it; plain OAuth requests may omit it when exactly
  one URI is registered (§3.1.2.3).
- A mismatch is never redirected to: error page (§4.1.2.1).
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft, NoRedirect
from identra.protocols.oauth2.errors import InvalidRequest, OAuth2Error
from identra.protocols.oauth2.params import single


def check_redirect_uri(draft: Draft) -> None:
    client = draft.need_client()
    try:
        uri = single(draft.params, "redirect_uri")
    except OAuth2Error as error:
        raise NoRedirect(error) from None
    # Only to know whether this is an OIDC request; a repeated scope is reported later.
    openid = any("openid" in value.split(" ") for value in draft.params.get("scope", []))
    if uri is None:
        if openid:
            raise NoRedirect(InvalidRequest("missing parameter redirect_uri"))
        if len(client.redirect_uris) != 1:
            raise NoRedirect(InvalidRequest("missing parameter redirect_uri"))
        draft.redirect_uri = client.redirect_uris[0]
        draft.redirect_uri_sent = False
        return
    if uri not in client.redirect_uris:
        raise NoRedirect(
            InvalidRequest("redirect_uri is not registered for this client", debug=uri[:200])
        )
    draft.redirect_uri = uri
    draft.redirect_uri_sent = True
