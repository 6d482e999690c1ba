"""``identra orgs``: create (handle derived from the name) and list."""

from __future__ import annotations

import pytest

from identra.cli.orgs import derive_handle
from tests.cli.conftest import Cli


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Acme", "acme"),
        ("Acme Corp.", "acme-corp"),
        ("  Überwald  GmbH & Co ", "uberwald-gmbh-co"),
        ("R&D -- Lab 42", "r-d-lab-42"),
        ("x" * 70, "x" * 64),
        ("!!!", ""),
    ],
)
def test_derive_handle(name: str, handle: str) -> None:
    assert derive_handle(name) == handle


def test_create_and_list(cli: Cli) -> None:
    acme = cli.json("orgs", "create", "--name", "Acme Corp.")
    assert (acme["handle"], acme["name"], acme["parent"]) == ("acme-corp", "Acme Corp.", "root")
    emea = cli.json(
        "orgs", "create", "--name", "EMEA", "--handle", "acme-emea", "--parent", "acme-corp"
    )
    assert emea["parent"] == "acme-corp"
    human = cli("orgs", "create", "--name", "Globex").stdout
    assert human.startswith("created organization globex (Globex, id ")

    listing = cli.json("orgs", "list")
    handles = [o["handle"] for o in listing]
    assert handles[0] == "root" and set(handles) == {"root", "acme-corp", "acme-emea", "globex"}
    # Parents come before their children.
    assert handles.index("acme-corp") < handles.index("acme-emea")
    assert {o["handle"]: o["parent"] for o in listing}["acme-emea"] == "acme-corp"
    table = cli("orgs", "list").stdout.splitlines()
    assert table[0].split() == ["HANDLE", "NAME", "PARENT", "STATUS", "ID"]
    assert len(table) == 5


def test_bad_input(cli: Cli) -> None:
    cli("orgs", "create", "--name", "Acme")
    assert cli.fail("orgs", "create", "--name", "Acme again", "--handle", "acme") == (
        "error: the handle acme is taken\n"
    )
    assert "organization 'nope' does not exist" in cli.fail(
        "orgs", "create", "--name", "Child", "--parent", "nope"
    )
    assert "pass --handle" in cli.fail("orgs", "create", "--name", "???")
    assert "pass --handle" in cli.fail("orgs", "create", "--name", "API")  # reserved
    assert "invalid --handle" in cli.fail("orgs", "create", "--name", "X", "--handle", "Bad_Handle")
    assert "not reserved" in cli.fail("orgs", "create", "--name", "X", "--handle", "admin")
    assert [o["handle"] for o in cli.json("orgs", "list")] == ["root", "acme"]
    cli("orgs", "create", code=2)  # --name is required
