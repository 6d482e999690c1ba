"""Consent (OIDC Core §3.1.2.4): what the user has to approve before a client gets a code.

A user approves scopes and individually requested claims (``claims`` parameter, §5.5) for an
application; approval is remembered (``consents``) and later requests that ask for nothing
new skip the page. ``prompt=consent`` always asks again. Applications with the
``skip_consent`` setting (first-party applications) never ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from identra.protocols.oidc.claims import SCOPE_CLAIMS, requested_claim_names

DESCRIPTIONS = {
    "openid": "Sign you in and know your user identifier",
    "profile": "Read your profile: name, username, picture, locale",
    "email": "Read your email address",
    "phone": "Read your phone number",
    "address": "Read your postal address",
    "offline_access": "Keep access when you are not using the application",
}


@dataclass(frozen=True)
class ConsentNeed:
    scopes: list[str]
    claims: list[str]

    @property
    def empty(self) -> bool:
        return not self.scopes and not self.claims


def missing(
    scopes: list[str],
    claims_request: dict[str, dict[str, object]],
    granted_scopes: set[str],
    granted_claims: set[str],
) -> ConsentNeed:
    covered = set(granted_claims)
    for scope in granted_scopes:
        covered.update(SCOPE_CLAIMS.get(scope, ()))
    return ConsentNeed(
        scopes=[s for s in scopes if s not in granted_scopes],
        claims=sorted(requested_claim_names(claims_request) - covered),
    )


def describe(scope: str) -> str:
    return DESCRIPTIONS.get(scope, scope)
