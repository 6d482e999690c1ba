"""Pre-issue access token sample: adds a ``tier`` claim, an audience for the orders API, and
shortens tokens issued to machines (client credentials) to 10 minutes.

    python3 pre_issue_access_token.py --port 8081 [--secret whsec_...]
    identra actions create token-tier --type preIssueAccessToken \
        --endpoint http://127.0.0.1:8081/
"""

from __future__ import annotations

from typing import Any

from common import options, serve

GOLD_USERS: set[str] = set()  # user ids that get the gold tier


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("actionType") != "PRE_ISSUE_ACCESS_TOKEN":
        return {"actionStatus": "ERROR", "errorMessage": "unexpected action type"}
    event = request["event"]
    user = event.get("user")
    tier = "gold" if user and user["id"] in GOLD_USERS else "standard"
    operations: list[dict[str, Any]] = [
        {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "tier", "value": tier}},
        {"op": "add", "path": "/accessToken/claims/aud/-", "value": "https://orders.example.com"},
    ]
    if event["request"].get("grantType") == "client_credentials":
        operations.append({"op": "replace", "path": "/accessToken/claims/expires_in", "value": 600})
    return {"actionStatus": "SUCCESS", "operations": operations}


if __name__ == "__main__":
    serve(handle, options(__doc__ or ""))
