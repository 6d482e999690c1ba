"""The shipped catalogs against the source texts: complete, nothing stale, placeholders kept,
and every ``_()`` call of a template passes exactly the parameters its text names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from identra.i18n import extract
from identra.i18n.catalog import placeholders, shipped

LOCALES = tuple(extract.catalog_files())  # every shipped catalog is checked


def load(locale: str) -> dict[str, str]:
    path = extract.CATALOGS / f"{locale}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_german_and_french_are_shipped() -> None:
    assert {"de", "fr"} <= set(LOCALES)
    assert shipped() == ("en", *LOCALES)
    assert shipped()[0] == "en"
    assert not (extract.CATALOGS / "en.json").exists()  # English is the source


def test_sources_are_found_everywhere() -> None:
    found = extract.sources()
    # One text of each kind: a template literal, an N_() message, a runtime text.
    assert "Forgot your password?" in found  # templates/login/options/password.html
    assert "Too many failed attempts. Try again in {minutes} minute(s)." in found  # N_()
    assert "Enter the code shown on your device." in found  # web/device.py MESSAGES
    assert "Authenticator app" in found  # an option label (i18n/sources.py)
    assert "Read your email address" in found  # a consent scope description
    assert len(found) > 300


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_has_no_stale_keys(locale: str) -> None:
    found = extract.sources()
    entries = load(locale)
    missing = sorted(t for t in found if t not in entries)
    stale = sorted(t for t in entries if t not in found)
    assert missing == [], f"{locale}.json lacks (python -m identra.i18n.extract): {missing}"
    assert stale == [], f"{locale}.json has keys no source uses: {stale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = {
        source: text
        for source, text in load(locale).items()
        if placeholders(source) != placeholders(text)
    }
    assert wrong == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_are_text(locale: str) -> None:
    for source, text in load(locale).items():
        assert isinstance(text, str) and text.strip(), source
        assert text == text.strip(), source
        assert "<" not in text and ">" not in text, (source, text)  # catalogs hold no HTML
        # Sentences stay sentences: a final full stop or question mark is kept.
        if source.endswith((".", "?", ":")) and not source.endswith("..."):
            assert text[-1] in ".?:", (source, text)


def test_template_calls_pass_the_parameters_their_text_names() -> None:
    mismatched = [
        (found.where, found.text, sorted(found.params or ()))
        for found in extract.from_templates()
        if found.params is not None and set(found.params) != placeholders(found.text)
    ]
    assert mismatched == []


def test_the_source_list_points_at_code_that_still_says_it(tmp_path: Path) -> None:
    # Every RUNTIME text is checked against its module; a reworded one is an error.
    for found in extract.from_runtime():
        assert found.where in extract.RUNTIME
    original = extract.RUNTIME
    try:
        extract.RUNTIME = {"flows/engine.py": ("This text is in no module.",)}
        with pytest.raises(extract.ExtractionError, match="no longer contains"):
            list(extract.from_runtime())
    finally:
        extract.RUNTIME = original


def test_n_needs_a_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "identra"
    package.mkdir()
    (package / "ok.py").write_text(
        'from identra.i18n.message import N_\nTAIL = " Start again."\n'
        'M = {"a": N_("One." + TAIL), "b": (N_("Two {n}."), 400)}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(extract, "PACKAGE", package)
    assert [f.text for f in extract.from_python()] == ["One. Start again.", "Two {n}."]
    (package / "bad.py").write_text("from x import N_\ndef f(v):\n    return N_(v)\n")
    with pytest.raises(extract.ExtractionError, match="literal"):
        list(extract.from_python())


def test_extract_command_reports_a_missing_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert extract.main() == 0
    folder = tmp_path / "catalogs"
    folder.mkdir()
    entries = load("de")
    entries.pop("Sign in")
    entries["An old text"] = "Ein alter Text"
    (folder / "de.json").write_text(json.dumps(entries), encoding="utf-8")
    monkeypatch.setattr(extract, "CATALOGS", folder)
    assert extract.main() == 1
    out = capsys.readouterr().out
    assert re.search(r'de: missing "Sign in"', out) and 'de: stale "An old text"' in out
