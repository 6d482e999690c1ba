"""OIDC Core §3.1.2.1 hints and context: ``state``, ``nonce``, ``login_hint``,
``id_token_hint``, ``acr_values``, ``ui_locales``, ``display`` and ``claims`` (§5.5).

- ``id_token_hint`` must be an ID token this issuer signed for this client; it may have
  expired (§3.1.2.1: "the OP SHOULD NOT ... reject an ID Token Hint ... because it has
  expired"). Anything else is ``invalid_request``. Its ``sub`` is kept as the client knows it
  (``hint_subject``), in the client's subject space (§8); :func:`hinted_user` tells which local
  user it names. A public ``sub`` is the local id. A pairwise one cannot be reversed: it names
  the SSO session's user when that user's pairwise ``sub`` is the hint's, and otherwise nobody
  this request can tell. Then the hinted user counts as not logged in (§3.1.2.1: with
  ``prompt=none`` that is ``login_required``); otherwise the login runs without an expected
  user, and whoever logs in must have the hinted ``sub`` (else ``login_required``).
- Lengths are bounded so that a request cannot grow the stored interaction without limit.
"""

from __future__ import annotations

from identra.protocols.oauth2.checks.base import Draft
from identra.protocols.oauth2.errors import InvalidRequest
from identra.protocols.oauth2.params import single
from identra.protocols.oidc.claims import parse_claims_parameter
from identra.protocols.oidc.id_token import TokenInvalid
from identra.protocols.oidc.storage import ClientSettings
from identra.protocols.oidc.subjects import PAIRWISE, Subjects

DISPLAYS = ("page", "popup", "touch", "wap")


def _bounded(draft: Draft, name: str, limit: int) -> str | None:
    value = single(draft.params, name)
    if value is not None and len(value) > limit:
        raise InvalidRequest(f"{name} is too long")
    return value


def check_state_and_nonce(draft: Draft) -> None:
    draft.state = _bounded(draft, "state", 2048)
    draft.nonce = _bounded(draft, "nonce", 1024) or None


def check_display(draft: Draft) -> None:
    display = single(draft.params, "display")
    if display and display not in DISPLAYS:
        raise InvalidRequest("unsupported display value")


def check_login_context(draft: Draft) -> None:
    draft.login_hint = _bounded(draft, "login_hint", 320) or None
    draft.acr_values = [v for v in (_bounded(draft, "acr_values", 1024) or "").split(" ") if v]
    draft.ui_locales = [v for v in (_bounded(draft, "ui_locales", 256) or "").split(" ") if v]
    draft.claims = parse_claims_parameter(_bounded(draft, "claims", 8192))


def check_id_token_hint(draft: Draft) -> None:
    hint = single(draft.params, "id_token_hint")
    if not hint:
        return
    client = draft.need_client()
    try:
        claims = draft.verifier.verify(
            hint, issuer=draft.tenant.issuer, now=draft.now, typ=("JWT",), check_expiry=False
        )
    except TokenInvalid as exc:
        raise InvalidRequest("id_token_hint is not a valid ID token of this issuer") from exc
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client.client_id not in audiences or not isinstance(claims.get("sub"), str):
        raise InvalidRequest("id_token_hint was not issued to this client")
    draft.hint_subject = claims["sub"]


def hinted_user(
    hint_subject: str | None,
    candidate: str | None,
    settings: ClientSettings,
    subjects: Subjects,
) -> str | None:
    """The local id of the user ``id_token_hint`` names, as far as it can be told.

    ``hint_subject`` is the hint's ``sub`` (the client's subject space); ``candidate`` the user
    it may name: the SSO session's, or the one who just logged in. For a public client the
    ``sub`` is the local id; for a pairwise client it is ``candidate`` when the candidate's
    pairwise ``sub`` is the hint's, and None (unknown) otherwise.
    """
    if hint_subject is None:
        return None
    if settings.subject_type != PAIRWISE:
        return hint_subject
    if candidate is not None and subjects.names(settings, hint_subject, candidate):
        return candidate
    return None
