"""Collecting the English source texts of the hosted pages, for the catalogs.

- templates: every ``_("literal", ...)`` call in ``templates/**/*.html`` (not the emails);
- Python: every ``N_(...)`` call in ``src/identra`` whose argument is a literal, a ``+`` of
  literals, or a module-level name bound to one;
- :data:`identra.i18n.sources.RUNTIME`.

``python -m identra.i18n.extract`` prints, for each shipped catalog, the texts it lacks and the
keys no source uses any more.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, nodes

from identra.i18n.sources import RUNTIME

PACKAGE = Path(__file__).resolve().parents[1]  # src/identra
TEMPLATES = PACKAGE / "templates"
CATALOGS = Path(__file__).resolve().parent / "catalogs"
_FIELD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class Found:
    text: str
    where: str  # file:line
    params: frozenset[str] | None = None  # keyword arguments of a template call


class ExtractionError(Exception):
    pass


def page_templates() -> list[Path]:
    return sorted(
        p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts
    )


def from_templates() -> Iterator[Found]:
    env = Environment(autoescape=True)
    for path in page_templates():
        tree = env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "_"):
                continue
            if not call.args or not isinstance(call.args[0], nodes.Const):
                continue  # _(value): a text made elsewhere
            text = call.args[0].value
            if not isinstance(text, str):
                raise ExtractionError(f"{path}:{call.lineno}: _() of a non-string constant")
            where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
            yield Found(text, where, frozenset(kw.key for kw in call.kwargs))


def _evaluate(node: ast.expr, names: dict[str, ast.expr], depth: int = 0) -> str | None:
    if depth > 10:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _evaluate(node.left, names, depth + 1)
        right = _evaluate(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Name) and node.id in names:
        return _evaluate(names[node.id], names, depth + 1)
    return None


def from_python() -> Iterator[Found]:
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "N_(" not in source:
            continue
        tree = ast.parse(source)
        names: dict[str, ast.expr] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        names[target.id] = statement.value
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
            ):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            text = _evaluate(node.args[0], names) if len(node.args) == 1 else None
            if text is None:
                raise ExtractionError(f"{where}: N_() needs one literal string argument")
            yield Found(text, where)


def _normalized(text: str) -> str:
    return _FIELD.sub("{}", text)


def module_texts(path: Path) -> set[str]:
    """Every string literal and f-string of a module, fields written as ``{}``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.add(_normalized(node.value))
        elif isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                else:
                    parts.append("{}")
            out.add("".join(parts))
    return out


def from_runtime() -> Iterator[Found]:
    for module, texts in RUNTIME.items():
        path = PACKAGE / module
        if not path.is_file():
            raise ExtractionError(f"i18n/sources.py names {module}, which does not exist")
        present = module_texts(path)
        for text in texts:
            if _normalized(text) not in present:
                raise ExtractionError(f"{module} no longer contains {text!r} (i18n/sources.py)")
            yield Found(text, module)


def sources() -> dict[str, list[str]]:
    """Every source text and where it is used."""
    out: dict[str, list[str]] = {}
    for found in (*from_templates(), *from_python(), *from_runtime()):
        out.setdefault(found.text, []).append(found.where)
    return out


def catalog_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(CATALOGS.glob("*.json"))}


def main() -> int:
    known = sources()
    status = 0
    for locale, path in catalog_files().items():
        entries = json.loads(path.read_text(encoding="utf-8"))
        missing = [t for t in known if t not in entries]
        stale = [t for t in entries if t not in known]
        for text in missing:
            print(f"{locale}: missing {json.dumps(text, ensure_ascii=False)}  ({known[text][0]})")
        for text in stale:
            print(f"{locale}: stale {json.dumps(text, ensure_ascii=False)}")
        status |= bool(missing or stale)
    print(f"{len(known)} source texts")
    return status


if __name__ == "__main__":
    sys.exit(main())
