"""What an organization has to build flows from: the names the compiler resolves words against.

Only names: option names of the server's authenticators, the organization's enabled identity
providers (name and kind), and the names of its roles, groups and user stores. Never a user,
an email address or any other personal data; this is also all the LLM back end ever sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.storage.models import Group, IdentityProvider, Organization, Role, UserStore


@dataclass(frozen=True)
class Inventory:
    """The building blocks of one organization on this server.

    ``authenticators`` is :meth:`identra.authenticators.registry.Authenticators.catalog`:
    option name (or ``prefix:``) -> whether it can identify a user. ``idps`` maps each
    enabled identity provider's name to its kind (``google``, ``oidc``...).
    """

    authenticators: Mapping[str, bool]
    idps: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    user_stores: tuple[str, ...] = ()

    def option_known(self, option: str) -> bool:
        if option in self.authenticators:
            return True
        head, sep, rest = option.partition(":")
        return (
            bool(sep) and f"{head}:" in self.authenticators and (head != "idp" or rest in self.idps)
        )

    def first_factor(self, option: str) -> bool:
        if option in self.authenticators:
            return bool(self.authenticators[option])
        head, sep, _ = option.partition(":")
        return bool(sep) and bool(self.authenticators.get(f"{head}:", False))

    @property
    def federation(self) -> bool:
        return "idp:" in self.authenticators

    def second_factors(self) -> list[str]:
        """Second-factor options the server offers, in a fixed order."""
        order = ("totp", "sms-otp", "backup-code")
        return [o for o in order if o in self.authenticators]

    def to_json(self) -> dict[str, Any]:
        return {
            "authenticators": dict(self.authenticators),
            "idps": dict(self.idps),
            "roles": list(self.roles),
            "groups": list(self.groups),
            "user_stores": list(self.user_stores),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Inventory:
        return cls(
            authenticators=dict(data.get("authenticators", {})),
            idps=dict(data.get("idps", {})),
            roles=tuple(data.get("roles", ())),
            groups=tuple(data.get("groups", ())),
            user_stores=tuple(data.get("user_stores", ())),
        )


async def load(
    session: AsyncSession, org: Organization, authenticators: Mapping[str, bool]
) -> Inventory:
    """The organization's inventory from storage (names only)."""
    idps = (
        await session.execute(
            select(IdentityProvider.name, IdentityProvider.kind)
            .where(IdentityProvider.org_id == org.id, IdentityProvider.enabled.is_(True))
            .order_by(IdentityProvider.name)
        )
    ).all()
    roles = await session.scalars(
        select(Role.name).where(Role.org_id == org.id).order_by(Role.name).distinct()
    )
    groups = await session.scalars(
        select(Group.name).where(Group.org_id == org.id).order_by(Group.name).distinct()
    )
    stores = await session.scalars(
        select(UserStore.identifier)
        .where(UserStore.org_id == org.id, UserStore.enabled.is_(True))
        .order_by(UserStore.position, UserStore.identifier)
    )
    return Inventory(
        authenticators=dict(authenticators),
        idps={name: kind for name, kind in idps},
        roles=tuple(roles),
        groups=tuple(groups),
        user_stores=tuple(stores),
    )
