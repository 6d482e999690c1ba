"""RFC 9126: pushed authorization requests, kept in the cache backend until used.

The PAR endpoint (``endpoints/par.py``) stores the authorization request parameters and
answers with a ``request_uri``; the authorization endpoint resolves it with
:meth:`PushedRequests.resolve`:

    if request_uri := single(query, "request_uri"):
        params = await ctx.extras.pushed_requests.resolve(
            request_uri, client_id=single(query, "client_id"), org_id=tenant.org_id, now=now
        )
        # use ``params`` (dict[str, list[str]], like a parsed query) instead of the query
    elif client.require_pushed_authorization_requests:
        raise InvalidRequest("this client must use pushed authorization requests")

Rules enforced by ``resolve`` (§4): the ``request_uri`` was issued by this organization, to the
client named by ``client_id`` in the front-channel request, has not expired (60 seconds), and is
used once (an atomic ``take``, so two nodes cannot both accept it).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from identra.cache.base import Cache
from identra.protocols.oauth2.errors import InvalidRequestUri

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
REQUEST_URI_TTL = 60
_KEY = "par:{org_id}:{ref}"


@dataclass(frozen=True)
class PushedRequest:
    org_id: str
    client_id: str
    params: dict[str, str]
    expires_at: int


class PushedRequests:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def push(
        self,
        *,
        org_id: str,
        client_id: str,
        params: dict[str, str],
        now: int,
        ttl: int = REQUEST_URI_TTL,
    ) -> str:
        """Store the request; returns its ``request_uri``."""
        ref = secrets.token_urlsafe(32)
        record = {
            "v": 1,
            "org_id": org_id,
            "client_id": client_id,
            "params": params,
            "expires_at": now + ttl,
        }
        await self._cache.set(_KEY.format(org_id=org_id, ref=ref), json.dumps(record), ttl=ttl)
        return REQUEST_URI_PREFIX + ref

    async def resolve(
        self, request_uri: str, *, client_id: str | None, org_id: str, now: int
    ) -> dict[str, list[str]]:
        """The pushed parameters, once; :class:`InvalidRequestUri` for anything else."""
        if not request_uri.startswith(REQUEST_URI_PREFIX) or len(request_uri) > 200:
            raise InvalidRequestUri("request_uri was not issued by this server")
        key = _KEY.format(org_id=org_id, ref=request_uri[len(REQUEST_URI_PREFIX) :])
        raw = await self._cache.get(key)
        if raw is None:
            raise InvalidRequestUri("request_uri is unknown, expired or already used")
        record = json.loads(raw)
        # Checked before consuming, so that another client cannot burn someone's request_uri.
        if client_id is None or record.get("client_id") != client_id:
            raise InvalidRequestUri("request_uri was issued to another client")
        if await self._cache.take(key) is None:
            raise InvalidRequestUri("request_uri is unknown, expired or already used")
        if int(record["expires_at"]) <= now:
            raise InvalidRequestUri("request_uri has expired")
        params: dict[str, str] = record["params"]
        return {name: [value] for name, value in params.items()}
