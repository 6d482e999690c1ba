"""Translating what a page shows: marked texts, texts formatted in Python (with and without
their source attached), word parameters, escaping, and broken translations."""

from __future__ import annotations

import json

from markupsafe import Markup

import identra.authenticators.email_otp.outofband  # noqa: F401 - marks its messages (N_)
from identra.i18n import N_, Formatted
from identra.i18n.catalog import Catalog, translate
from identra.i18n.html import gettext, rendering, strong

LOCKED = N_("Too many failed attempts. Try again in {minutes} minute(s).")


def test_marked_texts_stay_english_strings() -> None:
    assert LOCKED == "Too many failed attempts. Try again in {minutes} minute(s)."
    message = LOCKED.format(minutes=3)
    assert message == "Too many failed attempts. Try again in 3 minute(s)."
    assert isinstance(message, Formatted) and message.params == {"minutes": 3}
    assert json.loads(json.dumps({"error": message})) == {"error": str(message)}
    positional = N_("{} of {}").format(1, 2)
    assert positional == "1 of 2" and type(positional) is str  # plain English, untranslatable


def test_static_and_formatted_texts() -> None:
    assert translate("Sign in", "de") == "Anmelden"
    assert translate("Sign in", "fr") == "Se connecter"
    assert translate("Sign in", "en") == "Sign in"
    assert translate("Sign in", "xx") == "Sign in"
    assert translate(LOCKED.format(minutes=3), "de") == (
        "Zu viele fehlgeschlagene Versuche. Versuchen Sie es in 3 Minute(n) erneut."
    )
    assert translate("Something nobody translated.", "de") == "Something nobody translated."


def test_formatted_text_that_lost_its_source_is_matched() -> None:
    # As stored in JSON (the one-time code notice lives in the flow's scratch state).
    notice = "We sent a code to •••• 67. It expires in 5 minutes."
    assert translate(notice, "de") == (
        "Wir haben einen Code an •••• 67 gesendet. Er läuft in 5 Minuten ab."
    )
    assert translate(notice, "fr") == (
        "Nous avons envoyé un code à •••• 67. Il expire dans 5 minutes."
    )
    # Word parameters are translated; values are not.
    wrong = "That code is not correct. 1 more try before it stops working."
    assert translate(wrong, "de") == (
        "Dieser Code ist nicht korrekt. Noch 1 Versuch, bevor er ungültig wird."
    )
    link = "Wait 30 seconds before asking for another link."
    assert translate(link, "fr") == "Attendez 30 secondes avant de demander un autre lien."
    # A value that happens to be a catalog text stays as it is.
    assert translate("Sign in with Password", "de") == "Mit Password anmelden"


def test_only_texts_formatted_in_python_are_matched() -> None:
    # Template literals with placeholders are looked up, never matched: an English text that
    # happens to start like one stays English.
    assert translate("for everyone", "de") == "for everyone"
    assert translate("Read the manual", "fr") == "Read the manual"
    assert translate("Remove the old key", "de") == "Remove the old key"
    catalog = Catalog.build("xx", {"Held for {n} days.": "Gehalten: {n}."})
    assert catalog.translate("Held for 3 days.") == "Held for 3 days."
    N_("Held for {n} days.")  # marked in Python: now matched
    assert catalog.translate("Held for 3 days.") == "Gehalten: 3."


def test_matching_takes_each_literal_once() -> None:
    catalog = Catalog.build("xx", {N_("From {a} to {b} and {c}."): "{c}/{b}/{a}"})
    assert catalog.translate("From x to y and z.") == "z/y/x"
    # A literal is taken at its first occurrence, never searched for again.
    assert catalog.translate("From x to y to w and z.") == "z/y to w/x"
    assert catalog.translate("From  to y and z.") == "From  to y and z."  # empty value
    assert catalog.translate("From x to y and z") == "From x to y and z"
    # Texts built to make a backtracking matcher explode take linear time here (a regular
    # expression with three lazy groups needs seconds for this one).
    hostile = "From " + " to " * 300 + " and " * 300 + "x"
    assert catalog.translate(hostile) == hostile
    assert catalog.translate("From " + "x" * 10_000 + ".") == "From " + "x" * 10_000 + "."


def test_a_broken_translation_falls_back_to_english() -> None:
    source = N_("Try again in {minutes} minute(s).")
    catalog = Catalog.build("xx", {source: "Wait {minuten}."})
    assert catalog.translate(source.format(minutes=2)) == "Try again in 2 minute(s)."
    assert catalog.translate("Try again in 2 minute(s).") == "Try again in 2 minute(s)."


def test_template_function_escapes_text_and_values() -> None:
    with rendering("de"):
        assert gettext("Sign in") == Markup("Anmelden")
        assert gettext("Signed in as {user}", user="<b>x</b>") == (
            "Angemeldet als &lt;b&gt;x&lt;/b&gt;"
        )
        # A value that is markup already is inserted as it is.
        assert gettext("Signed in as {user}", user=strong("a&b")) == (
            "Angemeldet als <strong>a&amp;b</strong>"
        )
        assert gettext(None) == ""
        assert gettext(Markup("<em>kept</em>")) == "<em>kept</em>"
        # An English text with markup characters from Python is escaped.
        assert gettext("Use <this> & that") == "Use &lt;this&gt; &amp; that"
    with rendering("en"):
        assert gettext("Signed in as {user}", user="bob") == "Signed in as bob"
        # A parameter the text does not name breaks nothing.
        assert gettext("Signed in as {user}", who="bob") == "Signed in as {user}"
