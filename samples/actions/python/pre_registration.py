"""Pre-registration sample: refuses throwaway email addresses; capitalises names and sets the
locale from the address's country domain.

    python3 pre_registration.py --port 8084 [--secret whsec_...]
    identra actions create signup-check --type preRegistration \
        --endpoint http://127.0.0.1:8084/
"""

from __future__ import annotations

from typing import Any

from common import options, serve

THROWAWAY = {"mailinator.com", "guerrillamail.com", "10minutemail.com", "trashmail.com"}
LOCALES = {"fr": "fr-FR", "de": "de-DE", "es": "es-ES", "it": "it-IT", "nl": "nl-NL"}
EMAIL = "http://wso2.org/claims/emailaddress"
NAMES = ("http://wso2.org/claims/givenname", "http://wso2.org/claims/lastname")
LOCALE = "http://wso2.org/claims/locality"


def handle(request: dict[str, Any]) -> dict[str, Any]:
    claims = request["event"]["user"]["claims"]
    index = {c["uri"]: i for i, c in enumerate(claims)}
    email = claims[index[EMAIL]]["value"] if EMAIL in index else ""
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in THROWAWAY:
        return {
            "actionStatus": "FAILED",
            "failureReason": "invalid_email",
            "failureDescription": "Use a permanent email address, not a throwaway one.",
        }
    operations: list[dict[str, Any]] = []
    for uri in NAMES:
        if uri in index:
            value = claims[index[uri]]["value"]
            if value and value != value.title():
                operations.append(
                    {"op": "replace", "path": f"/user/claims/{index[uri]}", "value": value.title()}
                )
    country = domain.rsplit(".", 1)[-1]
    if country in LOCALES and LOCALE not in index:
        operations.append(
            {
                "op": "add",
                "path": "/user/claims/-",
                "value": {"uri": LOCALE, "value": LOCALES[country]},
            }
        )
    return {"actionStatus": "SUCCESS", "operations": operations}


if __name__ == "__main__":
    serve(handle, options(__doc__ or ""))
