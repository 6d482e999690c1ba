"""Choosing the locale of a page: RFC 4647 §3.4 lookup over the user's preferences.

Preferences come, in this order, from the OIDC ``ui_locales`` of the login request the page
belongs to (OIDC Core §3.1.2.1: space-separated, most preferred first) and from the browser's
``Accept-Language`` header (RFC 9110 §12.5.4: ranges with q-values). The first preference any
shipped locale matches wins; when none does, the page is English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

DEFAULT = "en"
MAX_HEADER = 1024  # longer headers are cut here: nobody prefers 100 languages
MAX_RANGES = 32
_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")


def accept_language(header: str | None) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, most preferred first.

    Ranges with ``q=0`` (not acceptable) and malformed ones are dropped; equal q-values keep
    the order of the header. ``*`` is kept (lookup ignores it).
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:MAX_HEADER].split(",")[:MAX_RANGES]):
        tag, _, params = part.partition(";")
        tag = tag.strip()
        if tag != "*" and not _TAG.fullmatch(tag):
            continue
        quality = 1.0
        for param in params.split(";") if params else ():
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else -1.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(ranked)]


def lookup(preferences: Iterable[str], available: Collection[str]) -> str | None:
    """RFC 4647 §3.4 lookup: each preference, then shorter and shorter prefixes of it
    (``de-CH-1996`` → ``de-CH`` → ``de``), against the available locales; the first match."""
    shipped = {locale.lower(): locale for locale in available}
    for preference in preferences:
        tag = preference.strip().lower()
        if tag == "*" or not _TAG.fullmatch(tag):
            continue
        while tag:
            if tag in shipped:
                return shipped[tag]
            tag = tag.rpartition("-")[0]
            # A single-letter subtag (an extension or private-use marker) goes with the next.
            while "-" in tag and len(tag.rpartition("-")[2]) == 1:
                tag = tag.rpartition("-")[0]
    return None


def choose(
    ui_locales: Iterable[str] = (),
    accept: str | None = None,
    available: Collection[str] = (DEFAULT,),
) -> str:
    """The locale of a page: ``ui_locales`` first, then ``Accept-Language``, then English."""
    return lookup(ui_locales, available) or lookup(accept_language(accept), available) or DEFAULT
