"""OIDC Core §6 and §7.2.1: request objects and registration by value are not supported.

``request_uri`` is handled before the checks run (RFC 9126 pushed requests, when enabled).
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oidc.errors import RegistrationNotSupported, RequestNotSupported


def check_unsupported(draft: Draft) -> None:
    if "request" in draft.params:
        raise RequestNotSupported("request objects are not supported")
    if "registration" in draft.params:
        raise RegistrationNotSupported("the registration parameter is not supported")
