"""When an action applies: WSO2's rule document, an OR of AND groups of expressions.

```json
{"condition": "OR", "rules": [
  {"condition": "AND", "expressions": [
    {"field": "application", "operator": "equals", "value": "<application id or client_id>"},
    {"field": "grantType", "operator": "notEquals", "value": "client_credentials"}]}]}
```

A fact may have several values: aliases (an application is named by its id or its client id, an
organization by its id or handle, a user store by its id or identifier) or several members (the
token's scopes). ``equals v`` holds when ``v`` is one of the values, ``notEquals v`` when it is
none of them; a fact that is absent (no user store for a client's own token) has no values.
No rule (``null`` or ``{}``) means the action always applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("equals", "notEquals")
MAX_GROUPS = 10
MAX_EXPRESSIONS = 10
MAX_VALUE = 255

FactValue = str | Iterable[str] | None


class RuleInvalid(ValueError):
    def __init__(self, message: str, path: str = "rule") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Expression:
    field: str
    operator: str
    value: str

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        raw = facts.get(self.field)
        values: set[str] = set() if raw is None else {raw} if isinstance(raw, str) else set(raw)
        found = self.value in values
        return found if self.operator == "equals" else not found


@dataclass(frozen=True)
class Rule:
    groups: tuple[tuple[Expression, ...], ...] = ()

    def matches(self, facts: Mapping[str, FactValue]) -> bool:
        if not self.groups:
            return True
        return any(all(e.holds(facts) for e in group) for group in self.groups)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(e.field for group in self.groups for e in group)

    def to_json(self) -> dict[str, Any] | None:
        if not self.groups:
            return None
        return {
            "condition": "OR",
            "rules": [
                {
                    "condition": "AND",
                    "expressions": [
                        {"field": e.field, "operator": e.operator, "value": e.value} for e in group
                    ],
                }
                for group in self.groups
            ],
        }


ALWAYS = Rule()


def parse_rule(document: Any, allowed_fields: Iterable[str]) -> Rule:
    """Validate a rule document; :class:`RuleInvalid` names the offending part."""
    if document is None or document == {}:
        return ALWAYS
    allowed = tuple(allowed_fields)
    if not isinstance(document, dict):
        raise RuleInvalid("a rule is an object: {condition: OR, rules: [...]}")
    unknown = sorted(set(document) - {"condition", "rules"})
    if unknown:
        raise RuleInvalid(f"unknown rule member {unknown[0]}", f"rule/{unknown[0]}")
    if document.get("condition") != "OR":
        raise RuleInvalid("the top-level condition must be OR", "rule/condition")
    groups = document.get("rules")
    if not isinstance(groups, list) or not groups:
        raise RuleInvalid("rules must be a non-empty list of AND groups", "rule/rules")
    if len(groups) > MAX_GROUPS:
        raise RuleInvalid(f"at most {MAX_GROUPS} groups", "rule/rules")
    parsed: list[tuple[Expression, ...]] = []
    for i, group in enumerate(groups):
        where = f"rule/rules/{i}"
        if not isinstance(group, dict):
            raise RuleInvalid("a group is an object: {condition: AND, expressions: [...]}", where)
        unknown = sorted(set(group) - {"condition", "expressions"})
        if unknown:
            raise RuleInvalid(f"unknown group member {unknown[0]}", f"{where}/{unknown[0]}")
        if group.get("condition") != "AND":
            raise RuleInvalid("a group's condition must be AND", f"{where}/condition")
        expressions = group.get("expressions")
        if not isinstance(expressions, list) or not expressions:
            raise RuleInvalid("expressions must be a non-empty list", f"{where}/expressions")
        if len(expressions) > MAX_EXPRESSIONS:
            raise RuleInvalid(
                f"at most {MAX_EXPRESSIONS} expressions per group", f"{where}/expressions"
            )
        parsed.append(
            tuple(
                _expression(e, allowed, f"{where}/expressions/{j}")
                for j, e in enumerate(expressions)
            )
        )
    return Rule(tuple(parsed))


def _expression(raw: Any, allowed: tuple[str, ...], where: str) -> Expression:
    if not isinstance(raw, dict):
        raise RuleInvalid("an expression is an object: {field, operator, value}", where)
    unknown = sorted(set(raw) - {"field", "operator", "value"})
    if unknown:
        raise RuleInvalid(f"unknown expression member {unknown[0]}", f"{where}/{unknown[0]}")
    field, operator, value = raw.get("field"), raw.get("operator"), raw.get("value")
    if field not in allowed:
        raise RuleInvalid(
            f"field must be one of {', '.join(allowed)} for this action type", f"{where}/field"
        )
    if operator not in OPERATORS:
        raise RuleInvalid(f"operator must be one of {', '.join(OPERATORS)}", f"{where}/operator")
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
        raise RuleInvalid(f"value must be a string of 1 to {MAX_VALUE} characters", where)
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise RuleInvalid("value must not contain control characters", f"{where}/value")
    assert isinstance(field, str) and isinstance(operator, str)
    return Expression(field, operator, value)


def rule_from_stored(document: Any, allowed_fields: Iterable[str]) -> Rule:
    """A stored rule; one that no longer validates (edited by hand) matches nothing."""
    try:
        return parse_rule(document, allowed_fields)
    except RuleInvalid:
        return NEVER


NEVER = Rule(((Expression("organization", "equals", "\x00"),),))
