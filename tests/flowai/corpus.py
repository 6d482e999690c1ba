"""The evaluation corpus (``tests/data/flow_corpus``): descriptions with the flow they mean, or
the question they must raise, compiled against small organizations (``inventories.yaml``).

A case with ``flow`` passes when the compiler's first reading is the same flow (graph
isomorphism, see :mod:`identra.flowai.equivalence`; the flow's name, description and the
wording of messages are not compared). A case with ``ask`` passes when the compiler asks and
its questions name every listed word. A miss is either a question where a flow was expected
(safe) or a wrong flow (never acceptable).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from identra.flowai.compiler import Result, compile_description
from identra.flowai.equivalence import equivalent
from identra.flowai.inventory import Inventory
from identra.flows.text import parse_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "flow_corpus"


@dataclass
class Case:
    id: str
    file: str
    say: str
    inventory: str
    flow: dict[str, Any] | None
    ask: list[str]


@dataclass
class Outcome:
    case: Case
    result: Result
    passed: bool
    kind: str  # "flow", "question", "wrong-flow", "missed-question", "wrong-question"


def inventories() -> dict[str, Inventory]:
    data = yaml.safe_load((CORPUS / "inventories.yaml").read_text(encoding="utf-8"))
    return {name: Inventory.from_json(value) for name, value in data.items()}


def cases() -> list[Case]:
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name == "inventories.yaml":
            continue
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
            flow = None
            if "flow" in raw:
                text = raw["flow"]
                if not text.lstrip().startswith("flow "):
                    text = 'flow "expected"\n' + text
                flow = parse_text(text)
            out.append(
                Case(
                    raw["id"],
                    path.name,
                    raw["say"],
                    raw.get("inventory", "default"),
                    flow,
                    [str(w) for w in raw.get("ask", [])],
                )
            )
    return out


def run(case: Case, inv: Inventory) -> Outcome:
    result = compile_description(case.say, inv)
    if case.flow is not None:
        if result.ok:
            same = equivalent(result.readings[0].document, case.flow, messages=False)
            return Outcome(case, result, same, "flow" if same else "wrong-flow")
        return Outcome(case, result, False, "question")
    if result.ok:
        return Outcome(case, result, False, "missed-question")
    asked = " ".join(q.text + " " + " ".join(q.candidates) for q in result.questions).lower()
    named = all(word.lower() in asked for word in case.ask)
    return Outcome(case, result, named, "question" if named else "wrong-question")


def evaluate() -> list[Outcome]:
    invs = inventories()
    return [run(case, invs[case.inventory]) for case in cases()]
