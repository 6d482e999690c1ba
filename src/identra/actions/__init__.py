"""Service-based extensions ("actions") and signed event webhooks.

Identra calls an organization's HTTP services with JSON at defined points (before an access
token is issued, before a password or profile change, before a self-registration, and as a
login option) and acts on their JSON answers; the contracts follow WSO2 IS 7.1's actions.
Events (user created, login failed, ...) go to webhooks through a durable, signed outbox.
See docs/actions.md.
"""

from __future__ import annotations
