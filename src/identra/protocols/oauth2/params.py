"""Parameter access with RFC 6749 §3.1 rules: no parameter may be sent more than once."""

from __future__ import annotations

from identra.protocols.oauth2.errors import InvalidRequest


def single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequest(f"parameter {name} was sent more than once")
    return values[0]


def required(params: dict[str, list[str]], name: str) -> str:
    value = single(params, name)
    if value is None or value == "":
        raise InvalidRequest(f"missing parameter {name}")
    return value


def scopes(value: str | None) -> list[str]:
    """RFC 6749 §3.3: space-delimited, case-sensitive, order irrelevant; duplicates dropped."""
    if not value:
        return []
    out: list[str] = []
    for item in value.split(" "):
        if item and item not in out:
            out.append(item)
    return out
