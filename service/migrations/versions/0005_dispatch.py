"""dispatch: the recommended unit stored beside the unit actually assigned

The dispatcher recommends a 承办单位 for each complaint when the model has one.
Keeping its recommendation (unit, confidence, top-k, review flag) next to the
``unit`` the complaint was actually given lets the store report first-dispatch
accuracy per unit and per week (GET /v1/dispatch/accuracy). Nullable: rows
tagged by a model without dispatch, and every row of an upgraded store, have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("rec_unit", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("rec_unit_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rec_unit_top_k", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("rec_unit_needs_review", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for col in ("rec_unit_needs_review", "rec_unit_top_k", "rec_unit_confidence", "rec_unit"):
            batch.drop_column(col)
