"""The flow used when neither the application nor its organization has one: a password."""

from __future__ import annotations

from identra.flows.document import SCHEMA, FlowDocument, parse
from identra.flows.ports import StoredFlow

BUILTIN_REF = "builtin"
DEFAULT = {
    "schema": SCHEMA,
    "name": "Password",
    "description": "The built-in flow: username and password.",
    "start": "login",
    "nodes": [
        {"id": "login", "type": "step", "options": ["password"], "next": "done"},
        {"id": "done", "type": "allow"},
    ],
}


def builtin() -> StoredFlow:
    document: FlowDocument = parse(DEFAULT)
    return StoredFlow(BUILTIN_REF, 0, document)
