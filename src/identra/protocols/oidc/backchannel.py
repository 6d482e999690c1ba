"""OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to clients.

- §2.4: the logout token is a JWT with ``iss``, ``aud``, ``iat``, ``exp``, ``jti``, ``events``
  (holding ``http://schemas.openid.net/event/backchannel-logout``), ``sub`` and ``sid``; it
  never carries ``nonce``. Its ``typ`` header is ``logout+jwt`` (§2.4, as recommended).
- §2.5: sent as ``application/x-www-form-urlencoded`` ``logout_token=...`` to the client's
  registered ``backchannel_logout_uri``; redirects are not followed.
- Best effort (§2.8): every call has a timeout, one retry on a network error or a 5xx, and a
  failure is logged; logging out never waits longer than the timeout budget.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from identra.protocols.oauth2.tokens import Signer

log = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(
    *, signer: Signer, issuer: str, client_id: str, subject: str, sid: str | None, now: int
) -> str:
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": subject,
        "events": {EVENT: {}},
    }
    if sid is not None:
        claims["sid"] = sid
    return signer.sign(claims, typ="logout+jwt")


@dataclass(frozen=True)
class Delivery:
    uri: str
    token: str


class BackchannelNotifier:
    def __init__(
        self,
        client_factory: Callable[[], httpx.AsyncClient] = httpx.AsyncClient,
        timeout: float = 3.0,
        retries: int = 1,
    ) -> None:
        self._factory = client_factory
        self._timeout = timeout
        self._retries = retries

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> bool:
        for attempt in range(self._retries + 1):
            try:
                response = await client.post(
                    delivery.uri,
                    data={"logout_token": delivery.token},
                    timeout=self._timeout,
                    follow_redirects=False,
                    headers={"cache-control": "no-cache"},
                )
            except httpx.HTTPError as exc:
                log.warning(
                    "back-channel logout failed",
                    extra={"fields": {"uri": delivery.uri, "error": type(exc).__name__}},
                )
                continue
            if response.status_code in (200, 204):
                return True
            log.warning(
                "back-channel logout refused",
                extra={"fields": {"uri": delivery.uri, "status": response.status_code}},
            )
            if response.status_code < 500 or attempt == self._retries:
                return False
        return False

    async def notify(self, deliveries: list[Delivery]) -> list[bool]:
        if not deliveries:
            return []
        budget = self._timeout * (self._retries + 1) + 1
        async with self._factory() as client:
            tasks = [asyncio.ensure_future(self._send(client, d)) for d in deliveries]
            done, pending = await asyncio.wait(tasks, timeout=budget)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        return [t in done and not t.cancelled() and t.result() for t in tasks]
