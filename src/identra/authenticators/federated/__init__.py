"""Federated login through upstream OpenID Connect providers (``idp:<name>`` options).

See docs/authenticators/federation.md.
"""
