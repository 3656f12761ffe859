"""likes, dislikes: 点赞数 and 反对数 of a complaint posted on a public board

The hotspot heat index weighs an issue by the likes of its complaints, so an
import of a board's export must keep them (before this the store dropped them
with a note). Counts that grow after a complaint is stored, so, like the
outcome, they are not part of its identity and a later export updates them.
Nullable: unknown for phone calls and for every row of an upgraded store.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("likes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dislikes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("dislikes")
        batch.drop_column("likes")
