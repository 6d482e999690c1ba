"""The text form of a flow: readable, diffable, and exactly equivalent to the JSON document.

    flow "Managers confirm with SMS"
    description "Password or Google; managers also confirm with an SMS code"
    start login

    step login
      options password, idp:google
      next is-manager

    condition is-manager
      if role any ["manager"] and not network in ["10.0.0.0/8"]
      then sms
      else done

    step sms
      options sms-otp
      next done

    allow done

A node is a header line ``<type> <id>`` followed by indented ``<field> <value>`` lines, in the
order of :data:`identra.flows.document.FIELDS`. Node ids, option names and ``on_exceed`` are
bare words; messages, names and ``acr`` are JSON strings; ``amr`` and name lists are JSON
lists of strings (:func:`render` writes invisible characters, such as line separators and
bidirectional overrides, as ``\\u`` escapes); numbers and ``true``/``false`` are JSON
literals. Expressions combine tests with ``and``, ``or``, ``not`` and parentheses (``not``
binds tightest, then ``and``, then ``or``; parentheses written around ``and``/``or`` are kept
as nesting)::

    role any ["a", "b"]        role all [...]        group any [...]   group all [...]
    user_store in ["PRIMARY"]  application in [...]  acr in [...]      network in ["10.0.0.0/8"]
    claim "department" eq "sales"   claim "x" ne "y"   claim "x" in [...]   claim "x" present
    sessions >= 1   risk >= 70   (also >, <=, <, ==)
    time days ["mon", "fri"] from "09:00" to "17:00" tz "Europe/Paris"
    enrolled any ["totp", "passkey"]    amr any ["otp"]    amr all [...]

:func:`render` prints the one canonical text of a document and :func:`parse_text` reads text
back into the JSON document, so ``parse_text(render(d)) == d`` for every valid document and
``render(parse_text(t)) == t`` for every canonical text. Comments are not part of the form
(they could not survive a round trip through JSON); use ``description``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from identra.flows.document import (
    ATTR,
    FIELDS,
    MAX_DEPTH,
    SCHEMA,
    TESTS,
    All,
    Any_,
    Expr,
    FlowDocument,
    FlowInvalid,
    Not,
    Test,
    dump,
    parse,
)

INDENT = "  "

# ---- printing ---------------------------------------------------------------------------


# Invisible characters are written as \u escapes: control characters, line and paragraph
# separators (editors and str.splitlines() break lines there) and format characters (zero-width
# spaces, bidirectional overrides that could make a reviewed text read differently).
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _s(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():  # the common case: nothing invisible
        return text
    return "".join(
        _escape(char) if unicodedata.category(char) in _INVISIBLE else char for char in text
    )


def _list(values: Any) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def _test_text(test: Test) -> str:
    value = test.value
    if test.kind == "claim":
        head = f"claim {_s(test.claim or '')} {test.op}"
        if test.op == "present":
            return head
        return f"{head} {_list(value) if test.op == 'in' else _s(value)}"
    if test.kind == "time":
        return (
            f"time days {_list(value['days'])} from {_s(value['from'])} "
            f"to {_s(value['to'])} tz {_s(value['tz'])}"
        )
    if isinstance(value, tuple | list):
        return f"{test.kind} {test.op} {_list(value)}"
    return f"{test.kind} {test.op} {json.dumps(value)}"


def expr_text(expr: Expr) -> str:
    if isinstance(expr, Test):
        return _test_text(expr)
    if isinstance(expr, Not):
        inner = expr_text(expr.item)
        return f"not ({inner})" if isinstance(expr.item, All | Any_) else f"not {inner}"
    if isinstance(expr, All):
        # Nested "and"/"or" keep their parentheses so that the structure survives exactly.
        parts = [
            f"({expr_text(i)})" if isinstance(i, All | Any_) else expr_text(i) for i in expr.items
        ]
        return " and ".join(parts)
    parts = [f"({expr_text(i)})" if isinstance(i, Any_) else expr_text(i) for i in expr.items]
    return " or ".join(parts)


def render(doc: FlowDocument) -> str:
    lines = [f"flow {_s(doc.name)}"]
    if doc.description is not None:
        lines.append(f"description {_s(doc.description)}")
    lines.append(f"start {doc.start}")
    for node in doc.nodes:
        lines.append("")
        lines.append(f"{node.type} {node.id}")
        required, optional = FIELDS[node.type]
        for name in (*required, *optional):
            value = getattr(node, ATTR.get(name, name))
            if value is None:
                continue
            if name == "if":
                text = expr_text(value)
            elif name == "options":
                text = ", ".join(value)
            elif name == "amr":
                text = _list(value)
            elif name in ("message", "acr"):
                text = _s(value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            lines.append(f"{INDENT}{name} {text}")
    return "\n".join(lines) + "\n"


# ---- reading ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])"
    r"|(?P<op>>=|<=|==|>|<)"
    r"|(?P<punct>[()\[\],])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))",
    re.ASCII,  # digits and spaces are ASCII ones: no "max ٣"
)
_HEAD = re.compile(r"(\S+)\s*(.*)", re.DOTALL)
COMMENT = "comments are not kept (a flow is stored as JSON); use the description"


class _Syntax(Exception):
    pass


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                rest = text[pos:].strip()
                if rest.startswith("#"):
                    raise _Syntax(COMMENT)
                raise _Syntax(f"cannot read {rest[:20]!r}")
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind)))
            pos = match.end()
        self.at = 0
        self.depth = 0  # open "not"s and parentheses: bounded, so that deep text cannot
        # exhaust the interpreter's stack (documents allow MAX_DEPTH levels anyway)

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _Syntax(
                f"expected {expected!r} at the end" if expected else "expected more at the end"
            )
        if expected is not None and token[1] != expected:
            raise _Syntax(f"expected {expected!r}, found {token[1]!r}")
        self.at += 1
        return token

    def word(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise _Syntax(f"expected a word, found {value!r}")
        return value

    def string(self) -> str:
        kind, value = self.take()
        if kind != "str":
            raise _Syntax(f"expected a quoted string, found {value!r}")
        try:
            decoded: str = json.loads(value)
        except json.JSONDecodeError as exc:  # a bad escape or a control character
            raise _Syntax(f"bad string {value}: {exc.msg}") from exc
        return decoded

    def number(self) -> int | float:
        kind, value = self.take()
        if kind != "num":
            raise _Syntax(f"expected a number, found {value!r}")
        return float(value) if any(ch in value for ch in ".eE") else int(value)

    def strings(self) -> list[str]:
        self.take("[")
        values: list[str] = []
        while True:
            values.append(self.string())
            if self.take()[1] == "]":
                return values
            self.at -= 1
            self.take(",")

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise _Syntax(f"unexpected {token[1]!r}")


def _parse_test(t: _Tokens, kind: str) -> dict[str, Any]:
    if kind not in TESTS:
        raise _Syntax(f"unknown test {kind!r}; known: {', '.join(sorted(TESTS))}")
    if kind == "claim":
        name = t.string()
        op = t.word()
        if op == "present":
            return {"claim": {"name": name, "present": True}}
        value: Any = t.strings() if op == "in" else t.string()
        return {"claim": {"name": name, op: value}}
    if kind == "time":
        window: dict[str, Any] = {}
        t.take("days")
        window["days"] = t.strings()
        for key in ("from", "to", "tz"):
            t.take(key)
            window[key] = t.string()
        return {"time": {"within": window}}
    kind_op, op = t.take()
    if kind_op not in ("word", "op"):
        raise _Syntax(f"expected an operator after {kind!r}, found {op!r}")
    token = t.peek()
    if token is not None and token[1] == "[":
        return {kind: {op: t.strings()}}
    return {kind: {op: t.number()}}


def _unary(t: _Tokens) -> dict[str, Any]:
    kind, value = t.take()
    if (kind, value) in (("word", "not"), ("punct", "(")):
        t.depth += 1
        if t.depth > MAX_DEPTH:
            raise _Syntax(f"the expression nests deeper than {MAX_DEPTH} levels")
        if value == "not":
            result = {"not": _unary(t)}
        else:
            result = _or(t)
            t.take(")")
        t.depth -= 1
        return result
    if kind != "word" or value in ("and", "or"):
        raise _Syntax(f"expected a test, found {value!r}")
    return _parse_test(t, value)


def _chain(t: _Tokens, word: str, item: Any) -> list[dict[str, Any]]:
    items = [item(t)]
    while (token := t.peek()) is not None and token == ("word", word):
        t.take()
        items.append(item(t))
    return items


def _and(t: _Tokens) -> dict[str, Any]:
    items = _chain(t, "and", _unary)
    return items[0] if len(items) == 1 else {"all": items}


def _or(t: _Tokens) -> dict[str, Any]:
    items = _chain(t, "or", _and)
    return items[0] if len(items) == 1 else {"any": items}


def parse_expr(text: str) -> dict[str, Any]:
    tokens = _Tokens(text)
    expr = _or(tokens)
    tokens.end()
    return expr


def _field_value(name: str, text: str) -> Any:
    value: Any
    if "#" in text and name in ("next", "then", "else", "on_exceed", "options"):
        raise _Syntax(COMMENT)
    if name in ("next", "then", "else", "on_exceed"):
        value = text.strip()  # a node id (may hold "-"); checked by document.parse
        if len(value.split()) != 1:
            raise _Syntax(f"{name} takes one word")
        return value
    if name == "options":
        options = [part.strip() for part in text.split(",")]
        if any(len(option.split()) != 1 for option in options):
            raise _Syntax("write the options as names separated by commas")
        return options
    t = _Tokens(text)
    if name == "if":
        value = _or(t)
    elif name in ("message", "acr"):
        value = t.string()
    elif name == "amr":
        value = t.strings()
    elif name == "skippable":
        word = t.word()
        if word not in ("true", "false"):
            raise _Syntax("expected true or false")
        value = word == "true"
    else:
        value = t.number()
    t.end()
    return value


def parse_text(text: str) -> dict[str, Any]:
    """Read the text form into the JSON document (not yet validated: call ``document.parse``).

    Raises :class:`FlowInvalid` with ``line N`` paths for text it cannot read.
    """
    doc: dict[str, Any] = {"schema": SCHEMA}
    nodes: list[dict[str, Any]] = []
    node: dict[str, Any] | None = None
    problems: list[tuple[str, str]] = []
    # Lines end at "\n" only (str.splitlines() would also break inside a string at U+2028...).
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"line {number}"
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            problems.append((where, COMMENT))
            continue
        indented = line[0] in " \t"
        found = _HEAD.fullmatch(line.strip())
        assert found is not None  # the line has a non-space character
        head, rest = found.group(1), found.group(2).strip()
        try:
            if not indented:
                if head in FIELDS:
                    if len(rest.split()) != 1:
                        raise _Syntax(f"write '{head} <id>'")
                    node = {"id": rest, "type": head}
                    nodes.append(node)
                elif head not in ("flow", "description", "start"):
                    raise _Syntax(
                        f"unknown line {head!r}; a node starts with its type ({', '.join(FIELDS)})"
                    )
                elif node is not None:
                    raise _Syntax("top-level lines (flow, description, start) come first")
                else:
                    key = "name" if head == "flow" else head
                    if key in doc:
                        raise _Syntax(f"{head} is given twice")
                    if head == "start":
                        if len(rest.split()) != 1:
                            raise _Syntax("write 'start <node id>'")
                        doc["start"] = rest
                    else:
                        t = _Tokens(rest)
                        doc[key] = t.string()
                        t.end()
            else:
                if node is None:
                    raise _Syntax("an indented field belongs to a node")
                required, optional = FIELDS[node["type"]]
                if head not in (*required, *optional):
                    raise _Syntax(
                        f"a {node['type']} node has no field {head!r}; "
                        f"its fields: {', '.join((*required, *optional)) or 'none'}"
                    )
                if head in node:
                    raise _Syntax(f"{head} is given twice")
                if not rest:
                    raise _Syntax(f"{head} needs a value")
                node[head] = _field_value(head, rest)
        except _Syntax as why:
            problems.append((where, str(why)))
        except ValueError as why:  # e.g. a number too long to convert
            problems.append((where, f"cannot read: {why}"))
    if problems:
        raise FlowInvalid(problems)
    doc["nodes"] = nodes
    return doc


def load(text: str, **checks: Any) -> FlowDocument:
    """Text form -> validated document."""
    return parse(parse_text(text), **checks)


def to_json(text: str) -> dict[str, Any]:
    return dump(load(text))
