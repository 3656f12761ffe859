"""review: human corrections (who labelled, when, a corrected unit) and their audit trail

Analysts correct tags in the console (or with ``PATCH /v1/complaints/{id}``).
The correction lives beside the complaint (``label_*`` are the human labels,
``label_unit`` a corrected 承办单位, ``labelled_at``/``labelled_by`` the last
change), and every single change is kept in ``label_changes`` so a wrong
correction can be traced to a key and undone. ``tag_confidence`` is indexed
because the review queue asks for the least confident rows no human has seen, and
(level1, created_at) because the console lists a category newest first.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("label_unit", sa.String(200), nullable=True))
        batch.add_column(sa.Column("labelled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("labelled_by", sa.String(100), nullable=True))
    op.create_index("ix_complaints_review", "complaints", ["labelled_at", "tag_confidence"])
    # the console lists a category newest first: served from this index, not a sort of the category
    op.create_index("ix_complaints_level1_created", "complaints", ["level1", "created_at"])
    op.create_table(
        "label_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.String(128), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old", sa.String(200), nullable=True),
        sa.Column("new", sa.String(200), nullable=True),
        sa.Column("who", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_label_changes_complaint", "label_changes", ["complaint_id"])
    op.create_index("ix_label_changes_at", "label_changes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_label_changes_at", table_name="label_changes")
    op.drop_index("ix_label_changes_complaint", table_name="label_changes")
    op.drop_table("label_changes")
    op.drop_index("ix_complaints_level1_created", table_name="complaints")
    op.drop_index("ix_complaints_review", table_name="complaints")
    with op.batch_alter_table("complaints") as batch:
        for name in ("labelled_by", "labelled_at", "label_unit"):
            batch.drop_column(name)
