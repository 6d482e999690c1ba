"""RFC 9449 §10: ``dpop_jkt`` binds the authorization code to a DPoP key.

The value is the base64url SHA-256 JWK thumbprint (RFC 7638) of the key the client will prove
possession of at the token endpoint; a malformed value is ``invalid_request``.
"""

from __future__ import annotations

import re

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.errors import InvalidRequest
from identra.protocols.oauth2.params import single

_THUMBPRINT = re.compile(r"^[A-Za-z0-9_-]{43}$")


def check_dpop_jkt(draft: Draft) -> None:
    value = single(draft.params, "dpop_jkt")
    if value is None:
        return
    if not _THUMBPRINT.match(value):
        raise InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
    draft.dpop_jkt = value
