"""Reading HTML form posts of the hosted pages."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

MAX_FIELD = 4096
# Fields that legitimately carry more: a WebAuthn response (JSON with the attestation).
LARGE_FIELDS = {"credential": 16384}


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile) or key in out:
            continue  # files and repeated fields are ignored: first value wins
        out[key] = value[: LARGE_FIELDS.get(key, MAX_FIELD)]
    return out
