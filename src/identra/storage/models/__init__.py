"""All tables, imported here so that ``Base.metadata`` is complete for Alembic and tests."""

from identra.storage.models.access import Group, GroupMember, Role, RoleAssignment
from identra.storage.models.applications import Application
from identra.storage.models.audit import AuditEvent
from identra.storage.models.base import Base
from identra.storage.models.claims import ClaimDefinition
from identra.storage.models.extensions import Action, Connector, OutboxMessage, Webhook
from identra.storage.models.federation import IdentityProvider
from identra.storage.models.flows import Flow
from identra.storage.models.keys import SigningKey
from identra.storage.models.oauth import (
    Consent,
    OAuthGrant,
    OpaqueAccessToken,
    RefreshToken,
    RevokedToken,
    UserSession,
)
from identra.storage.models.orgs import Organization, OrganizationDomain, UserStore
from identra.storage.models.trust import Branding, RiskEvent, VerifiedClaim
from identra.storage.models.users import (
    Credential,
    FederatedIdentity,
    PasswordHistory,
    User,
    UserEmail,
    UserPhone,
)

__all__ = [
    "Action",
    "Application",
    "AuditEvent",
    "Base",
    "Branding",
    "ClaimDefinition",
    "Connector",
    "Consent",
    "Credential",
    "FederatedIdentity",
    "Flow",
    "Group",
    "GroupMember",
    "IdentityProvider",
    "OAuthGrant",
    "OpaqueAccessToken",
    "Organization",
    "OrganizationDomain",
    "OutboxMessage",
    "PasswordHistory",
    "RefreshToken",
    "RevokedToken",
    "RiskEvent",
    "Role",
    "RoleAssignment",
    "SigningKey",
    "User",
    "UserEmail",
    "UserPhone",
    "UserSession",
    "UserStore",
    "VerifiedClaim",
    "Webhook",
]
