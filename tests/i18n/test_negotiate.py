"""Choosing the locale: RFC 4647 lookup over ui_locales, then Accept-Language with q-values."""

from __future__ import annotations

import pytest

from identra.i18n.negotiate import accept_language, choose, lookup

SHIPPED = ("en", "de", "fr")


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", ["fr-CA", "fr", "en"]),
        ("en;q=0.1, de", ["de", "en"]),  # q-values, not the order of the header
        ("de;q=0.5, fr;q=0.5", ["de", "fr"]),  # equal q: the header's order
        ("fr;q=0, de", ["de"]),  # q=0: not acceptable
        ("*;q=0.5, de-AT", ["de-AT", "*"]),
        ("de;q=2, fr;q=abc, en;q=0.123", ["en"]),  # invalid q-values drop the range
        ("12, x_y, de-CH-1996, ", ["de-CH-1996"]),  # malformed tags are skipped
        ("", []),
        (None, []),
        ("DE ; Q=0.7", ["DE"]),
    ],
)
def test_accept_language(header: str | None, ranges: list[str]) -> None:
    assert accept_language(header) == ranges


def test_accept_language_is_bounded() -> None:
    header = ",".join(["xx"] * 1000) + ",de"
    assert "de" not in accept_language(header)
    assert len(accept_language(header)) <= 32


@pytest.mark.parametrize(
    ("preferences", "found"),
    [
        (["de-CH-1996"], "de"),
        (["fr-CA", "de"], "fr"),
        (["it", "de"], "de"),
        (["it", "es"], None),
        (["zh-Hant-CN-x-private1"], None),
        (["de-x-private"], "de"),  # the single-letter subtag goes with its value
        (["DE"], "de"),
        (["*"], None),
        (["de-"], None),
    ],
)
def test_lookup(preferences: list[str], found: str | None) -> None:
    assert lookup(preferences, SHIPPED) == found


def test_choose_order() -> None:
    # ui_locales first, then Accept-Language, then English.
    assert choose(("fr",), "de", SHIPPED) == "fr"
    assert choose(("it", "de-AT"), "fr", SHIPPED) == "de"
    assert choose(("it",), "fr-CA,fr;q=0.9", SHIPPED) == "fr"
    assert choose((), "it, es;q=0.5", SHIPPED) == "en"
    assert choose((), None, SHIPPED) == "en"
    assert choose(("de",), None, ("en",)) == "en"  # only shipped locales
