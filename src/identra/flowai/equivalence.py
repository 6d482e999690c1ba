"""When two flows are the same flow: the same graph up to node ids.

The walk from ``start`` follows ``next``, then ``then`` before ``else``, so each node gets the
same canonical number in both documents whenever the graphs are isomorphic. The flow's name and
description are left out of the comparison, and so, with ``messages=False``, is the wording of
messages (prose, not behaviour). Everything else counts: node types, options and their order,
expressions, numbers, ``skippable``, ``on_exceed``, ``duration``...
"""

from __future__ import annotations

import json
from typing import Any

LINKS = ("next", "then", "else")


def canonical(doc: dict[str, Any], *, messages: bool = True) -> list[dict[str, Any]]:
    by_id = {n["id"]: n for n in doc.get("nodes", [])}
    number: dict[str, int] = {}
    order: list[str] = []
    stack = [doc["start"]]
    while stack:
        current = stack.pop()
        if current in number or current not in by_id:
            continue
        number[current] = len(order)
        order.append(current)
        node = by_id[current]
        for link in reversed(LINKS):  # popped in LINKS order
            if isinstance(node.get(link), str):
                stack.append(node[link])
    out = []
    for node_id in order:
        node = dict(by_id[node_id])
        node.pop("id")
        for link in LINKS:
            if link in node:
                node[link] = number.get(node[link], -1)
        if not messages:
            node.pop("message", None)
        out.append(node)
    if len(order) != len(by_id):
        out.append({"unreachable": sorted(set(by_id) - set(order))})
    return out


def equivalent(a: dict[str, Any], b: dict[str, Any], *, messages: bool = True) -> bool:
    return json.dumps(canonical(a, messages=messages), sort_keys=True) == json.dumps(
        canonical(b, messages=messages), sort_keys=True
    )
