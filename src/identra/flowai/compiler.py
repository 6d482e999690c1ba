"""The rule compiler: a description -> readings (flow, text, explanation, assumptions) or
questions. No model, no network, no randomness: the same description and inventory give the
same answer, byte for byte.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from identra.flowai.build import build
from identra.flowai.equivalence import equivalent
from identra.flowai.explain import explain
from identra.flowai.inventory import Inventory
from identra.flowai.reader import Choices, Reader
from identra.flowai.spec import Question
from identra.flowai.tagger import Tagged, tag
from identra.flows import text as flow_text
from identra.flows.document import FlowDocument, FlowInvalid, dump, parse

MAX_DESCRIPTION = 2000
MAX_READINGS = 8
MAX_TRIES = 64


@dataclass
class Reading:
    document: dict[str, Any]
    text: str
    explanation: str
    assumptions: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "text": self.text,
            "explanation": self.explanation,
            "assumptions": list(self.assumptions),
        }


@dataclass
class Result:
    description: str
    readings: list[Reading] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    engine: str = "rules"
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.readings) and not self.questions


class DescriptionInvalid(ValueError):
    """The description itself is unusable (empty, too long)."""


def validate(raw: dict[str, Any], inv: Inventory) -> FlowDocument:
    """The same check as applying the flow: shape, graph, options, identification order."""
    return parse(raw, known_option=inv.option_known, first_factor=inv.first_factor)


def check_description(description: str) -> str:
    if not isinstance(description, str) or not description.strip():
        raise DescriptionInvalid("the description is empty")
    if len(description) > MAX_DESCRIPTION:
        raise DescriptionInvalid(f"the description is longer than {MAX_DESCRIPTION} characters")
    return description.strip()


def _assignments(sizes: list[int]) -> Iterator[tuple[int, ...]]:
    """Every other choice vector, fewest and smallest departures from the first reading first."""
    if not sizes:
        return
    vectors = [v for v in itertools.product(*(range(n) for n in sizes)) if any(v)]
    vectors.sort(key=lambda v: (sum(1 for x in v if x), sum(v), v))
    yield from vectors


def _one(
    description: str, inv: Inventory, choices: Choices, tagged: Tagged
) -> tuple[Reader, Reading | None]:
    reader = Reader(inv, choices)
    spec = reader.read(description, tagged)
    if reader.questions:
        return reader, None
    raw = build(spec, inv)
    try:
        doc = validate(raw, inv)
    except FlowInvalid as invalid:
        problems = "; ".join(f"{p}: {m}" if p else m for p, m in invalid.problems)
        reader.ask(
            f"The flow this description makes is not valid ({problems}). Could you rephrase it?",
            description,
            kind="phrasing",
        )
        return reader, None
    document = dump(doc)
    return reader, Reading(
        document, flow_text.render(doc), explain(document, inv), list(reader.assumptions)
    )


def compile_description(
    description: str, inv: Inventory, *, max_readings: int = MAX_READINGS
) -> Result:
    """Every reading of ``description`` (best first), or the questions it raises."""
    description = check_description(description)
    result = Result(description)
    tagged = tag(description, inv)  # once: every reading reads the same words
    first_reader, first = _one(description, inv, Choices(), tagged)
    if first is None:
        result.questions = list(first_reader.questions)
        return result
    result.readings.append(first)
    for tries, vector in enumerate(_assignments(first_reader.choices.sizes)):
        if len(result.readings) >= max_readings or tries >= MAX_TRIES:
            break
        _, reading = _one(description, inv, Choices(vector), tagged)
        if reading is None:
            continue
        if any(equivalent(reading.document, r.document) for r in result.readings):
            continue
        result.readings.append(reading)
    return result


def diff(current: FlowDocument | None, generated: dict[str, Any], label: str = "current") -> str:
    """A unified diff of the text forms: the current flow -> the generated one."""
    before = flow_text.render(current).splitlines(keepends=True) if current is not None else []
    after = flow_text.render(parse(generated)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, label, "generated"))
