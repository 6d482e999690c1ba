"""Internationalisation of the hosted pages (see docs/i18n.md).

- :mod:`identra.i18n.message`: ``N_`` marks English texts where they are written;
- :mod:`identra.i18n.negotiate`: the locale of a response (``ui_locales``, then
  ``Accept-Language``, then English; RFC 4647 lookup);
- :mod:`identra.i18n.catalog`: the catalogs (``catalogs/<locale>.json``, English source text
  to translation) and :func:`~identra.i18n.catalog.translate`;
- :mod:`identra.i18n.html`: ``_()`` for the Jinja templates (escaped, locale of the page);
- :mod:`identra.i18n.sources`: texts shown on the pages that are written where ``N_`` cannot
  be used (f-strings, labels, constants of other layers).
"""

from identra.i18n.message import N_, Formatted, Source

__all__ = ["N_", "Formatted", "Source"]
