"""updated_at: when a stored complaint's outcome last changed

``received_at`` is the first receipt and never moves; an outcome posted or
imported weeks later needs its own time, so an integrator can pull "what
changed since my last sync" and an analyst can tell a fresh 满意度 from an old
one. Nullable: rows never updated (and every row of an upgraded store) have none.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("updated_at")
