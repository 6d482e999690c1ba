"""OIDC Core §3.1.2.1: ``prompt`` and ``max_age``.

- ``prompt`` is a space-separated subset of none, login, consent, select_account; ``none``
  with any other value is ``invalid_request``; unknown values are ``invalid_request``.
- ``max_age`` is a non-negative integer number of seconds; ``max_age=0`` forces a login.
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.errors import InvalidRequest
from identra.protocols.oauth2.params import single

PROMPTS = ("none", "login", "consent", "select_account")


def check_prompt(draft: Draft) -> None:
    raw = single(draft.params, "prompt")
    values = [v for v in (raw or "").split(" ") if v]
    unknown = [v for v in values if v not in PROMPTS]
    if unknown:
        raise InvalidRequest("unsupported prompt value")
    if "none" in values and len(set(values)) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    draft.prompt = list(dict.fromkeys(values))


def check_max_age(draft: Draft) -> None:
    raw = single(draft.params, "max_age")
    if raw is None or raw == "":
        return
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequest("max_age must be a non-negative integer")
    draft.max_age = int(raw)
