"""From a description to tagged items: words are corrected, grouped into known phrases, and
each phrase gets one meaning (an option, a keyword, a name of the organization, a number...).

Nothing is dropped silently: a word that is neither a filler nor part of a known phrase becomes
an ``unknown`` item, which the reader turns into a question.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from identra.flowai import lexicon
from identra.flowai.inventory import Inventory

# Words that name the same thing in roles and groups ("administrators" for a role "admin").
ENTITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "admin": ("administrator", "admins", "sysadmin"),
    "administrator": ("admin",),
    "manager": ("mgr", "line manager"),
    "contractor": ("external contractor",),
    "developer": ("dev", "engineer"),
    "engineer": ("developer",),
}
CONTEXT_WORDS = frozenset(
    {"role", "group", "team", "store", "userstore", "directory", "member", "department"}
)

_TOKEN = re.compile(
    r"""
    (?P<quoted>"[^"\n]{1,200}"|“[^”\n]{1,200}”)
  | (?P<cidr4>\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?!\d|\.\d))
  | (?P<cidr6>(?<![\w:])(?:[0-9A-Fa-f]{1,4})?(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?(?![\w:]))
  | (?P<word>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?:['\u2019][A-Za-z]+)?)
  | (?P<symbol>>=|<=|->|=>|→|[><+&/,;.:!?()\n\u2013\u2014-])
    """,
    re.VERBOSE,
)
SYMBOL_PHRASES = {">=", "<=", ">", "<", "+", "&"}
DASHES = ("\u2013", "\u2014", "-")  # en dash, em dash, a hyphen standing alone
# Words that end a clause like a comma does.
SEPARATOR_WORDS = frozenset({"but", "however", "whereas", "meanwhile", "moreover", "furthermore"})


@dataclass
class Item:
    """One tagged phrase. ``kind``: opt, opts, idp, idpkind, anyidp, mfa, kw, num, cidr, ent,
    quoted, sep, unknown. ``kws`` holds every keyword meaning of a ``kw`` item."""

    kind: str
    value: Any
    text: str
    kws: frozenset[str] = frozenset()
    position: int = 0

    def kw(self, *names: str) -> bool:
        return self.kind == "kw" and bool(self.kws & set(names))


@dataclass
class Tagged:
    items: list[Item]
    corrections: list[tuple[str, str]] = field(default_factory=list)
    near: dict[str, list[str]] = field(default_factory=dict)  # unknown word -> close names


@dataclass
class _Token:
    kind: str  # word, quoted, cidr, symbol
    text: str
    stem: str
    position: int


@lru_cache(maxsize=1)
def _fixed_table() -> dict[tuple[str, ...], list[tuple[str, str]]]:
    return lexicon.phrase_table()


def _inventory_table(inv: Inventory) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    table: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(phrase: str, kind: str, value: str) -> None:
        key = lexicon.words(phrase)
        if key and (kind, value) not in table.setdefault(key, []):
            table[key].append((kind, value))

    for name in inv.idps:
        add(name, "idp", name)
    for category, names in (("role", inv.roles), ("group", inv.groups)):
        for name in names:
            add(name, "ent", f"{category}:{name}")
            for synonym in ENTITY_SYNONYMS.get(" ".join(lexicon.words(name)), ()):
                add(synonym, "ent", f"{category}:{name}")
    for name in inv.user_stores:
        add(name, "ent", f"store:{name}")
    return table


def tokens(text: str) -> list[_Token]:
    text = unicodedata.normalize("NFKC", text)
    out: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "symbol"
        raw = match.group()
        if kind in ("cidr4", "cidr6"):
            try:
                network = ipaddress.ip_network(raw, strict=False)
            except ValueError:
                if kind == "cidr6":  # "10:30" and the like: not an address
                    for part in re.findall(r"[A-Za-z0-9]+", raw):
                        out.append(_Token("word", part, lexicon.stem(part), match.start()))
                    continue
                out.append(_Token("badcidr", raw, raw, match.start()))
                continue
            out.append(_Token("cidr", raw, str(network), match.start()))
        elif kind == "quoted":
            out.append(_Token("quoted", raw.strip('"“”'), raw.strip('"“”'), match.start()))
        elif kind == "word":
            if lexicon.stem(raw) in SEPARATOR_WORDS:
                out.append(_Token("symbol", ",", ",", match.start()))
                continue
            for part in raw.split("-"):  # "LDAP-CORP", "on-call", "two-factor": word by word
                out.append(_Token("word", part, lexicon.stem(part), match.start()))
        else:
            out.append(_Token("symbol", raw, raw, match.start()))
    return out


@lru_cache(maxsize=4096)
def _correct(stem: str, vocabulary: frozenset[str]) -> tuple[str | None, tuple[str, ...]]:
    """The one known word within the typo tolerance of ``stem`` (or None) and the near ones."""
    allowed = lexicon.tolerance(stem)
    if not allowed or stem.isdigit():
        return None, ()
    best: list[str] = []
    best_distance = allowed + 1
    for word in vocabulary:
        if abs(len(word) - len(stem)) > allowed or len(word) < 4:
            continue
        d = lexicon.distance(stem, word, allowed + 1)
        if d > allowed:
            continue
        if d < best_distance:
            best, best_distance = [word], d
        elif d == best_distance:
            best.append(word)
    if len(best) == 1:
        return best[0], ()
    return None, tuple(sorted(best))


_TABLES: dict[str, tuple[dict[tuple[str, ...], list[tuple[str, str]]], frozenset[str]]] = {}


def _tables(inv: Inventory) -> tuple[dict[tuple[str, ...], list[tuple[str, str]]], frozenset[str]]:
    """The organization's phrase table and the whole vocabulary, kept for the next compile."""
    key = json.dumps(inv.to_json(), sort_keys=True)
    found = _TABLES.get(key)
    if found is None:
        own = _inventory_table(inv)
        vocabulary = _fixed_vocabulary() | {w for k in own for w in k}
        if len(_TABLES) > 256:
            _TABLES.clear()
        found = _TABLES[key] = (own, frozenset(vocabulary))
    return found


@lru_cache(maxsize=1)
def _fixed_longest() -> int:
    return max(len(k) for k in _fixed_table())


@lru_cache(maxsize=1)
def _fixed_vocabulary() -> frozenset[str]:
    return lexicon.vocabulary(_fixed_table())


def tag(text: str, inv: Inventory) -> Tagged:
    fixed = _fixed_table()
    own, vocabulary = _tables(inv)
    result = Tagged([])
    toks = tokens(text)
    # Typo correction, word by word, before phrases are matched.
    for tok in toks:
        if tok.kind != "word" or tok.stem in vocabulary or tok.stem.isdigit():
            continue
        corrected, near = _correct(tok.stem, vocabulary)
        if corrected is None and near:
            corrected = _in_phrase(toks, toks.index(tok), list(near), (fixed, own))
        if corrected is not None:
            result.corrections.append((tok.text, corrected))
            tok.stem = corrected
        elif near:
            result.near[tok.text] = list(near)
    longest = max(_fixed_longest(), max((len(k) for k in own), default=1))
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "cidr":
            result.items.append(Item("cidr", tok.stem, tok.text, position=tok.position))
            i += 1
            continue
        if tok.kind == "badcidr":
            result.items.append(Item("unknown", tok.text, tok.text, position=tok.position))
            i += 1
            continue
        if tok.kind == "quoted":
            result.items.append(Item("quoted", tok.text, f'"{tok.text}"', position=tok.position))
            i += 1
            continue
        if tok.kind == "symbol" and tok.text not in SYMBOL_PHRASES:
            if tok.text in (",", ";", ".", ":", "!", "?", "\n", *DASHES):
                sep = "," if tok.text in DASHES else tok.text
                result.items.append(Item("sep", sep, tok.text, position=tok.position))
            elif tok.text in ("->", "=>", "→"):
                result.items.append(
                    Item("kw", "THEN", tok.text, frozenset({"THEN"}), position=tok.position)
                )
            elif tok.text == "/":
                result.items.append(
                    Item("kw", "OR", tok.text, frozenset({"OR"}), position=tok.position)
                )
            i += 1  # parentheses and a lone hyphen carry nothing
            continue
        # The longest known phrase starting here (words and phrase symbols only).
        found: list[tuple[str, str]] = []
        length = 0
        for n in range(min(longest, len(toks) - i), 0, -1):
            span = toks[i : i + n]
            if any(t.kind not in ("word", "symbol") for t in span):
                continue
            if any(t.kind == "symbol" and t.text not in SYMBOL_PHRASES for t in span):
                continue
            key = tuple(t.stem for t in span)
            meanings = own.get(key, []) + fixed.get(key, [])
            if meanings:
                found, length = meanings, n
                break
        if not found:
            if tok.kind == "word" and tok.stem.isdigit():
                result.items.append(Item("num", int(tok.stem), tok.text, position=tok.position))
            elif tok.kind == "word" and tok.stem in lexicon.FILLERS:
                pass
            else:
                result.items.append(Item("unknown", tok.text, tok.text, position=tok.position))
            i += 1
            continue
        text_of = " ".join(t.text for t in toks[i : i + length])
        result.items.append(_choose(found, text_of, toks, i, length, tok.position, own))
        i += length
    return result


def _in_phrase(
    toks: list[_Token],
    index: int,
    candidates: list[str],
    tables: tuple[dict[tuple[str, ...], list[tuple[str, str]]], ...],
) -> str | None:
    """Of several equally near words, the one that makes a longer phrase with its neighbours
    ("authenticatr app" -> "authenticator", as in "authenticator app")."""
    best: list[str] = []
    best_length = 1
    for candidate in candidates:
        length = 0
        for start in range(max(0, index - 4), index + 1):
            for end in range(index + 1, min(len(toks), start + 8) + 1):
                key = tuple(candidate if n == index else toks[n].stem for n in range(start, end))
                if any(key in table for table in tables):
                    length = max(length, end - start)
        if length > best_length:
            best, best_length = [candidate], length
        elif length == best_length and length > 1:
            best.append(candidate)
    return best[0] if len(best) == 1 else None


# Words after which a name is read as a name even when it is also a keyword ("except support").
NAME_CUES = frozenset(
    {
        "for",
        "except",
        "unless",
        "if",
        "not",
        "non",
        "without",
        "only",
        "block",
        "deny",
        "lock",
        "from",
        "all",
        "every",
        "than",
    }
)

# Words after a name that show it names people ("support staff").
PEOPLE_WORDS = frozenset(
    {"staff", "user", "people", "member", "employee", "agent", "folk", "personnel", "team"}
)

_PREFERENCE = ("opt", "opts", "idp", "idpkind", "mfa", "anyidp", "kw", "num", "ent")


def _choose(
    meanings: list[tuple[str, str]],
    text: str,
    toks: list[_Token],
    i: int,
    length: int,
    pos: int,
    own: dict[tuple[str, ...], list[tuple[str, str]]],
) -> Item:
    kinds = {k for k, _ in meanings}
    ents = [v for k, v in meanings if k == "ent"]
    if ents and len(kinds) > 1:
        # A name that is also a keyword counts as the name next to "role", "group", "store".
        near = {t.stem for t in toks[max(0, i - 2) : i] + toks[i + length : i + length + 2]}
        after = toks[i + length].stem if i + length < len(toks) else ""
        listed = (
            i >= 2
            and toks[i - 1].stem in ("or", "and")
            and any(toks[i - 2].stem in key for key, m in own.items() if m[0][0] == "ent")
        )
        context = (
            bool(near & CONTEXT_WORDS)
            or (i > 0 and toks[i - 1].stem in NAME_CUES)
            or after in PEOPLE_WORDS
            or listed
        )
        if context:
            return Item("ent", ents, text, position=pos)
    for kind in _PREFERENCE:
        values = [v for k, v in meanings if k == kind]
        if not values:
            continue
        if kind == "kw":
            return Item("kw", values[0], text, frozenset(values), position=pos)
        if kind == "num":
            return Item("num", int(values[0]), text, position=pos)
        if kind == "ent":
            return Item("ent", values, text, position=pos)
        if kind == "opts":
            return Item("opts", tuple(values[0].split(",")), text, position=pos)
        return Item(kind, values[0], text, position=pos)
    raise AssertionError(meanings)  # pragma: no cover: every meaning has a kind above
