"""A flow in one paragraph of plain language, from the document alone.

Works for any valid document (the rule compiler's, an LLM's, one written by hand), so what an
administrator reads before applying a generated flow describes the graph itself, not what the
compiler meant to build.
"""

from __future__ import annotations

from typing import Any

from identra.flowai.build import noun
from identra.flowai.inventory import Inventory

RISK_OPS = {">=": "of {} or more", ">": "above {}", "<=": "of {} or less", "<": "below {}"}
SESSION_OPS = {">=": "{} or more", ">": "more than {}", "<=": "at most {}", "<": "fewer than {}"}


def _list(values: list[str], word: str = "or") -> str:
    quoted = [str(v) for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {word} {quoted[-1]}"


def phrase(expr: dict[str, Any], negate: bool = False) -> str:
    """A verb phrase completing "users who ..."."""
    key, body = next(iter(expr.items()))
    if key == "not":
        return phrase(body, not negate)
    if key in ("all", "any"):
        # De Morgan, so that "not (a and b)" reads "do not ... or do not ...".
        word = (
            ("and" if key == "all" else "or") if not negate else ("or" if key == "all" else "and")
        )
        parts = [phrase(e, negate) for e in body]
        return f" {word} ".join(f"({p})" if " and " in p or " or " in p else p for p in parts)
    op, value = next((k, v) for k, v in body.items() if k != "name")
    values = list(value) if isinstance(value, list | tuple) else value
    if key in ("role", "group"):
        joint = "and" if op == "all" else "or"
        many = len(values) > 1 and op == "all"
        noun_ = f"{key}{'s' if many else ''}"
        if key == "role":
            return f"{'do not have' if negate else 'have'} the {_list(values, joint)} {noun_}"
        return f"{'are not' if negate else 'are'} in the {_list(values, joint)} {noun_}"
    if key == "user_store":
        stores = "user store" if len(values) == 1 else "user stores"
        return f"{'do not come' if negate else 'come'} from the {_list(values)} {stores}"
    if key == "network":
        where = "outside " if negate else ""
        return f"connect from {where}{_list(values)}"
    if key == "risk":
        text = RISK_OPS.get(op, "of exactly {}").format(values)
        return f"{'do not have' if negate else 'have'} a risk score {text}"
    if key == "enrolled":
        return f"{'have not' if negate else 'have'} enrolled {_list(values)}"
    if key == "sessions":
        text = SESSION_OPS.get(op, "exactly {}").format(values)
        return f"{'do not have' if negate else 'have'} {text} other active sessions"
    if key == "claim":
        name = body.get("name")
        if op == "present":
            return f"{'do not have' if negate else 'have'} the claim {name!r}"
        if op == "in":
            return f"{'do not have' if negate else 'have'} the claim {name!r} in {values}"
        relation = "equal to" if op == "eq" else "different from"
        return f"{'do not have' if negate else 'have'} the claim {name!r} {relation} {values!r}"
    if key == "application":
        return f"{'do not sign' if negate else 'sign'} in to {_list(values)}"
    if key == "amr":
        return f"{'have not used' if negate else 'have used'} {_list(values)}"
    if key == "acr":
        return f"{'were not' if negate else 'were'} asked for {_list(values)}"
    if key == "time" and isinstance(value, dict):
        days = ", ".join(value["days"])
        when = f"on {days} from {value['from']} to {value['to']} ({value['tz']})"
        return f"sign in {'outside' if negate else ''} {when}".replace("  ", " ")
    return f"{'do not meet' if negate else 'meet'} the test {key}"


def _options(node: dict[str, Any], inv: Inventory) -> str:
    return " or ".join(noun(o, inv) for o in node.get("options", []))


def explain(doc: dict[str, Any], inv: Inventory) -> str:
    nodes = {n["id"]: n for n in doc["nodes"]}
    said: set[str] = set()
    sentences: list[str] = []
    stepped = False

    def chain(start: str | None, join: str | None) -> list[dict[str, Any]] | None:
        """The steps from ``start`` one after the other up to ``join``, if that is all."""
        steps = []
        current = start
        while current is not None and current != join:
            node = nodes.get(current)
            if node is None or node["type"] != "step":
                return None
            steps.append(node)
            current = node.get("next")
        return steps if current == join else None

    for node in doc["nodes"]:
        nid, kind = node["id"], node["type"]
        if nid in said:
            continue
        said.add(nid)
        if kind == "identify":
            sentences.append("Users first enter their username.")
        elif kind == "step":
            if not stepped:
                sentences.append(f"Users sign in with {_options(node, inv)}.")
            else:
                sentences.append(f"Then they confirm with {_options(node, inv)}.")
            stepped = True
        elif kind == "condition":
            sentences.append(_condition(node, nodes, said, chain, inv))
        elif kind == "enroll":
            sentences.append(_enroll(node))
        elif kind == "limit_sessions":
            sentences.append(_limit(node))
        elif kind == "set":
            sentences.append("The tokens are marked with " + _marks(node) + ".")
        elif kind == "allow":
            marks = f", with {_marks(node)}" if node.get("acr") or node.get("amr") else ""
            sentences.append(f"Then they are signed in{marks}.")
        elif kind == "deny":
            sentences.append(f"A login that reaches {nid!r} is refused: {node['message']!r}.")
        elif kind == "lock":
            sentences.append(f"A login that reaches {nid!r} locks the account.")
    return " ".join(s[:1].upper() + s[1:] for s in sentences if s)


def _marks(node: dict[str, Any]) -> str:
    parts = []
    if node.get("acr"):
        parts.append(f"acr {node['acr']!r}")
    if node.get("amr"):
        parts.append(f"amr {', '.join(node['amr'])}")
    return " and ".join(parts)


def _ending(node: dict[str, Any]) -> str:
    if node["type"] == "deny":
        return f"are refused ({node['message']!r})"
    duration = node.get("duration")
    span = f" for {_duration(duration)}" if duration else " until an administrator unlocks it"
    return f"have their account locked{span}"


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _condition(
    node: dict[str, Any], nodes: dict[str, Any], said: set[str], chain: Any, inv: Inventory
) -> str:
    expr = node["if"]
    then, other = nodes[node["then"]], nodes[node["else"]]
    for target, negate in ((then, False), (other, True)):
        if target["type"] in ("deny", "lock"):
            said.add(target["id"])
            return f"Users who {phrase(expr, negate)} {_ending(target)}."
    for target, rest, negate in ((then, other, False), (other, then, True)):
        if target["type"] == "enroll" and target.get("next") == rest["id"]:
            said.add(target["id"])
            return f"Users who {phrase(expr, negate)} {_enroll(target, verb_only=True)}."
    then_steps = chain(node["then"], node["else"])
    if then_steps:
        said.update(s["id"] for s in then_steps)
        steps = ", then ".join(_options(s, inv) for s in then_steps)
        return f"Users who {phrase(expr)} also confirm with {steps}."
    else_steps = chain(node["else"], node["then"])
    if else_steps:
        said.update(s["id"] for s in else_steps)
        steps = ", then ".join(_options(s, inv) for s in else_steps)
        return f"Users who {phrase(expr, True)} also confirm with {steps}."
    return (
        f"If the user {phrase(expr).replace('have ', 'has ', 1)}, the flow goes on at "
        f"{node['then']!r}, otherwise at {node['else']!r}."
    )


def _enroll(node: dict[str, Any], verb_only: bool = False) -> str:
    options = " or ".join(node["options"])
    tail = "; they may postpone it" if node.get("skippable") else ""
    if verb_only:
        return f"are asked to set up {options}{tail}"
    return f"Users without {options} are asked to set one up{tail}."


def _limit(node: dict[str, Any]) -> str:
    limit = node["max"]
    if node["on_exceed"] == "choose":
        over = "a user over the limit chooses a session to end"
    else:
        over = "a user over the limit is refused"
    if limit == 1:
        if node["on_exceed"] == "choose":
            return "A user who already has an active session chooses one to end before going on."
        return "A user who already has an active session elsewhere is refused."
    return f"A user may have at most {limit} active sessions, counting this one; {over}."
