"""The flow context: everything a login in progress has gathered, as versioned JSON.

It lives in the cache backend under ``flow:<id>`` so that any node (or the same node after a
restart, with Redis) can serve the next request. It pins the flow revision it started with:
a flow changed while someone is signing in does not change the steps under their feet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from identra.flows.interface import LoginRequest

VERSION = 2


@dataclass
class FlowState:
    id: str
    request: LoginRequest
    csrf: str
    expires_at: int
    flow_ref: str
    node: str
    node_started: int
    user_id: str | None = None
    username: str | None = None
    identified: bool = False  # the username was entered at an identifier step
    amr: list[str] = field(default_factory=list)
    acr: str | None = None
    passed: list[str] = field(default_factory=list)  # options passed, in order
    scratch: dict[str, dict[str, Any]] = field(default_factory=dict)  # per option
    engaged: str | None = None  # the option that took over the current step
    risk: float | None = None  # set by a fraud-detection connector
    transitions: int = 0

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "request"}
        return json.dumps({"v": VERSION, "request": self.request.to_json(), **data})

    @classmethod
    def from_json(cls, raw: str) -> FlowState:
        data: dict[str, Any] = json.loads(raw)
        if data.pop("v", None) != VERSION:
            raise ValueError("unknown flow state version")
        request = LoginRequest.from_json(data.pop("request"))
        return cls(request=request, **data)
