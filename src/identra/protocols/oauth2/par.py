"""RFC 9126: pushed authorization requests, kept in the cache backend until used.

The PAR endpoint (``endpoints/par.py``) stores the authorization request parameters and
answers with a ``request_uri``. The authorization endpoint resolves it through
:class:`PushedRequests`, which satisfies ``endpoints.authorize.PushedRequests``:

- ``await pushed.take(request_uri, client)``: the pushed parameters (``dict[str, list[str]]``,
  like a parsed query) or None; the authorization endpoint then answers
  ``invalid_request_uri`` and uses the pushed parameters instead of the front-channel ones;
- ``pushed.required(client)``: RFC 9126 §6 ``require_pushed_authorization_requests``.

Rules enforced by ``take`` (§4): the ``request_uri`` was issued by the client's organization,
to that client, has not expired (60 seconds, by the injected clock) and is used once (an atomic
``take`` on the cache, so two nodes cannot both accept it).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from identra.cache.base import Cache
from identra.protocols.oauth2.models import Client

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
REQUEST_URI_TTL = 60
_KEY = "par:{org_id}:{ref}"


class PushedRequests:
    def __init__(self, cache: Cache, now: Callable[[], int]) -> None:
        self._cache = cache
        self._now = now

    async def push(
        self,
        *,
        org_id: str,
        client_id: str,
        params: dict[str, str],
        ttl: int = REQUEST_URI_TTL,
    ) -> str:
        """Store the request; returns its ``request_uri``."""
        ref = secrets.token_urlsafe(32)
        record = {
            "v": 1,
            "org_id": org_id,
            "client_id": client_id,
            "params": params,
            "expires_at": self._now() + ttl,
        }
        await self._cache.set(_KEY.format(org_id=org_id, ref=ref), json.dumps(record), ttl=ttl)
        return REQUEST_URI_PREFIX + ref

    def required(self, client: Client) -> bool:
        return client.require_pushed_authorization_requests

    async def take(self, request_uri: str, client: Client) -> dict[str, list[str]] | None:
        """The pushed parameters, once, for the client they were pushed by; else None."""
        if not request_uri.startswith(REQUEST_URI_PREFIX) or len(request_uri) > 200:
            return None
        key = _KEY.format(org_id=client.org_id, ref=request_uri[len(REQUEST_URI_PREFIX) :])
        raw = await self._cache.get(key)
        if raw is None:
            return None
        record = json.loads(raw)
        # Checked before consuming, so that another client cannot burn someone's request_uri.
        if record.get("client_id") != client.client_id:
            return None
        if await self._cache.take(key) is None or int(record["expires_at"]) <= self._now():
            return None
        params: dict[str, str] = record["params"]
        return {name: [value] for name, value in params.items()}
