"""The translation catalogs and :func:`translate`.

A catalog is data: ``catalogs/<locale>.json``, one JSON object mapping each English source text
(the key, exactly as written in a template's ``_("...")`` or a Python ``N_("...")``) to its
translation. Placeholders are ``{name}`` (``str.format`` fields); a translation uses the same
names, in whatever order the language needs. English is the source language and has no
catalog. A text missing from a catalog is shown in English.

:func:`translate` takes what a page is about to show and returns it in the locale:

- a :class:`~identra.i18n.message.Formatted` text (an ``N_`` text formatted in Python) is
  re-formatted from the translation of its source with the same parameters;
- any other text found in the catalog is replaced by its translation;
- an already formatted English text that lost its type on the way (stored as JSON, for
  example) is matched against the catalog's texts with placeholders and re-formatted from the
  translation with the values it contained.

Parameters are values, not words, and stay as they are, except those named in
:data:`WORD_PARAMETERS` (``{thing}`` = "code" or "link", ...), which are themselves catalog
texts and are translated too.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from identra.i18n.message import Formatted
from identra.i18n.negotiate import DEFAULT

log = logging.getLogger(__name__)

# Parameters whose values are English words of the sentence, not data (see module docstring).
WORD_PARAMETERS = frozenset({"thing", "things", "attempts", "destination_kind", "label"})
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    """The named ``str.format`` fields of ``text``."""
    names = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


@dataclass(frozen=True)
class Catalog:
    locale: str
    entries: Mapping[str, str]
    patterns: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def build(cls, locale: str, entries: Mapping[str, str]) -> Catalog:
        patterns = []
        for source in entries:
            if not _FIELD.search(source):
                continue
            parts = _FIELD.split(source)  # literal, name, literal, name, ..., literal
            regex = ""
            seen: set[str] = set()
            for index, part in enumerate(parts):
                if index % 2 == 0:
                    regex += re.escape(part)
                elif part in seen:
                    regex += f"(?P={part})"
                else:
                    seen.add(part)
                    regex += f"(?P<{part}>.+?)"
            patterns.append((re.compile(regex, re.DOTALL), source))
        # Most literal text first: the most specific template wins.
        patterns.sort(key=lambda item: -len(_FIELD.sub("", item[1])))
        return cls(locale, dict(entries), tuple(patterns))

    def word(self, name: str, value: Any) -> Any:
        if name in WORD_PARAMETERS and isinstance(value, str):
            return self.entries.get(value, value)
        return value

    def fill(self, source: str, params: Mapping[str, Any]) -> str | None:
        """The translation of ``source`` formatted with ``params``; None if it cannot be."""
        translated = self.entries.get(source)
        if translated is None:
            return None
        try:
            return translated.format(**{k: self.word(k, v) for k, v in params.items()})
        except (KeyError, IndexError, ValueError, AttributeError):
            log.warning("catalog %s: cannot format the translation of %r", self.locale, source)
            return None

    def translate(self, text: str) -> str:
        if isinstance(text, Formatted):
            return self.fill(text.source, text.params) or str(text)
        found = self.entries.get(text)
        if found is not None:
            return found
        if "{" in text or len(text) > 2000:
            return str(text)  # not a formatted message
        for pattern, source in self.patterns:
            matched = pattern.fullmatch(text)
            if matched is not None:
                return self.fill(source, matched.groupdict()) or str(text)
        return str(text)


def _folder() -> Any:
    return resources.files("identra.i18n").joinpath("catalogs")


@functools.cache
def shipped() -> tuple[str, ...]:
    """The locales pages can be shown in: English and every catalog."""
    names = sorted(
        entry.name.removesuffix(".json")
        for entry in _folder().iterdir()
        if entry.name.endswith(".json")
    )
    return (DEFAULT, *names)


@functools.cache
def catalog(locale: str) -> Catalog | None:
    """The catalog of ``locale`` (None for English and unknown locales)."""
    if locale == DEFAULT or locale not in shipped():
        return None
    raw = json.loads(_folder().joinpath(f"{locale}.json").read_text(encoding="utf-8"))
    entries = {str(k): str(v) for k, v in raw.items()}
    return Catalog.build(locale, entries)


def translate(text: str, locale: str) -> str:
    """``text`` (English, see the module docstring) in ``locale``; English when unknown."""
    found = catalog(locale)
    if found is None:
        return str(text)
    return found.translate(text)
