"""RFC 6749 §3.1.1 ``response_type`` and OAuth 2.0 Multiple Response Types / Form Post
Response Mode ``response_mode``.

- ``response_mode`` is ``query`` (the default for ``code``), ``fragment`` or ``form_post``; it
  is read first so that every later error travels the way the client asked.
- Only ``code`` is supported: other registered types are ``unsupported_response_type``
  (§4.1.2.1); a missing one is ``invalid_request``.
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.errors import InvalidRequest, UnsupportedResponseType
from identra.protocols.oauth2.params import single

RESPONSE_TYPES = ("code",)
RESPONSE_MODES = ("query", "fragment", "form_post")
KNOWN_TYPES = {"code", "token", "id_token", "none"}


def check_response_mode(draft: Draft) -> None:
    mode = single(draft.params, "response_mode")
    if mode is None:
        return
    if mode not in RESPONSE_MODES:
        raise InvalidRequest("unsupported response_mode")
    draft.response_mode = mode


def check_response_type(draft: Draft) -> None:
    value = single(draft.params, "response_type")
    if not value:
        raise InvalidRequest("missing parameter response_type")
    parts = value.split(" ")
    if " ".join(sorted(parts)) in RESPONSE_TYPES:
        draft.response_type = value
        return
    if all(part in KNOWN_TYPES for part in parts):
        raise UnsupportedResponseType(f"response_type {value} is not supported")
    raise UnsupportedResponseType("unknown response_type")
