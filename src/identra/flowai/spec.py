"""What a description means, before it becomes a graph: the reader's output, the builder's input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Question:
    """Something the compiler cannot decide alone. ``phrase`` is the words it is about;
    ``candidates`` what they could mean (empty when nothing fits)."""

    text: str
    phrase: str = ""
    candidates: tuple[str, ...] = ()
    # "name": about what the organization or server has (only the administrator can answer);
    # "phrasing": words the rules could not read (the LLM back end may try, when configured).
    kind: str = "name"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "phrase": self.phrase,
            "candidates": list(self.candidates),
            "kind": self.kind,
        }


@dataclass
class Stage:
    """Steps in sequence; with ``cond``, only for users it holds for (``otherwise`` for the
    rest). ``who`` is how the description names those users (for the flow's description)."""

    steps: list[list[str]]
    cond: dict[str, Any] | None = None
    otherwise: list[list[str]] = field(default_factory=list)
    who: str = ""


@dataclass
class Gate:
    """``only``: users the condition holds for go on, the rest are denied; ``deny``/``lock``:
    users it holds for are denied / locked out."""

    action: str
    cond: dict[str, Any]
    duration: int | None = None


@dataclass
class Enroll:
    options: list[str]
    skippable: bool = False
    unless: dict[str, Any] | None = None  # users for whom this holds are not asked


@dataclass
class Limit:
    max: int
    on_exceed: str = "deny"


@dataclass
class Spec:
    identify: bool = False
    stages: list[Stage] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    enrolls: list[Enroll] = field(default_factory=list)
    limit: Limit | None = None
    # Stages, gates, enrollments and the limit in the order the description names them.
    mentions: list[Stage | Gate | Enroll | Limit] = field(default_factory=list)
