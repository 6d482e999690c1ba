"""Pre-update profile sample: refuses names that pretend to be staff or carry links.

    python3 pre_update_profile.py --port 8083 [--secret whsec_...]
    identra actions create profile-guard --type preUpdateProfile \
        --endpoint http://127.0.0.1:8083/
"""

from __future__ import annotations

import re
from typing import Any

from common import options, serve

NAMES = {"http://wso2.org/claims/givenname", "http://wso2.org/claims/lastname"}
FORBIDDEN = re.compile(r"admin|support|https?://|www\.", re.I)


def handle(request: dict[str, Any]) -> dict[str, Any]:
    for claim in request["event"]["request"]["claims"]:
        if claim["uri"] in NAMES and FORBIDDEN.search(str(claim["value"] or "")):
            return {
                "actionStatus": "FAILED",
                "failureReason": "invalidValue",
                "failureDescription": "Names may not contain links or words like admin or support.",
            }
    return {"actionStatus": "SUCCESS"}


if __name__ == "__main__":
    serve(handle, options(__doc__ or ""))
