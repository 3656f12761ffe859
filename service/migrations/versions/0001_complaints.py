"""complaints table

Revision ID: 0001
Revises:
Create Date: 2024-06-01

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("district", sa.String(200), nullable=True),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("unit_type", sa.String(200), nullable=True),
        sa.Column("base_unit", sa.String(200), nullable=True),
        sa.Column("caller", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(200), nullable=True),
        sa.Column("handling", sa.String(200), nullable=True),
        sa.Column("label_level1", sa.String(100), nullable=True),
        sa.Column("label_level2", sa.String(100), nullable=True),
        sa.Column("tag_level1", sa.String(100), nullable=True),
        sa.Column("tag_level2", sa.String(100), nullable=True),
        sa.Column("tag_confidence", sa.Float(), nullable=True),
        sa.Column("tag_confidence_level1", sa.Float(), nullable=True),
        sa.Column("tag_top_k", sa.JSON(), nullable=True),
        sa.Column("tag_needs_review", sa.Boolean(), nullable=True),
        sa.Column("model_name", sa.String(200), nullable=True),
        sa.Column("model_version", sa.String(200), nullable=True),
        sa.Column("level1", sa.String(100), nullable=True),
        sa.Column("level2", sa.String(100), nullable=True),
        sa.Column("input_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_complaints_created_at", "complaints", ["created_at"])
    op.create_index("ix_complaints_category", "complaints", ["level1", "level2"])


def downgrade() -> None:
    op.drop_index("ix_complaints_category", table_name="complaints")
    op.drop_index("ix_complaints_created_at", table_name="complaints")
    op.drop_table("complaints")
