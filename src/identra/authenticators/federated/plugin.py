"""The ``idp:<identity provider name>`` options: login through an upstream OIDC provider."""

from __future__ import annotations

from identra.authenticators.federated.accounts import Accounts
from identra.authenticators.federated.option import FederatedOption
from identra.authenticators.federated.upstream import Upstream
from identra.authenticators.interface import AuthenticatorDeps


def create(deps: AuthenticatorDeps) -> FederatedOption:
    services = deps.services
    return FederatedOption(
        Accounts(services.sessions, services.clock), Upstream(), services.cache, services.box
    )
