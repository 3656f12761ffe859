"""outcome columns: closed, satisfaction, on_time, revisited, stars

The handling outcome the bulletin's rates need (是否办结, 满意度评价, 是否按时反馈,
是否有效回访, 评星). All nullable, so an existing store upgrades in place: its
rows keep everything and have no outcome until one is posted or imported.

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Adding nullable columns is a plain ALTER TABLE ... ADD COLUMN even on SQLite:
    # batch mode does not copy the table for it.
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("closed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("satisfaction", sa.String(200), nullable=True))
        batch.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("revisited", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("stars", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for name in ("stars", "revisited", "on_time", "satisfaction", "closed"):
            batch.drop_column(name)
