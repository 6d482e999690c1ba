"""Outbound SMS: the :class:`SmsSender` interface and a provider speaking a small HTTP API.

Wire format of the ``http`` provider (a thin adapter in front of any SMS service can speak it;
``tests/smsgateway.py`` is a local implementation)::

    POST {base_url}/messages
    Authorization: Bearer {api_key}
    Content-Type: application/json
    Idempotency-Key: {random id, the same if the caller retries this message}

    {"to": "+15551234567", "from": "Identra", "body": "Your code is 123456"}

Success is any 2xx answer with ``{"id": "<message id>"}``. Errors are 4xx/5xx with
``{"error": "<code>", "message": "<text>"}``; the codes are ``invalid_number`` (400: the
gateway cannot deliver to ``to``), ``invalid_request`` (400), ``unauthorized`` (401/403: wrong
API key), ``rate_limited`` (429, optionally with ``Retry-After`` in seconds) and
``unavailable`` (5xx). ``to`` is always E.164; ``body`` is plain text.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Protocol, runtime_checkable

import httpx

from identra.notify.errors import InvalidRecipient, SendError
from identra.notify.phone import is_e164
from identra.settings import SmsSettings

log = logging.getLogger(__name__)
MAX_BODY = 480  # three concatenated GSM segments; our messages are far shorter


@runtime_checkable
class SmsSender(Protocol):
    async def send(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; returns the gateway's message id.
        Raises :class:`SendError` (:class:`InvalidRecipient` for an undeliverable number)."""
        ...


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class HttpSmsSender:
    def __init__(self, settings: SmsSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._transport = transport  # tests may pass an in-process transport

    async def send(self, to: str, body: str) -> str:
        if not is_e164(to):
            raise InvalidRecipient("the phone number is not in E.164 form", channel="sms")
        if not body or len(body) > MAX_BODY:
            raise SendError("the SMS text is empty or too long", channel="sms", reason="message")
        s = self.settings
        url = f"{s.base_url}/messages"
        headers = {
            "authorization": f"Bearer {s.api_key.get_secret_value()}",
            "idempotency-key": uuid.uuid4().hex,
            "accept": "application/json",
        }
        payload = {"to": to, "from": s.sender_id, "body": body}
        try:
            async with httpx.AsyncClient(
                timeout=s.timeout, transport=self._transport, follow_redirects=False
            ) as client:
                resp = await client.post(url, json=payload, headers=headers)
        except httpx.TimeoutException:
            raise SendError(
                f"the SMS gateway at {s.base_url} did not answer within {s.timeout:g} s",
                channel="sms",
                reason="timeout",
                retryable=True,
            ) from None
        except httpx.HTTPError as exc:
            raise SendError(
                f"could not reach the SMS gateway at {s.base_url}: {exc.__class__.__name__}",
                channel="sms",
                reason="unreachable",
                retryable=True,
            ) from None
        data = self._json(resp)
        if 200 <= resp.status_code < 300:
            message_id = data.get("id")
            if not isinstance(message_id, str) or not message_id:
                raise SendError(
                    f"the SMS gateway answered {resp.status_code} without a message id",
                    channel="sms",
                    reason="protocol",
                )
            log.info("sms sent", extra={"message_id": message_id})
            return message_id
        raise self._error(resp, data)

    @staticmethod
    def _json(resp: httpx.Response) -> dict[str, Any]:
        try:
            data = resp.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _error(self, resp: httpx.Response, data: dict[str, Any]) -> SendError:
        code = str(data.get("error") or "")[:64]
        text = str(data.get("message") or "")[:200]
        status = resp.status_code
        detail = f"the SMS gateway answered {status}" + (f" {code}" if code else "")
        if text:
            detail += f": {text}"
        if code == "invalid_number":
            return InvalidRecipient(detail, channel="sms")
        if status == 429:
            return SendError(
                detail,
                channel="sms",
                reason="rate_limited",
                retryable=True,
                retry_after=_retry_after(resp.headers.get("retry-after")),
            )
        if status in (401, 403):
            return SendError(detail, channel="sms", reason="auth")
        if status >= 500:
            return SendError(detail, channel="sms", reason="unavailable", retryable=True)
        return SendError(detail, channel="sms", reason="refused")
