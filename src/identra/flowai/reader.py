"""Reading a description: tagged items -> clauses -> a :class:`Spec`, questions, assumptions.

A description is cut into clauses at punctuation and at "and"/"then" before a new verb ("...,
and no other session"); clauses that continue one another are joined again ("password,
passkey or Google"). Each clause is one of: a way to sign in (steps, maybe for some users),
who may sign in (a gate), a block or lock, progressive enrollment, a session limit.

Where the words allow more than one reading, :class:`Choices` picks one; the others are the
"regenerate" alternatives. Where a word names nothing the organization has, or several things,
the reader asks (:class:`Question`); it never drops a word it did not understand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from identra.flowai import lexicon
from identra.flowai.inventory import Inventory
from identra.flowai.spec import Enroll, Gate, Limit, Question, Spec, Stage
from identra.flowai.tagger import Item, Tagged, tag

STEP_KINDS = frozenset({"opt", "opts", "idp", "idpkind", "anyidp", "mfa"})
COND_KWS = frozenset(
    {
        "RISK",
        "NETWORK",
        "OUTSIDE",
        "ROLE_WORD",
        "GROUP_WORD",
        "STORE_WORD",
        "LEVEL_HIGH",
        "LEVEL_VERY_HIGH",
        "LEVEL_MEDIUM",
        "LEVEL_LOW",
        "GT",
        "GE",
        "LT",
        "LE",
    }
)
VERBS = ("FAILED", "SESSION", "LOCK", "BLOCK", "ENROLL", "IDENTIFY", "ELSE")
# Keywords that may stand in any clause without changing what it means.
HARMLESS = frozenset(
    {"MUST", "ALSO", "ALLOW", "EVERYONE", "HAS", "WITH", "ANY", "FOR", "IF", "THEN", "AND", "OR"}
)
RISK_LEVELS = {
    "LEVEL_VERY_HIGH": (">=", 90, "very high"),
    "LEVEL_HIGH": (">=", 70, "high"),
    "LEVEL_MEDIUM": (">=", 40, "medium"),
    "LEVEL_LOW": ("<", 30, "low"),
}
COMPARE = {"GT": ">", "GE": ">=", "LT": "<", "LE": "<="}
ENROLLABLE = ("totp", "passkey")
MFA_KINDS = {"totp": "totp", "passkey": "passkey"}
DURATION = {
    "DURATION_MINUTE": 60,
    "DURATION_HOUR": 3600,
    "DURATION_DAY": 86400,
    "DURATION_WEEK": 7 * 86400,
}
REASONS = {
    "sms-otp": "no SMS provider is configured",
    "email-otp": "no email server is configured",
    "magic-link": "no email server is configured",
}


class Choices:
    """The reading being built: at the n-th choice point take ``assignment[n]`` (default 0)."""

    def __init__(self, assignment: Sequence[int] = ()) -> None:
        self.assignment = tuple(assignment)
        self.sizes: list[int] = []

    def pick(self, count: int) -> int:
        index = len(self.sizes)
        self.sizes.append(count)
        chosen = self.assignment[index] if index < len(self.assignment) else 0
        return chosen if 0 <= chosen < count else 0


class Clause:
    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.used: set[int] = set()

    @property
    def kws(self) -> set[str]:
        return {k for i in self.items if i.kind == "kw" for k in i.kws}

    def has(self, *names: str) -> bool:
        return bool(self.kws & set(names))

    def options(self) -> list[Item]:
        return [i for i in self.items if i.kind in STEP_KINDS]

    def conditions(self) -> list[Item]:
        return [
            i
            for i in self.items
            if i.kind in ("ent", "cidr", "quoted") or (i.kind == "kw" and i.kws & COND_KWS)
        ]

    def use(self, *items: Item) -> None:
        self.used.update(id(i) for i in items)

    @property
    def text(self) -> str:
        return " ".join(i.text for i in self.items)


class Reader:
    def __init__(self, inventory: Inventory, choices: Choices | None = None) -> None:
        self.inv = inventory
        self.choices = choices or Choices()
        self.questions: list[Question] = []
        self.assumptions: list[str] = []
        self.spec = Spec()
        self._first_clause = True
        self._last_stage: Stage | None = None
        self._last_auth: Clause | None = None
        self._assumed_first = False

    # ---- helpers ----------------------------------------------------------------------

    def ask(
        self, text: str, phrase: str = "", candidates: Sequence[str] = (), kind: str = "name"
    ) -> None:
        question = Question(text, phrase, tuple(candidates), kind)
        if question not in self.questions:
            self.questions.append(question)

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def offered(self) -> list[str]:
        names = [n for n in self.inv.authenticators if not n.endswith(":")]
        return names + [f"idp:{n}" for n in self.inv.idps] if self.inv.federation else names

    # ---- entry ------------------------------------------------------------------------

    def read(self, description: str, tagged: Tagged | None = None) -> Spec:
        tagged = tagged if tagged is not None else tag(description, self.inv)
        for wrong, right in tagged.corrections:
            self.assume(f"read {wrong!r} as {right!r}")
        for clause in self._clauses(tagged):
            self._clause(clause, tagged)
        self._finish()
        return self.spec

    # ---- clauses ----------------------------------------------------------------------

    def _clauses(self, tagged: Tagged) -> list[Clause]:
        chunks: list[list[Item]] = [[]]
        for item in tagged.items:
            if item.kind == "sep":
                if chunks[-1]:
                    chunks.append([])
            else:
                chunks[-1].append(item)
        if not chunks[-1]:
            chunks.pop()
        split: list[list[Item]] = []
        for chunk in chunks:
            split.extend(_split_at_verbs(chunk))
        clauses: list[Clause] = []
        pending: list[Item] = []  # a leading condition ("For managers,") waiting for its steps
        for index, chunk in enumerate(split):
            chunk = pending + chunk
            pending = []
            c = Clause(chunk)
            verbs = c.has(*VERBS)
            opts = bool(c.options())
            conds = bool(c.conditions())
            lead = chunk[0]
            prev = clauses[-1] if clauses else None
            prev_auth = prev is not None and prev.options() and not prev.has(*VERBS[:-2])
            nxt = Clause(split[index + 1]) if index + 1 < len(split) else None
            session_more = (
                prev is not None
                and prev.has("SESSION")
                and c.has("SESSION")
                and not c.has("NO_OTHER", "MAX")
                and not any(i.kind == "num" for i in chunk)
                and not opts
                and not conds
            )
            if prev is not None and lead.kw("OR") and not verbs:
                prev.items.extend(chunk)
            elif session_more:
                assert prev is not None
                prev.items.extend(chunk)  # "..., let them pick a session to end"
            elif prev_auth and opts and not verbs and lead.kw("THEN", "AND", "ALSO", "MUST"):
                assert prev is not None
                prev.items.extend(chunk)
            elif (
                prev_auth
                and opts
                and not verbs
                and not conds
                and not any(i.kw("NOT", "FOR", "IF", "UNLESS", "HAS") for i in chunk)
            ):
                assert prev is not None
                prev.items.append(Item("kw", "LIST", ",", frozenset({"LIST"})))
                prev.items.extend(chunk)
            elif (
                conds
                and not opts
                and not verbs
                and not c.has("ONLY")
                and lead.kw("FOR", "IF", "UNLESS")
                and nxt is not None
                and nxt.options()
                and not nxt.conditions()
                and not nxt.has(*VERBS)
            ):
                pending = chunk
            elif (
                prev is not None
                and not opts
                and not verbs
                and not c.has("ONLY")
                and not [i for i in c.conditions() if i.kind != "kw" or i.kw("RISK", "NETWORK")]
                and not any(i.kind == "unknown" for i in chunk)
            ):
                prev.items.extend(chunk)  # "they can skip it", "let them choose which to end"
            elif (
                prev is not None
                and conds
                and not opts
                and not verbs
                and _continues_list(prev, chunk)
            ):
                prev.items.append(Item("kw", "LIST", ",", frozenset({"LIST"})))
                prev.items.extend(chunk)
            else:
                clauses.append(c)
        if pending:
            clauses.append(Clause(pending))
        return clauses

    def _clause(self, c: Clause, tagged: Tagged) -> None:
        c.items = _absorb(c.items)
        for item in c.items:
            if item.kind == "unknown":
                c.use(item)
                self._unknown(item, tagged, c)
        if c.has("FAILED"):
            self._failed(c)
            return
        if c.has("SESSION"):
            self._session(c)
        elif c.has("LOCK"):
            self._gate(c, "lock")
        elif c.has("BLOCK"):
            self._gate(c, "deny")
        elif c.has("ENROLL"):
            self._enroll(c)
        elif c.has("ELSE") and c.options() and self._last_stage is not None:
            self._otherwise(c)
        elif c.has("ELSE") and c.options() and not c.conditions():
            self._everyone_else(c)
        elif c.options() or c.has("IDENTIFY"):
            self._auth(c)
        elif c.has("ONLY") and c.conditions():
            self._gate(c, "only")
        elif c.conditions():
            self._condition_only(c)
        else:
            meaningful = [i for i in c.items if i.kind != "kw" or i.kws - HARMLESS]
            if meaningful:
                words = " ".join(i.text for i in c.items)
                self.ask(
                    f"I could not tell what {words!r} should do in the flow. Could you say it "
                    "another way?",
                    words,
                    kind="phrasing",
                )
            c.use(*c.items)
        self._leftovers(c)

    def _leftovers(self, c: Clause) -> None:
        left = [
            i
            for i in c.items
            if id(i) not in c.used
            and i.kind != "unknown"
            and not (i.kind == "kw" and i.kws <= HARMLESS | {"LIST"})
        ]
        if left:
            words = " ".join(i.text for i in left)
            self.ask(
                f"In {c.text!r}, I could not tell what {words!r} should do in the flow. "
                "Could you say it another way?",
                words,
                kind="phrasing",
            )

    def _unknown(self, item: Item, tagged: Tagged, c: Clause) -> None:
        near = tagged.near.get(item.text, [])
        if near:
            self.ask(
                f"What do you mean by {item.text!r}? It is close to: {', '.join(near)}.",
                item.text,
                near,
                kind="phrasing",
            )
            return
        stem = lexicon.stem(item.text)
        partial = [
            name
            for name in (*self.inv.roles, *self.inv.groups, *self.inv.user_stores, *self.inv.idps)
            if stem in lexicon.words(name)
        ]
        if partial:
            self.ask(
                f"What do you mean by {item.text!r}: {', '.join(partial)}? Write the whole name.",
                item.text,
                partial,
            )
            return
        known = self._known_names()
        self.ask(
            f"I do not know {item.text!r} (in {c.text!r}): it is not a way to sign in that "
            f"this server offers, nor a name in this organization. Known names: {known}.",
            item.text,
            kind="phrasing",
        )

    def _known_names(self) -> str:
        parts = [f"options {', '.join(self.offered())}"]
        for label, names in (
            ("roles", self.inv.roles),
            ("groups", self.inv.groups),
            ("user stores", self.inv.user_stores),
        ):
            if names:
                parts.append(f"{label} {', '.join(names)}")
        return "; ".join(parts)

    def _failed(self, c: Clause) -> None:
        c.use(*c.items)
        numbers = [i.value for i in c.items if i.kind == "num"]
        count = f"{numbers[0]} " if numbers else ""
        self.ask(
            f"A flow cannot count failed attempts ({c.text!r}): the password option already "
            "locks an account for a while after 5 wrong passwords in a row, whatever the flow. "
            f"Leave out the part about {count}failed attempts to keep that protection, or say "
            "what the flow should do instead (e.g. 'block users from the PARTNERS store').",
            c.text,
        )

    # ---- steps ------------------------------------------------------------------------

    def _option(self, item: Item) -> list[str]:
        """The option(s) an item names, or [] after asking about it."""
        if item.kind == "opt":
            if not self.inv.option_known(item.value):
                reason = REASONS.get(item.value, "it is not enabled")
                self.ask(
                    f"{item.text!r} means the {item.value} option, which this server does not "
                    f"offer ({reason}). It offers: {', '.join(self.offered())}.",
                    item.text,
                    self.offered(),
                )
                return []
            return [item.value]
        if item.kind == "opts":
            usable = [o for o in item.value if self.inv.option_known(o)]
            if len(usable) == 1:
                self.assume(f"read {item.text!r} as {usable[0]}, the only one this server offers")
                return usable
            self.ask(
                f"Which do you mean by {item.text!r}: {', '.join(usable or item.value)}?",
                item.text,
                usable or item.value,
            )
            return []
        if item.kind == "idp":
            if not self.inv.federation:
                self.ask(
                    f"{item.text!r} is an identity provider, but this server does not offer "
                    "sign-in with identity providers.",
                    item.text,
                )
                return []
            return [f"idp:{item.value}"]
        if item.kind == "idpkind":
            display = lexicon.KIND_DISPLAY.get(item.value, item.value)
            found = [
                name
                for name, kind in self.inv.idps.items()
                if kind == item.value or lexicon.words(name) == (item.value,)
            ] or [name for name in self.inv.idps if item.value in lexicon.words(name)]
            if len(found) == 1 and self.inv.federation:
                if lexicon.words(found[0]) != lexicon.words(item.text):
                    self.assume(f"read {item.text!r} as the identity provider {found[0]!r}")
                return [f"idp:{found[0]}"]
            if found:
                self.ask(
                    f"Which {display} identity provider do you mean by {item.text!r}: "
                    f"{', '.join(found)}?",
                    item.text,
                    found,
                )
                return []
            others = list(self.inv.idps)
            tail = f"its identity providers: {', '.join(others)}" if others else "it has none"
            self.ask(
                f"This organization has no enabled {display} identity provider for "
                f"{item.text!r}; {tail}. Which one should users sign in with?",
                item.text,
                others,
            )
            return []
        if item.kind == "anyidp":
            names = list(self.inv.idps)
            if len(names) == 1 and self.inv.federation:
                self.assume(f"read {item.text!r} as the identity provider {names[0]!r}")
                return [f"idp:{names[0]}"]
            self.ask(
                f"Which identity provider do you mean by {item.text!r}: "
                f"{', '.join(names) if names else 'the organization has none enabled'}?",
                item.text,
                names,
            )
            return []
        if item.kind == "mfa":
            seconds = self.inv.second_factors()
            if not seconds:
                self.ask(f"{item.text!r}: this server offers no second factor.", item.text)
                return []
            if len(seconds) > 1:
                self.assume(
                    f"read {item.text!r} as any second factor this server offers: "
                    f"{', '.join(seconds)}"
                )
            return seconds
        return []

    def _steps(self, c: Clause, items: list[Item]) -> list[list[str]]:
        """Options and connectors -> steps (each a list of alternatives)."""
        steps: list[list[str]] = []
        segments: list[list[list[str]]] = [steps]
        connector: Item | None = None
        allow = c.has("ALLOW")
        for index, item in enumerate(items):
            if item.kind == "kw":
                if item.kws & {"OR", "THEN", "AND", "LIST", "ALSO", "MUST", "AFTER", "BEFORE"}:
                    c.use(item)
                    if connector is None or not connector.kw("THEN", "AFTER", "BEFORE"):
                        connector = item
                continue
            c.use(item)
            options = self._option(item) or ["?"]
            if not steps:
                steps.append(list(options))
            else:
                join = self._join(connector, items[index + 1 :], allow, steps[-1], options)
                if join == "after":
                    steps = [list(options)]
                    segments.insert(0, steps)
                elif join == "alternative":
                    steps[-1].extend(o for o in options if o not in steps[-1])
                else:
                    steps.append(list(options))
            connector = None
        ordered = [step for segment in segments for step in segment]
        return ordered

    def _join(
        self,
        connector: Item | None,
        rest: list[Item],
        allow: bool,
        before: list[str],
        options: list[str],
    ) -> str:
        if connector is None or connector.kw("LIST"):
            # "password, passkey or Google": a list takes its meaning from its last joint.
            for item in rest:
                if item.kw("OR"):
                    return "alternative"
                if item.kw("THEN", "AND", "ALSO", "MUST"):
                    return "sequence"
                if item.kind not in STEP_KINDS and not item.kw("LIST"):
                    break
            pick = self.choices.pick(2)
            a, b = " or ".join(before), " or ".join(options)
            if pick == 0:
                self.assume(f"read the list '{a}, {b}' as one after the other")
                return "sequence"
            self.assume(f"read the list '{a}, {b}' as a choice")
            return "alternative"
        if connector.kw("OR"):
            return "alternative"
        if connector.kw("AFTER"):
            return "after"
        if connector.kw("AND"):
            a, b = " or ".join(before), " or ".join(options)
            first = 1 if allow else 0
            if self.choices.pick(2) == 0:
                if first == 0:
                    self.assume(f"read '{a} and {b}' as both, one after the other")
                    return "sequence"
                self.assume(f"read '{a} and {b}' as either one")
                return "alternative"
            if first == 0:
                self.assume(f"read '{a} and {b}' as either one")
                return "alternative"
            self.assume(f"read '{a} and {b}' as both, one after the other")
            return "sequence"
        return "sequence"

    def _auth(self, c: Clause) -> None:
        c.use(*[i for i in c.items if i.kw("ONLY") and not c.conditions()])  # "password only"
        identify = [i for i in c.items if i.kw("IDENTIFY")]
        if identify:
            c.use(*identify)
            if not self._first_clause or self.spec.stages:
                self.ask(
                    f"{c.text!r}: asking for the username first only makes sense at the start.",
                    identify[0].text,
                )
            self.spec.identify = True
        lead = next((i for i in c.items if not i.kw("IDENTIFY", "AND", "THEN")), None)
        negated_option = any(
            _denies(a)
            and b.kind in STEP_KINDS
            and not any(x.kw("FOR", "IF", "UNLESS", "HAS", "WITH", "EVERYONE") for x in c.items[:n])
            for n, (a, b) in enumerate(zip(c.items, c.items[1:], strict=False))
        )
        if (lead is not None and _denies(lead)) or (negated_option and not c.conditions()):
            c.use(*c.items)
            self.ask(
                f"{c.text!r} says what should not happen; say what should: which steps, for "
                "whom (e.g. 'SMS for everyone except managers').",
                c.text,
                kind="phrasing",
            )
            return
        step_items, cond_items, else_items = _split_auth(c)
        steps = self._steps(c, step_items)
        if cond_items and not steps:
            c.use(*c.items)
            self.ask(
                f"{c.text!r}: which steps should these users go through?", c.text, kind="phrasing"
            )
            return
        otherwise = self._steps(c, else_items) if else_items else []
        cond = self._condition(c, cond_items) if cond_items else None
        if cond_items and cond is None:
            return
        first = not self.spec.stages
        if first and steps:
            if (
                cond is not None
                and len(steps) == 1
                and not any(self.inv.first_factor(o) for o in steps[0])
                and "password" in self.inv.authenticators
            ):
                self.assume(
                    f"{' or '.join(steps[0])} cannot identify a user: everyone signs in with a "
                    "password first"
                )
                steps.insert(0, ["password"])
                self._assumed_first = True
            if cond is not None and len(steps) == 1:
                self.ask(
                    f"{c.text!r}: a condition on the first way to sign in would test the user "
                    "before anyone is identified. Name a first step for everyone (e.g. "
                    "'password, then SMS for managers').",
                    c.text,
                )
                return
            self.spec.stages.append(Stage([steps[0]]))
            self.spec.mentions.append(self.spec.stages[-1])
            steps = steps[1:]
        if steps:
            self.spec.stages.append(Stage(steps, cond, otherwise, _who(cond_items)))
            self.spec.mentions.append(self.spec.stages[-1])
            if cond is not None:
                self._last_stage = self.spec.stages[-1]
        self._last_auth = c
        self._first_clause = False

    def _everyone_else(self, c: Clause) -> None:
        """ "Everyone else uses a password" after a block or a condition for some users: how
        everybody signs in."""
        c.use(*[i for i in c.items if i.kw("ELSE")])
        items = [i for i in c.items if i.kind in STEP_KINDS or i.kw("OR", "THEN", "AND", "LIST")]
        steps = self._steps(c, items)
        if not steps:
            return
        stages = self.spec.stages
        if self._assumed_first and stages and stages[0].steps == [["password"]]:
            if len(steps) == 1 and any(self.inv.first_factor(o) for o in steps[0]):
                stages[0].steps = [steps[0]]
                self._assumed_first = False
                self.assumptions = [a for a in self.assumptions if "password first" not in a]
                return
        if stages:
            self.ask(
                f"{c.text!r}: the flow already says how users sign in first; should "
                f"{' or '.join(steps[0])} replace that?",
                c.text,
            )
            return
        self.spec.stages.append(Stage([steps[0]]))
        self.spec.mentions.insert(0, self.spec.stages[-1])
        if steps[1:]:
            self.spec.stages.append(Stage(steps[1:]))
            self.spec.mentions.append(self.spec.stages[-1])
        self._first_clause = False

    def _otherwise(self, c: Clause) -> None:
        stage = self._last_stage
        items = [i for i in c.items if i.kind in STEP_KINDS or i.kw("OR", "THEN", "AND", "LIST")]
        c.use(*[i for i in c.items if i.kw("ELSE")])
        steps = self._steps(c, items)
        if stage is None or stage.otherwise:
            self.ask(
                f"{c.text!r}: 'otherwise' follows no condition on a step; say for whom "
                "these steps are.",
                c.text,
            )
            return
        first = self.spec.stages[0].steps[0]
        if len(steps) == 1 and all(self.inv.first_factor(o) for o in steps[0]):
            if self._assumed_first and first == ["password"]:
                self.spec.stages[0].steps[0] = steps[0]
                self._assumed_first = False
                self.assumptions = [a for a in self.assumptions if "password first" not in a]
                return
            if set(steps[0]) <= set(first):
                self.assume(f"read {c.text!r} as the first step everyone passes")
                return
            self.ask(
                f"{c.text!r}: should the others sign in with {' or '.join(steps[0])} instead "
                f"of {' or '.join(first)}, or confirm with it after that?",
                c.text,
            )
            return
        stage.otherwise = steps

    # ---- conditions -------------------------------------------------------------------

    def _condition_only(self, c: Clause) -> None:
        """A clause naming users without saying what happens to them: who may sign in (a
        gate), or for whom the steps just named are ("..., then SMS, except for partners")."""
        cond = self._condition(c, c.items)
        if cond is None:
            return
        stages = self.spec.stages
        last = stages[-1] if len(stages) > 1 else None
        lead = c.items[0]
        attach_first = lead.kw("FOR", "IF", "UNLESS")
        if last is not None and last.cond is None and self._last_auth is not None:
            # Later steps for everyone, then "for/except ...": whom they are for.
            pick = self.choices.pick(2)
            if (pick == 0) == attach_first:
                self.assume(f"read {c.text!r} as whom {_steps_text(last)} is for")
                last.cond = cond
                last.who = c.text
                self._last_stage = last
                return
            if "not" in cond:
                self._ask_negated_gate(c)
                return
            self.assume(f"read {c.text!r} as who may sign in at all")
            self._add_gate("only", cond, c)
            return
        stage = self._last_stage
        if stage is None or stage.cond is None:
            if "not" in cond:
                self._ask_negated_gate(c)
                return
            self._add_gate("only", cond, c)
            return
        pick = self.choices.pick(2)
        as_gate = (pick == 1) if attach_first else (pick == 0)
        if as_gate and "not" in cond:
            self._ask_negated_gate(c)
            return
        if as_gate:
            self.assume(f"read {c.text!r} as who may sign in at all")
            self._add_gate("only", cond, c)
        else:
            self.assume(f"read {c.text!r} as part of the condition for {_steps_text(stage)}")
            stage.cond = _and(stage.cond, cond)

    def _ask_negated_gate(self, c: Clause) -> None:
        self.ask(
            f"{c.text!r}: should these users be refused, or should they skip some steps? Say "
            "e.g. 'block ...' or 'SMS for everyone except ...'.",
            c.text,
        )

    def _condition(self, c: Clause, items: list[Item]) -> dict[str, Any] | None:
        """The expression the condition items make, or None after asking."""
        atoms: list[tuple[str, dict[str, Any]]] = []  # (joint before it, test)
        negate_all = False
        negate_next = False
        joint = "and"
        questions = len(self.questions)
        i = 0
        while i < len(items):
            item = items[i]
            if item.kw("UNLESS"):
                c.use(item)
                negate_all = True
            elif item.kw("NOT") and not item.kw("NO_OTHER"):
                c.use(item)
                negate_next = not negate_next
            elif item.kw("OUTSIDE"):
                c.use(item)
                negate_next = True
            elif item.kw("OR"):
                c.use(item)
                joint = "or"
            elif item.kw("AND"):
                c.use(item)
            elif item.kind in ("ent", "quoted"):
                run, i = _run(items, i)
                test = self._entities(c, run, items)
                if test is not None:
                    atoms.append((joint, _neg(test, negate_next)))
                negate_next, joint = False, "and"
                continue
            elif (item.kind == "cidr" or item.kw("NETWORK")) and id(item) in c.used:
                pass  # read with the first address of the clause
            elif item.kind == "cidr" or item.kw("NETWORK"):
                cidrs = [x.value for x in items if x.kind == "cidr" and id(x) not in c.used]
                net_words = [x for x in items if x.kw("NETWORK")]
                c.use(*[x for x in items if x.kind == "cidr" or x.kw("NETWORK")])
                if not cidrs:
                    named = " ".join(x.text for x in net_words) or "network"
                    self.ask(
                        f"Which IP networks are {named!r}? This organization has no named "
                        "networks: write them as CIDR ranges, e.g. 'outside the office "
                        f"network (10.0.0.0/8, 2001:db8::/32)'. (In {c.text!r}.)",
                        named,
                    )
                else:
                    unique = list(dict.fromkeys(cidrs))
                    atoms.append((joint, _neg({"network": {"in": unique}}, negate_next)))
                negate_next, joint = False, "and"
            elif item.kw("RISK") or (item.kws & set(RISK_LEVELS) and _risk_near(items)):
                test = self._risk(c, items)
                if test is not None and not any("risk" in _tests(a) for _, a in atoms):
                    atoms.append((joint, _neg(test, negate_next)))
                negate_next, joint = False, "and"
            elif item.kind in STEP_KINDS:
                c.use(item)
                kinds = self._enrolled_kinds(item)
                if kinds:
                    atoms.append((joint, _neg({"enrolled": {"any": kinds}}, negate_next)))
                negate_next, joint = False, "and"
            elif item.kw(
                "EVERYONE", "HAS", "WITH", "FOR", "IF", "ANY", "ALL", "ONLY", "LIST", "MUST"
            ):
                c.use(item)
            elif item.kind == "kw" and item.kws & COND_KWS:
                c.use(item)  # a context word whose name was read with the run
            i += 1
        if len(self.questions) > questions:
            return None
        if not atoms:
            if any(i.kw("EVERYONE") for i in items):
                return None
            self.ask(f"{c.text!r}: which users do you mean?", c.text)
            return None
        expr = _combine(atoms)
        return {"not": expr} if negate_all else expr

    def _entities(self, c: Clause, run: list[Item], items: list[Item]) -> dict[str, Any] | None:
        """A run of names joined by or/and/commas with an optional role/group/store word."""
        c.use(*run)
        context = {k for x in run if x.kind == "kw" for k in x.kws} & {
            "ROLE_WORD",
            "GROUP_WORD",
            "STORE_WORD",
        }
        want = {"ROLE_WORD": "role", "GROUP_WORD": "group", "STORE_WORD": "store"}
        categories = {want[k] for k in context}
        every = any(x.kw("ALL") for x in items)
        names: dict[str, list[str]] = {}
        for x in run:
            if x.kind == "quoted":
                found = self._quoted(x.value)
            elif x.kind == "ent":
                found = list(x.value)
            else:
                continue
            if categories:
                fitting = [f for f in found if f.split(":", 1)[0] in categories]
                if not fitting:
                    category = "/".join(sorted(categories))
                    pool = self._names_of(next(iter(categories)))
                    self.ask(
                        f"There is no {category} {x.text!r} in this organization; its "
                        f"{category}s: {', '.join(pool) or 'none'}.",
                        x.text,
                        pool,
                    )
                    continue
                found = fitting
            if not found:
                self.ask(
                    f"{x.text!r} is not a role, group or user store of this organization.",
                    x.text,
                )
                continue
            if len({f.split(":", 1)[0] for f in found}) > 1:
                described = [f"the {f.split(':', 1)[0]} {f.split(':', 1)[1]!r}" for f in found]
                self.ask(
                    f"Do you mean {' or '.join(described)} by {x.text!r}? Say 'the ... role' "
                    "or 'the ... group'.",
                    x.text,
                    [f.replace("store:", "user store:") for f in found],
                )
                continue
            if len(found) > 1:
                plain = [f.split(":", 1)[1] for f in found]
                self.ask(f"Which do you mean by {x.text!r}: {', '.join(plain)}?", x.text, plain)
                continue
            category, name = found[0].split(":", 1)
            if lexicon.words(name) != lexicon.words(x.text) and x.kind != "quoted":
                spelled = " ".join(lexicon.words(x.text))
                if spelled not in {" ".join(lexicon.words(s)) for s in _synonyms(name)}:
                    label = "user store" if category == "store" else category
                    self.assume(f"read {x.text!r} as the {label} {name!r}")
            names.setdefault(category, [])
            if name not in names[category]:
                names[category].append(name)
        if not names:
            return None
        tests: list[dict[str, Any]] = []
        for category, values in names.items():
            if category == "store":
                tests.append({"user_store": {"in": values}})
            else:
                op = "all" if every and len(values) > 1 else "any"
                tests.append({category: {op: values}})
        if len(tests) == 1:
            return tests[0]
        return {"any": tests}

    def _quoted(self, value: str) -> list[str]:
        found: list[str] = []
        for category, names in (
            ("role", self.inv.roles),
            ("group", self.inv.groups),
            ("store", self.inv.user_stores),
        ):
            found.extend(f"{category}:{n}" for n in names if n == value)
        return found

    def _names_of(self, category: str) -> list[str]:
        return list(
            {"role": self.inv.roles, "group": self.inv.groups, "store": self.inv.user_stores}[
                category
            ]
        )

    def _risk(self, c: Clause, items: list[Item]) -> dict[str, Any] | None:
        risk_items = [x for x in items if x.kw("RISK")]
        c.use(*risk_items)
        numbers = [x for x in items if x.kind == "num"]
        compare = [x for x in items if x.kws & set(COMPARE)]
        levels = [x for x in items if x.kws & set(RISK_LEVELS)]
        c.use(*numbers, *compare, *levels)
        if numbers:
            value = numbers[0].value
            if not 0 <= value <= 100:
                self.ask(f"A risk score is from 0 to 100, not {value}.", numbers[0].text)
                return None
            if compare:
                op = COMPARE[next(k for k in compare[0].kws if k in COMPARE)]
            else:
                op = ">="
                self.assume(f"read 'risk {value}' as a risk score of {value} or more")
            return {"risk": {op: value}}
        level = next((k for x in levels for k in RISK_LEVELS if k in x.kws), "LEVEL_HIGH")
        op, value, word = RISK_LEVELS[level]
        if not levels and not any(lexicon.words(x.text) == ("high", "risk") for x in risk_items):
            self.assume(f"read {risk_items[0].text!r} as a high risk")
        more = (
            "or more" if op == ">=" else "or less" if op == "<=" else "below" if op == "<" else ""
        )
        if op == "<":
            self.assume(f"read a {word} risk as a risk score below {value}")
        else:
            self.assume(f"read a {word} risk as a risk score of {value} {more}".strip())
        return {"risk": {op: value}}

    def _enrolled_kinds(self, item: Item) -> list[str]:
        if item.kind == "mfa":
            kinds = [MFA_KINDS[o] for o in ENROLLABLE if o in self.inv.authenticators]
            if kinds:
                self.assume(f"read {item.text!r} as having enrolled any of: {', '.join(kinds)}")
            return kinds
        options = self._option(item)
        kinds = [lexicon.ENROLLED_KIND[o] for o in options if o in lexicon.ENROLLED_KIND]
        if options and not kinds:
            self.ask(
                f"{item.text!r}: a flow can test whether users have enrolled totp, passkey, "
                "backup codes, a phone number or an email address, not this.",
                item.text,
            )
        return list(dict.fromkeys(kinds))

    # ---- gates, enrollment, sessions --------------------------------------------------

    def _gate(self, c: Clause, action: str) -> None:
        if action == "only":
            at = next(n for n, i in enumerate(c.items) if i.kw("ONLY"))
            subject = [i for i in c.items[:at] if i.kind in ("ent", "quoted", "cidr")]
            later = [i for i in c.items[at:] if i.kw("IF", "UNLESS")]
            if subject and later:
                who = " ".join(i.text for i in subject)
                self.ask(
                    f"{c.text!r}: should the rule hold for {who} only (others sign in as "
                    "usual), or should nobody else sign in at all? Say e.g. 'block "
                    f"{who} who do not ...' or 'only ... may sign in'.",
                    c.text,
                )
                c.use(*c.items)
                return
        verbs = [i for i in c.items if i.kw("BLOCK", "LOCK", "ONLY")]
        c.use(*verbs)
        if action != "only" and any(
            a.kw("NOT") and b.kw("BLOCK", "LOCK")
            for a, b in zip(c.items, c.items[1:], strict=False)
        ):
            c.use(*c.items)
            self.ask(
                f"{c.text!r}: a flow lets everyone in unless told otherwise; what should "
                "happen to these users instead?",
                c.text,
            )
            return
        if c.options():
            self.ask(
                f"{c.text!r}: a flow cannot refuse one way of signing in; leave it out of the "
                "steps instead, or say which users to block.",
                c.text,
            )
            c.use(*c.options())
            return
        items = [i for i in c.items if id(i) not in c.used]
        duration = None
        if action == "lock":
            duration = self._duration(c, items)
            items = [i for i in items if id(i) not in c.used]
        cond = self._condition(c, items)
        if cond is None:
            if not any(q for q in self.questions):
                self.ask(f"{c.text!r}: whom should the flow {action}?", c.text)
            return
        self._add_gate(action, cond, c, duration)

    def _add_gate(
        self, action: str, cond: dict[str, Any], c: Clause, duration: int | None = None
    ) -> None:
        if action == "deny" and "not" in cond:
            action, cond = "only", cond["not"]
        elif action == "only" and "not" in cond:
            action, cond = "deny", cond["not"]
        self.spec.gates.append(Gate(action, cond, duration))
        self.spec.mentions.append(self.spec.gates[-1])
        if action == "lock" and duration is None:
            self.assume("the account stays locked until an administrator unlocks it")

    def _duration(self, c: Clause, items: list[Item]) -> int | None:
        for index, item in enumerate(items):
            unit = next((DURATION[k] for k in item.kws if k in DURATION), None)
            if unit is None:
                continue
            before = items[index - 1] if index else None
            count = before.value if before is not None and before.kind == "num" else 1
            c.use(item)
            if before is not None and before.kind == "num":
                c.use(before)
            seconds = count * unit
            if not 1 <= seconds <= 366 * 86400:
                self.ask(f"A lock lasts from 1 second to 366 days, not {item.text!r}.", item.text)
                return None
            return int(seconds)
        forever = [i for i in items if i.kw("FOREVER")]
        c.use(*forever)
        return None

    def _enroll(self, c: Clause) -> None:
        verb_at = next(n for n, i in enumerate(c.items) if i.kw("ENROLL"))
        c.use(c.items[verb_at])
        after = [i for i in c.items[verb_at + 1 :] if i.kind in STEP_KINDS]
        before = c.items[:verb_at]
        options: list[str] = []
        for item in after:
            c.use(item)
            if item.kind == "mfa":
                found = [o for o in ENROLLABLE if o in self.inv.authenticators]
                self.assume(f"read {item.text!r} as any of: {', '.join(found)}")
                options.extend(found)
            else:
                options.extend(self._option(item))
        cond_items = [i for i in before if id(i) not in c.used] + [
            i for i in c.items[verb_at + 1 :] if i.kind not in STEP_KINDS and id(i) not in c.used
        ]
        c.use(*[i for i in c.items[verb_at:] if i.kind == "num" and i.value == 1])  # "create one"
        c.use(*[i for i in c.items if i.kw("WITHOUT_IT")])  # implied: the enroll step's own rule
        skip = [i for i in c.items if i.kw("SKIP")]
        must = [i for i in c.items if i.kw("MUST")]
        c.use(*skip, *must)
        cond_items = [
            i
            for i in cond_items
            if not i.kw("SKIP", "MUST", "OR", "AND", "LIST", "WITHOUT_IT")
            and not (i.kind == "num" and id(i) in c.used)
        ]
        unless: dict[str, Any] | None = None
        if any(
            i.kind in STEP_KINDS or i.kind in ("ent", "cidr") or i.kw("RISK") for i in cond_items
        ):
            cond = self._condition(c, cond_items)
            if cond is None:
                return
            if not options and _enrolled_only(cond):
                options = _kinds_to_options(cond)
            implied = {lexicon.ENROLLED_KIND.get(o) for o in options}
            if "not" in cond and "enrolled" in cond["not"]:
                kinds = set(cond["not"]["enrolled"]["any"])
                if not kinds <= implied:
                    if self.choices.pick(2) == 0:
                        unless = cond["not"]
                        self.assume(
                            "users who already have any of "
                            f"{', '.join(cond['not']['enrolled']['any'])} are not asked"
                        )
                    else:
                        self.assume(
                            f"only users without {', '.join(options)} are asked (the enroll "
                            "step's own rule)"
                        )
            elif cond is not None:
                self.ask(
                    f"{c.text!r}: enrollment for some users only is not supported yet; "
                    "describe it for everyone.",
                    c.text,
                )
                return
        else:
            c.use(*cond_items)
        options = [o for o in dict.fromkeys(options) if o != "?"]
        if not options:
            self.ask(f"{c.text!r}: what should users set up (e.g. totp, passkey)?", c.text)
            return
        if skip:
            skippable = True
        elif must:
            skippable = False
        else:
            skippable = self.choices.pick(2) == 1
            self.assume(
                "users may postpone setting it up"
                if skippable
                else "users must set it up before going on (say 'optional' to let them skip)"
            )
        self.spec.enrolls.append(Enroll(options, skippable, unless))
        self.spec.mentions.append(self.spec.enrolls[-1])

    def _session(self, c: Clause) -> None:
        session = [i for i in c.items if i.kw("SESSION")]
        c.use(*session)
        numbers = [
            i
            for n, i in enumerate(c.items)
            if i.kind == "num" and not (n and c.items[n - 1].kw("CHOOSE"))  # "choose one"
        ]
        no_other = [i for i in c.items if i.kw("NO_OTHER")]
        caps = [i for i in c.items if i.kw("MAX")]
        choose = [i for i in c.items if i.kw("CHOOSE")]
        c.use(*[i for i in c.items if i.kind == "num"], *no_other, *caps, *choose)
        c.use(*[i for i in c.items if i.kw("ONLY", "NOT", "ELSE", "EVERYONE", "ALLOW", "IF")])
        c.use(*[i for i in c.items if i.kw("GE", "LE", "GT", "LT")])  # "at most", "or fewer"
        named = [i for i in c.conditions() if i.kind != "kw" or i.kw("RISK", "NETWORK")]
        if c.options() or named:
            self.ask(
                f"{c.text!r}: a session limit applies to everyone; limits for some users only "
                "are not supported.",
                c.text,
            )
            return
        if any(i.kw("NOT") and not i.kw("NO_OTHER") for i in c.items):
            self.ask(
                f"{c.text!r}: how many active sessions may a user have at most, counting the "
                "new one? (e.g. 'at most one session')",
                c.text,
            )
            return
        values = {n.value for n in numbers}
        if no_other:
            values.add(1)
        if len(values) != 1:
            self.ask(
                f"{c.text!r}: how many active sessions may a user have (counting the new one)?",
                c.text,
            )
            return
        value = values.pop()
        if not 1 <= value <= 1000:
            self.ask(f"A session limit is from 1 to 1000, not {value}.", c.text)
            return
        if self.spec.limit is not None:
            self.ask("The description limits sessions twice; which limit holds?", c.text)
            return
        if choose:
            on_exceed = "choose"
        else:
            on_exceed = "choose" if self.choices.pick(2) == 1 else "deny"
            self.assume(
                "a user over the limit chooses a session to end"
                if on_exceed == "choose"
                else "a user over the limit is refused (say 'let them choose' to let them end "
                "another session instead)"
            )
        self.spec.limit = Limit(value, on_exceed)
        self.spec.mentions.append(self.spec.limit)

    # ---- the whole --------------------------------------------------------------------

    def _finish(self) -> None:
        spec = self.spec
        if not spec.stages:
            if spec.identify:
                self.ask("After the username, how do users prove who they are?", "")
                return
            if "password" in self.inv.authenticators:
                spec.stages.append(Stage([["password"]]))
                spec.mentions.insert(0, spec.stages[0])
                self.assume("no way to sign in is named: users sign in with a password first")
            else:
                self.ask("How should users sign in first?", "")
                return
        first = spec.stages[0].steps[0]
        if (
            not spec.identify
            and "?" not in first
            and not any(self.inv.first_factor(o) for o in first)
        ):
            if "password" in self.inv.authenticators:
                spec.stages.insert(0, Stage([["password"]]))
                spec.mentions.insert(0, spec.stages[0])
                self.assume(
                    f"{' and '.join(first)} cannot identify a user: users sign in with a "
                    "password first"
                )


# ---- clause helpers ---------------------------------------------------------------------


# "no SMS", "do not ask": an instruction in the negative (unlike "without", "non-").
DENYING = frozenset({"not", "no", "never", "dont", "do not", "doesnt", "does not"})


def _denies(item: Item) -> bool:
    words = " ".join(lexicon.words(item.text.replace("'", "").replace("\u2019", "")))
    return item.kw("NOT") and not item.kw("NO_OTHER") and words in DENYING


def _split_at_verbs(chunk: list[Item]) -> list[list[Item]]:
    """Cut "password or passkey and block partners" before the second verb's "and"."""
    starts: list[int] = []
    for index, item in enumerate(chunk):
        if not item.kw("BLOCK", "LOCK", "ENROLL", "SESSION", "FAILED", "ELSE"):
            continue
        start = index
        if item.kw("SESSION"):
            while start > 0 and (
                chunk[start - 1].kw("NO_OTHER", "MAX", "ALLOW", "HAS", "ONLY")
                or chunk[start - 1].kind == "num"
            ):
                start -= 1
        starts.append(start)
    cuts: list[tuple[int, int]] = []  # (end of one part, start of the next)
    for start in starts:
        if chunk[start].kw("NO_OTHER", "MAX") or chunk[start].kind == "num":
            head = Clause(chunk[:start])
            if head.options() and not head.has(*VERBS):
                j = start
                while j > 0 and chunk[j - 1].kw("AND", "THEN", "ALSO", "WITH", "HAS"):
                    j -= 1
                cuts.append((j, start))
                continue
        for j in range(start - 1, 0, -1):
            if chunk[j].kw("AND", "THEN", "ALSO") and not chunk[j].kw("OR"):
                before = Clause(chunk[:j])
                if before.options() or before.has(*VERBS):
                    cuts.append((j, j + 1))
                break
    if not cuts:
        return [chunk]
    parts: list[list[Item]] = []
    last = 0
    for end, begin in sorted(set(cuts)):
        if end > last:
            parts.append(chunk[last:end])
        last = max(last, begin)
    parts.append(chunk[last:])
    return [p for p in parts if p]


SPECIFIC_SECOND = frozenset({"totp", "sms-otp", "backup-code", "passkey", "email-otp"})


def _absorb(items: list[Item]) -> list[Item]:
    """A general name next to a specific one is the specific one: "a one-time code that we
    send by SMS", "a magic link sent to their email", "2FA with TOTP", "a passkey as a second
    step"."""
    out = list(items)
    changed = True
    while changed:
        changed = False
        for index in range(len(out) - 1):
            a = out[index]
            j = index + 1
            while j < len(out) and out[j].kw("WITH", "HAS") and not out[j].kw("OR", "AND"):
                j += 1
            if j >= len(out):
                break
            b = out[j]
            for general, specific, at in ((a, b, index), (b, a, j)):
                if general.kind == "anyidp" and specific.kind in ("idp", "idpkind"):
                    del out[out.index(general)]
                    changed = True
                    break
                if specific.kind != "opt":
                    continue
                if (general.kind == "opts" and specific.value in general.value) or (
                    general.kind == "mfa" and specific.value in SPECIFIC_SECOND
                ):
                    del out[at]
                    changed = True
                    break
            if changed:
                break
    return out


def _continues_list(prev: Clause, chunk: list[Item]) -> bool:
    """ ", an admin, or an auditor": more names of the same kind as the clause before ends with."""
    if not all(i.kind in ("ent", "quoted") or i.kw("OR", "AND", "HAS") for i in chunk):
        return False
    last = next((i for i in reversed(prev.items) if i.kind == "ent"), None)
    if last is None or not prev.items or prev.items[-1] is not last:
        return False
    mine = {v.split(":", 1)[0] for i in chunk if i.kind == "ent" for v in i.value}
    theirs = {v.split(":", 1)[0] for v in last.value}
    return bool(mine & theirs)


def _split_auth(c: Clause) -> tuple[list[Item], list[Item], list[Item]]:
    """The items of an auth clause: steps, the condition on them, and "otherwise" steps."""
    steps: list[Item] = []
    cond: list[Item] = []
    otherwise: list[Item] = []
    in_cond = False
    in_else = False
    previous: Item | None = None
    for item in c.items:
        if item.kw("ELSE"):
            c.use(item)
            in_else, in_cond = True, False
        elif in_else:
            otherwise.append(item)
        elif item.kw("IF", "FOR", "UNLESS"):
            in_cond = True
            cond.append(item)
        elif item.kind in ("ent", "cidr", "quoted") or (item.kind == "kw" and item.kws & COND_KWS):
            in_cond = True
            cond.append(item)
        elif item.kw("NOT") and not item.kw("NO_OTHER"):
            in_cond = True
            cond.append(item)
        elif item.kind in STEP_KINDS:
            before = cond[-2] if len(cond) >= 2 else None
            if (
                in_cond
                and previous is not None
                and (
                    previous.kw("NOT", "HAS")
                    or (
                        previous.kw("WITH")
                        and before is not None
                        and before.kw("FOR", "IF", "UNLESS", "NOT", "EVERYONE")
                    )
                )
            ):
                cond.append(item)
            else:
                in_cond = False
                steps.append(item)
        elif item.kw("MUST", "ALSO", "THEN", "AFTER", "BEFORE"):
            in_cond = False
            steps.append(item)
        elif in_cond:
            cond.append(item)
        else:
            steps.append(item)
        previous = item
    return steps, cond, otherwise


def _run(items: list[Item], start: int) -> tuple[list[Item], int]:
    """Names joined by or/and/commas ("Sales or EMEA groups"), with the role/group/store word
    right before the first or right after the last. Two names side by side without a joint
    ("managers in the EMEA group") are two runs."""
    run: list[Item] = []
    i = start
    expect_name = True
    while i < len(items):
        item = items[i]
        if item.kind in ("ent", "quoted"):
            if not expect_name:
                break
            run.append(item)
            expect_name = False
        elif item.kw("OR", "AND", "LIST") and not expect_name:
            after = items[i + 1 : i + 3]
            if not any(x.kind in ("ent", "quoted") for x in after):
                break
            run.append(item)
            expect_name = True
        elif item.kw("HAS", "ANY", "ALL", "WITH"):
            run.append(item)
        else:
            break
        i += 1
    if run and expect_name and run[-1].kw("OR", "AND", "LIST"):
        i -= 1  # "managers or members of Sales": the joint is between two runs
        run.pop()
    elif i < len(items) and items[i].kw("ROLE_WORD", "GROUP_WORD", "STORE_WORD"):
        run.append(items[i])
        i += 1
    elif start > 0 and items[start - 1].kw("ROLE_WORD", "GROUP_WORD", "STORE_WORD"):
        run.insert(0, items[start - 1])
    return run, i


def _risk_near(items: list[Item]) -> bool:
    return any(x.kw("RISK") for x in items)


def _neg(test: dict[str, Any], negate: bool) -> dict[str, Any]:
    return {"not": test} if negate else test


def _tests(expr: dict[str, Any]) -> set[str]:
    key, body = next(iter(expr.items()))
    if key in ("all", "any"):
        return {t for e in body for t in _tests(e)}
    if key == "not":
        return _tests(body)
    return {key}


def _combine(atoms: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    if len(atoms) == 1:
        return atoms[0][1]
    # "a and b or c": or binds loosest, as in the text form.
    groups: list[list[dict[str, Any]]] = [[]]
    for index, (joint, atom) in enumerate(atoms):
        if index and joint == "or":
            groups.append([])
        groups[-1].append(atom)
    parts = [g[0] if len(g) == 1 else {"all": g} for g in groups]
    return parts[0] if len(parts) == 1 else {"any": parts}


def _and(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    left = a["all"] if "all" in a else [a]
    return {"all": [*left, b]}


def _who(items: list[Item]) -> str:
    return " ".join(i.text for i in items)


def _steps_text(stage: Stage) -> str:
    return " then ".join(" or ".join(s) for s in stage.steps)


def _synonyms(name: str) -> tuple[str, ...]:
    from identra.flowai.tagger import ENTITY_SYNONYMS

    return (name, *ENTITY_SYNONYMS.get(" ".join(lexicon.words(name)), ()))


def _enrolled_only(cond: dict[str, Any]) -> bool:
    inner = cond.get("not", cond)
    return "enrolled" in inner


def _kinds_to_options(cond: dict[str, Any]) -> list[str]:
    inner = cond.get("not", cond)
    back = {"totp": "totp", "passkey": "passkey", "backup_codes": "backup-code"}
    return [back[k] for k in inner["enrolled"]["any"] if k in back]
