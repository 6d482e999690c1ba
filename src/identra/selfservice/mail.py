"""The self-service emails (plain text, from ``templates/{register,recovery,account}/email/``)
and their delivery through ``identra.notify``.

Delivery happens after the response has been sent (a background task of the page), so that the
time a page takes does not tell whether an email went out; failures are logged, never shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from identra.notify import EmailSender, OutgoingEmail, SendError

log = logging.getLogger(__name__)

_env = Environment(
    loader=PackageLoader("identra", "templates"),
    autoescape=False,  # plain-text bodies only  # noqa: S701
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(name: str, to: str, **context: Any) -> OutgoingEmail:
    """``name`` is ``register/email/verify`` (files ``.subject.txt`` and ``.txt``)."""
    subject = _env.get_template(f"{name}.subject.txt").render(**context)
    text = _env.get_template(f"{name}.txt").render(**context)
    return OutgoingEmail(to=to, subject=" ".join(subject.split()), text=text)


@dataclass
class Outbox:
    """Messages a request produced, sent once its response is out."""

    sender: EmailSender | None
    messages: list[OutgoingEmail]

    async def deliver(self) -> None:
        for message in self.messages:
            if self.sender is None:
                log.error("self-service email not sent: no smtp settings")
                continue
            try:
                await self.sender.send(message)
            except SendError as exc:
                log.error("self-service email not sent: %s", exc, extra={"reason": exc.reason})
            except Exception:
                log.exception("self-service email not sent")
