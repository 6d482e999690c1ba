"""Static assets: only named files of the package, with a type, an ETag and no sniffing."""

from __future__ import annotations

from pathlib import Path

from tests.support import harness


async def test_static_assets(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        resp = await h.client.get("/static/passkey.js")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(
            "text/javascript"
        )
        assert resp.headers["x-content-type-options"] == "nosniff" and "navigator" in resp.text
        again = await h.client.get(
            "/static/passkey.js", headers={"if-none-match": resp.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        assert (await h.client.get("/o/root/static/passkey.js")).status_code == 200
        for bad in ("nope.js", "..%2fapp.py", "passkey.py", "PASSKEY.JS", "%2e%2e"):
            assert (await h.client.get(f"/static/{bad}")).status_code == 404, bad
