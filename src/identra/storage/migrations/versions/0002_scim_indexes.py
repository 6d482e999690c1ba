"""Indexes for SCIM queries at scale.

- ``users (org_id, external_id)``: ``externalId eq`` look-ups by provisioning clients.
- ``users (org_id, created_at)``: ``meta.created`` filters and creation-order listings.
- PostgreSQL only: trigram GIN indexes (``pg_trgm``) on the lower-cased username and email, so
  ``co``/``sw``/``ew`` filters (``LIKE '%x%'``) do not scan every user. ``pg_trgm`` is a trusted
  extension (PostgreSQL 13+): the database owner may create it. Where it cannot be created the
  indexes are skipped and those filters stay correct, only slower.

Additive only: no table or column changes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_org_external_id", ["org_id", "external_id"], unique=False)
        batch_op.create_index("ix_users_org_created", ["org_id", "created_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar()
    if not available:
        return
    bind.execute(sa.text("SAVEPOINT scim_trgm"))
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        bind.execute(sa.text("ROLLBACK TO SAVEPOINT scim_trgm"))
        return
    bind.execute(sa.text("RELEASE SAVEPOINT scim_trgm"))
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_users_username_trgm "
        "ON users USING gin (username_normalized gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_user_emails_value_trgm "
        "ON user_emails USING gin (value_normalized gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_user_emails_value_trgm")
    op.execute("DROP INDEX IF EXISTS ix_users_username_trgm")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_org_created")
        batch_op.drop_index("ix_users_org_external_id")
