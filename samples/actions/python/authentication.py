"""Authentication sample: a PIN page. Identra's login flow offers it as ``action:<name>``.

1. Identra calls ``POST /`` with the flow id and ``event.returnUrl``; the service answers
   INCOMPLETE, redirecting the browser to its own ``/pin`` page.
2. The person enters their username and PIN; on success the service remembers the flow id
   and sends the browser back to ``returnUrl``.
3. Identra calls ``POST /`` again with the same flow id; the service answers SUCCESS with
   the username (or FAILED).

    python3 authentication.py --port 8085 [--secret whsec_...] [--pins alice=1234,bob=0000]
    identra actions create pin --type authentication --endpoint http://127.0.0.1:8085/ \
        --config '{"label": "Sign in with a PIN"}'
    # then put action:pin in a flow step's options

The PINs are in memory: this is a demonstration, not a credential store.
"""

from __future__ import annotations

import html
import secrets
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode

from common import Request, options, serve

PINS = {"alice": "1234"}
PENDING_TTL = 600
pending: dict[str, dict[str, Any]] = {}  # flow id -> {"return": url, "until": t}
done: dict[str, str] = {}  # flow id -> username ("" when the PIN was wrong too often)
lock = threading.Lock()
base_url = ""


def handle(request: dict[str, Any]) -> dict[str, Any]:
    flow_id = request.get("flowId", "")
    with lock:
        if flow_id in done:
            username = done.pop(flow_id)
            if not username:
                return {
                    "actionStatus": "FAILED",
                    "failureReason": "wrong_pin",
                    "failureDescription": "The PIN was not correct.",
                }
            return {
                "actionStatus": "SUCCESS",
                "data": {
                    "user": {
                        "claims": [{"uri": "http://wso2.org/claims/username", "value": username}]
                    }
                },
            }
        pending[flow_id] = {
            "return": request["event"]["returnUrl"],
            "until": time.time() + PENDING_TTL,
            "tries": 0,
        }
    url = f"{base_url}/pin?{urlencode({'flow': flow_id})}"
    return {"actionStatus": "INCOMPLETE", "operations": [{"op": "redirect", "url": url}]}


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enter your PIN</title></head>
<body><main>
<h1>Enter your PIN</h1>
{error}
<form method="post" action="/pin">
  <input type="hidden" name="flow" value="{flow}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required>
  <label for="pin">PIN</label>
  <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required>
  <button type="submit">Continue</button>
</form>
</main></body></html>
"""


def page(flow: str, message: str = "") -> tuple[int, dict[str, str], bytes]:
    error = f'<p role="alert">{html.escape(message)}</p>' if message else ""
    body = PAGE.format(error=error, flow=html.escape(flow)).encode()
    headers = {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": "default-src 'none'",
        "cache-control": "no-store",
    }
    return 200, headers, body


def pin_page(request: Request) -> tuple[int, dict[str, str], bytes]:
    if request.method == "GET":
        return page(request.query.get("flow", ""))
    form = request.form()
    flow = form.get("flow", "")
    with lock:
        entry = pending.get(flow)
        if entry is None or entry["until"] < time.time():
            return 400, {"content-type": "text/plain"}, b"This sign-in has expired. Start again."
        username = form.get("username", "")
        expected = PINS.get(username)
        if expected is None or not secrets.compare_digest(expected, form.get("pin", "")):
            entry["tries"] += 1
            if entry["tries"] < 3:
                return page(flow, "The username or PIN is not correct.")
            username = ""  # too many tries: Identra is told it failed
        del pending[flow]
        done[flow] = username
    return 303, {"location": entry["return"]}, b""


if __name__ == "__main__":
    if "--pins" in sys.argv:
        i = sys.argv.index("--pins")
        PINS = dict(pair.split("=", 1) for pair in sys.argv[i + 1].split(","))
        del sys.argv[i : i + 2]
    args = options(__doc__ or "")

    def bound(base: str) -> None:
        global base_url
        base_url = base

    serve(handle, args, pages={"/pin": pin_page}, on_bound=bound)
