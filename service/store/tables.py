"""The complaint table.

One row per complaint id. A row holds what the caller sent (title, body,
metadata, optional human labels ``label_*``, the handling outcome), the model's tags (``tag_*`` with
the model name and version that produced them) and the effective category
``level1``/``level2`` (the human label when there is one, else the tag), which
is what filters and hotspots read. ``input_hash`` is the digest of what was
sent, so a repeated id can be told apart from a conflicting one.

The outcome columns (``OUTCOME_FIELDS``: 是否办结, 满意度评价, 是否按时反馈,
是否有效回访, 评星) are what the bulletin's rates are computed from. They are
the only columns that change after a row is stored (a complaint is posted when
received and closed and rated weeks later), so they are left out of
``input_hash``; see ``repository.ingest``. Types follow ``corpus.loaders``:
the three yes/no columns are booleans, 满意度评价 is the platform's own word,
评星 a number; NULL means "not known (yet)".

The schema is owned by the Alembic migrations in ``service/migrations``; a
test checks that these models and the migrations agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Metadata columns a complaint may carry (canonical names, see corpus.columns).
META_FIELDS = ("district", "unit", "unit_type", "base_unit", "caller", "channel", "handling")
ID_MAX = 128
LABEL_MAX = 100
META_MAX = 200
# Handling outcome (canonical names, see corpus.columns): what bulletin.handling_rates reads.
OUTCOME_FIELDS = ("closed", "satisfaction", "on_time", "revisited", "stars")
FLAG_FIELDS = ("closed", "on_time", "revisited")
# 点赞数 / 反对数 of a public board (migration 0007): the hotspot heat reads likes.
COUNT_FIELDS = ("likes", "dislikes")
# What a repeat of a stored complaint may change (not hashed, see repository.ingest).
UPDATABLE_FIELDS = (*OUTCOME_FIELDS, *COUNT_FIELDS)


class Base(DeclarativeBase):
    pass


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # Local hotline time (Asia/Shanghai), naive, like the exports.
    created_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)

    district: Mapped[str | None] = mapped_column(String(META_MAX))
    unit: Mapped[str | None] = mapped_column(String(META_MAX))
    unit_type: Mapped[str | None] = mapped_column(String(META_MAX))
    base_unit: Mapped[str | None] = mapped_column(String(META_MAX))
    caller: Mapped[str | None] = mapped_column(String(META_MAX))
    channel: Mapped[str | None] = mapped_column(String(META_MAX))
    handling: Mapped[str | None] = mapped_column(String(META_MAX))

    # Added by migration 0002; updatable after the row is stored.
    closed: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(META_MAX))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    revisited: Mapped[bool | None] = mapped_column(Boolean)
    stars: Mapped[float | None] = mapped_column(Float)
    # Added by migration 0003: when the outcome last changed (None: never).
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Added by migration 0007: 点赞数, 反对数 (grow after storing; updatable like the outcome).
    likes: Mapped[int | None] = mapped_column(Integer)
    dislikes: Mapped[int | None] = mapped_column(Integer)

    label_level1: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    label_level2: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    # Added by migration 0004: a corrected 承办单位, and who/when last corrected the row.
    label_unit: Mapped[str | None] = mapped_column(String(META_MAX))
    labelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    labelled_by: Mapped[str | None] = mapped_column(String(LABEL_MAX))

    tag_level1: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    tag_level2: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    tag_confidence: Mapped[float | None] = mapped_column(Float)
    tag_confidence_level1: Mapped[float | None] = mapped_column(Float)
    tag_top_k: Mapped[list | None] = mapped_column(JSON)
    tag_needs_review: Mapped[bool | None] = mapped_column(Boolean)
    model_name: Mapped[str | None] = mapped_column(String(META_MAX))
    model_version: Mapped[str | None] = mapped_column(String(META_MAX))
    # Added by migration 0005: the dispatcher's recommendation, kept beside the unit
    # actually assigned (``unit``) so first-dispatch accuracy can be reported over time.
    rec_unit: Mapped[str | None] = mapped_column(String(META_MAX))
    rec_unit_confidence: Mapped[float | None] = mapped_column(Float)
    rec_unit_top_k: Mapped[list | None] = mapped_column(JSON)
    rec_unit_needs_review: Mapped[bool | None] = mapped_column(Boolean)

    level1: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    level2: Mapped[str | None] = mapped_column(String(LABEL_MAX))

    input_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_complaints_created_at", "created_at"),
        Index("ix_complaints_category", "level1", "level2"),
        Index("ix_complaints_review", "labelled_at", "tag_confidence"),
        Index("ix_complaints_level1_created", "level1", "created_at"),
    )


class LabelChange(Base):
    """One changed field of one complaint (migration 0004): the audit trail of
    corrections. ``who`` is the API key's name."""

    __tablename__ = "label_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(ID_MAX))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(META_MAX))
    new: Mapped[str | None] = mapped_column(String(META_MAX))
    who: Mapped[str] = mapped_column(String(LABEL_MAX))
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_label_changes_complaint", "complaint_id"),
        Index("ix_label_changes_at", "at"),
    )
