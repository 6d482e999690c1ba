"""Marking English texts for translation where they are written (``N_``).

``N_("Try again in {minutes} minute(s).")`` returns a :class:`Source`: still a ``str`` equal to
its English text, so code that compares, logs or formats it behaves as before. Formatting it
(``.format(minutes=3)``) returns a :class:`Formatted`: again an ordinary ``str`` (the English
result) that also remembers its source text and parameters, so the page that shows it can
translate the source text and format the translation with the same parameters.

This module has no dependencies: any layer may mark its texts.
"""

from __future__ import annotations

from typing import Any


class Source(str):
    """An English text marked for translation (``N_``); it is its own catalog key."""

    __slots__ = ()

    def format(self, *args: Any, **params: Any) -> str:
        text = super().format(*args, **params)
        if args:  # positional fields are not translatable: plain English
            return text
        return Formatted(text, str(self), params)


class Formatted(str):
    """The English result of formatting a :class:`Source`, with the source and parameters."""

    source: str
    params: dict[str, Any]

    def __new__(cls, text: str, source: str, params: dict[str, Any]) -> Formatted:
        made = super().__new__(cls, text)
        made.source = source
        made.params = dict(params)
        return made


# Every text marked so far: formatted English that lost its source (stored as JSON) is matched
# against these (and the texts of identra.i18n.sources), never against template literals.
MARKED: set[str] = set()


def N_(text: str) -> Source:
    """Mark ``text`` (an English literal) for translation; the extraction test collects it."""
    MARKED.add(text)
    return Source(text)
