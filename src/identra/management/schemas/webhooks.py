"""Webhook resources. The signing secret is shown once (creation, rotation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from identra.management.schemas.common import Description, Omittable, Resource, Strict

Url = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    Field(description="absolute https URL (http only for loopback)"),
]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WebhookCreate(Strict):
    url: Url
    events: list[EventType] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=20,
        description="event types (user.created, login.failed...) or ['*']",
    )
    enabled: bool = True
    description: Description = ""


class WebhookPatch(Strict):
    url: Url = Omittable()
    events: list[EventType] = Omittable(min_length=1, max_length=20)
    enabled: bool = Omittable()
    description: Description = Omittable()


class WebhookOut(Resource):
    url: str
    events: list[str]
    enabled: bool
    description: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: verify webhook-signature with it")


class WebhookSecretOut(BaseModel):
    secret: str


class MessageOut(BaseModel):
    seq: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    payload: dict[str, Any]
