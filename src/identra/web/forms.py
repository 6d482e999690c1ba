"""Reading HTML form posts of the hosted pages."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import UploadFile
from starlette.requests import Request

MAX_FIELD = 4096
# Fields that legitimately carry more: a WebAuthn response (JSON with the attestation).
LARGE_FIELDS = {"credential": 16384}


async def read_form(request: Request, limits: Mapping[str, int] | None = None) -> dict[str, str]:
    """The posted fields (first value of each), each cut to its limit (``limits``, else
    :data:`LARGE_FIELDS`, else :data:`MAX_FIELD`); anything but a urlencoded form is empty."""
    sizes = {**LARGE_FIELDS, **(limits or {})}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile) or key in out:
            continue  # files and repeated fields are ignored: first value wins
        out[key] = value[: sizes.get(key, MAX_FIELD)]
    return out
