"""Actions and webhooks: descriptions, type-specific action settings, the webhook relay cursor,
and one outbox message per webhook and audit event.

- ``actions.description``, ``actions.config`` (type-specific settings, JSON).
- ``webhooks.description``; ``webhooks.relayed_seq``: the audit-log position up to which events
  were turned into outbox messages (``identra.actions.webhooks``).
- ``outbox.source_seq`` (the audit event a message was made from) with a unique constraint on
  ``(webhook_id, source_seq)``, so two nodes relaying the same events cannot queue a message
  twice; ``outbox.status``: ``pending``, ``delivered`` or ``failed`` (gave up).

Additive only; existing rows get defaults.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("description", sa.String(length=1000), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "config",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'{}'"),
                nullable=False,
            )
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_webhook_id"), ["webhook_id", "source_seq"]
        )

    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("description", sa.String(length=1000), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "relayed_seq",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default="0",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("relayed_seq")
        batch_op.drop_column("description")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_webhook_id"), type_="unique")
        batch_op.drop_column("status")
        batch_op.drop_column("source_seq")

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("config")
        batch_op.drop_column("description")
