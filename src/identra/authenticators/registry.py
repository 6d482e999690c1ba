"""Finding the authenticator packages.

Every subpackage of ``identra.authenticators`` with a ``plugin`` module is an authenticator:
``plugin.create(deps)`` returns it (or raises :class:`NotEnabled` when the settings leave it
out, e.g. no SMS provider). Adding an authenticator is adding one package; nothing else lists
them.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Iterable
from typing import TYPE_CHECKING

import identra.authenticators as package
from identra.authenticators.interface import (
    Authenticator,
    AuthenticatorDeps,
    Enroller,
    NotEnabled,
)

if TYPE_CHECKING:
    from identra.services import Services

log = logging.getLogger(__name__)


def plugin_modules() -> list[str]:
    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and importlib.util.find_spec(f"{package.__name__}.{info.name}.plugin"):
            names.append(f"{package.__name__}.{info.name}.plugin")
    return sorted(names)


class Authenticators:
    """The authenticators this server offers, looked up by flow option."""

    def __init__(self, items: Iterable[Authenticator]) -> None:
        self._items = list(items)

    @classmethod
    def for_services(cls, services: Services) -> Authenticators:
        """The authenticators, with the email/SMS senders the settings configure."""
        from identra.notify.senders import build_senders

        return cls.discover(AuthenticatorDeps(services, build_senders(services.settings)))

    @classmethod
    def discover(cls, deps: AuthenticatorDeps) -> Authenticators:
        found = []
        for module_name in plugin_modules():
            module = importlib.import_module(module_name)
            try:
                found.append(module.create(deps))
            except NotEnabled as why:
                log.info("authenticator %s not enabled: %s", module_name, why)
        return cls(found)

    @property
    def items(self) -> list[Authenticator]:
        return list(self._items)

    def find(self, option: str) -> Authenticator | None:
        for item in self._items:
            if item.handles(option):
                return item
        return None

    def enrollers(self) -> dict[str, Enroller]:
        """Enrollable authenticators by option name (``totp``, ``passkey``...)."""
        return {a.name: a for a in self._items if isinstance(a, Enroller)}

    def names(self) -> list[str]:
        return [a.name for a in self._items]

    def catalog(self) -> dict[str, bool]:
        """Option names (or ``prefix:``) -> whether the option can identify a user."""
        return {a.name: a.first_factor for a in self._items}

    def first_factor(self, option: str) -> bool:
        found = self.find(option)
        return found is not None and found.first_factor
