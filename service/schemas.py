"""Request (``*In``) and response (``*Out``) bodies of the HTTP API.

Inputs are strict about shape (unknown fields are refused, so a misspelt
``create_at`` is an error naming it rather than a silently missing date) and
lenient about nothing that would change meaning. Limits that depend on the
server's settings (text length, batch size) are checked in the routers, with
the same error format.

A complaint may carry its handling outcome (``closed``, ``satisfaction``,
``on_time``, ``revisited``, ``stars``: the bulletin's rates). The outcome is
not part of the complaint's identity: posting the same complaint again with
its outcome filled in updates the stored outcome (``status: "updated"``)
instead of being a conflict; see ``ComplaintIn``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from hotline_nlp.corpus.clock import CHINA_TZ
from hotline_nlp.corpus.validate import parse_flag
from hotline_nlp.service.store.tables import FLAG_FIELDS, ID_MAX, LABEL_MAX, META_MAX
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    field_validator,
)

_ID = re.compile(rf"^[^\s/\\]{{1,{ID_MAX}}}$")
# Paging offsets above this are refused (422) rather than overflowing a database
# integer; no store holds two billion complaints.
MAX_OFFSET = 2**31 - 1


def plain_text(value: Any) -> Any:
    """Refuse a string that no store or output can hold: a lone UTF-16 surrogate
    (a JSON ``"\\ud800"`` escape decodes to one; UTF-8 cannot encode it) or a
    NUL character (PostgreSQL text cannot hold it). Applied to every string the
    API reads, body and query alike, so the error is a 422 naming the field."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(
                f"contains an unpaired UTF-16 surrogate ({value[e.start]!r} at character {e.start + 1}), "
                "which is not valid Unicode text"
            ) from None
        nul = value.find("\x00")
        if nul >= 0:
            raise ValueError(f"contains a NUL character (at character {nul + 1}), which cannot be stored")
    return value


# A query or path string parameter: the same check as every body string.
PlainStr = Annotated[str, AfterValidator(plain_text)]


def parse_local_datetime(value: Any, field: str = "created_at") -> datetime:
    """ISO 8601 date or date-time -> naive hotline-local time (UTC+8).

    A value with an offset (``Z``, ``+00:00``) is converted to UTC+8; a naive one
    is taken as already local, as in the exports."""
    if not isinstance(value, str):
        raise ValueError(
            f"{field} must be an ISO 8601 string such as 2024-05-13T09:30:00, not {type(value).__name__}"
        )
    s = value.strip()
    try:
        dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise ValueError(
            f"{field} {value!r} is not an ISO 8601 date or date-time (e.g. 2024-05-13 or 2024-05-13T09:30:00)"
        ) from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(CHINA_TZ).replace(tzinfo=None)
    if not 1990 <= dt.year <= 2100:
        raise ValueError(f"{field} {value!r} is outside 1990..2100")
    return dt


def with_offset(dt: datetime) -> str:
    """A stored time (naive hotline-local, UTC+8, like the exports) as ISO 8601
    with its UTC offset, so no client mistakes it for UTC (the logs are UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=CHINA_TZ)
    return dt.isoformat()


# Every time the API answers: ISO 8601 with the offset, e.g. 2024-05-13T09:30:00+08:00.
LocalTime = Annotated[datetime, PlainSerializer(with_offset, return_type=str, when_used="json")]

# Complaint text has one limit, the server's ``max_text_chars`` (``limits.texts_of``,
# one message naming the field); the request body limit bounds what reaches it.
Text = Annotated[str | None, Field(default=None)]
Meta = Annotated[str | None, Field(default=None, max_length=META_MAX)]
Label = Annotated[str | None, Field(default=None, max_length=LABEL_MAX)]
Stars = Annotated[
    float | None,
    Field(default=None, ge=0, allow_inf_nan=False, description="评星 (1-3 stars on most platforms)."),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, v: Any) -> Any:
        return plain_text(v)


class ComplaintTextIn(_Strict):
    """The text of one complaint: ``text``, or ``title`` and/or ``body``."""

    id: str | None = Field(None, description="Your id for the complaint; echoed back.")
    title: Text = None
    body: Text = None
    text: Annotated[
        str | None,
        Field(
            default=None,
            validate_default=True,
            description="The complaint text (or give title and body).",
        ),
    ]
    district: Annotated[
        str | None,
        Field(
            default=None,
            max_length=META_MAX,
            description="所属区县, if known: helps the unit recommendation (智能派单) place the complaint.",
        ),
    ]
    created_at: datetime | None = Field(
        None,
        description="Acceptance time (受理时间), ISO 8601; naive = UTC+8. Optional here; echoed back "
        "with its UTC offset.",
    )

    @field_validator("created_at", mode="before")
    @classmethod
    def _when_given(cls, v: Any) -> datetime | None:
        return None if v is None else parse_local_datetime(v)

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str | None) -> str | None:
        if v is not None and not _ID.match(v):
            raise ValueError(f"id must be 1-{ID_MAX} characters without spaces or slashes")
        return v

    @field_validator("text")
    @classmethod
    def _has_text(cls, v: str | None, info) -> str | None:
        title, body = info.data.get("title"), info.data.get("body")
        if v is not None and body is not None:
            raise ValueError("give either text or body, not both")
        if not any(s and s.strip() for s in (v, title, body)):
            raise ValueError("complaint text is empty: give text (or title and/or body)")
        return v

    @property
    def body_text(self) -> str | None:
        return self.text if self.text is not None else self.body


Count = Annotated[int | None, Field(default=None, ge=0)]


class ComplaintIn(ComplaintTextIn):
    """A complaint to tag and store. ``id`` and ``created_at`` are required:
    the id makes ingest idempotent, the time places it in a week.

    The outcome fields (``closed``, ``satisfaction``, ``on_time``, ``revisited``,
    ``stars``) are optional and usually known only weeks later: post the same
    complaint again with them filled in and the stored outcome is updated. A
    null or missing outcome field leaves the stored value as it is."""

    id: str = Field(
        ..., description="The work order's id (诉求编号); a repeat with the same content is a no-op."
    )
    created_at: datetime = Field(..., description="Acceptance time (受理时间), ISO 8601; naive = UTC+8.")
    unit: Meta = None
    unit_type: Meta = None
    base_unit: Meta = None
    caller: Meta = None
    channel: Meta = None
    handling: Meta = None
    level1: Label = Field(None, description="A human-assigned first-level category, if any.")
    level2: Label = Field(None, description="A human-assigned second-level category, if any.")
    closed: bool | None = Field(None, description="是否办结: true/false (是/否 accepted). Updatable.")
    satisfaction: Meta = Field(
        None,
        description="满意度评价 as the platform writes it: 满意, 基本满意, 不满意, 未评价 ... Updatable.",
    )
    on_time: bool | None = Field(None, description="是否按时反馈: true/false (是/否 accepted). Updatable.")
    revisited: bool | None = Field(None, description="是否有效回访: true/false (是/否 accepted). Updatable.")
    stars: Stars = None
    likes: Count = Field(
        None, description="点赞数 on a public board (the hotspot heat weighs them). Updatable."
    )
    dislikes: Count = Field(None, description="反对数 on a public board. Updatable.")

    @field_validator("created_at", mode="before")
    @classmethod
    def _when_given(cls, v: Any) -> datetime:
        return parse_local_datetime(v)

    @field_validator(*FLAG_FIELDS, mode="before")
    @classmethod
    def _flag(cls, v: Any, info) -> Any:
        """The exports' words (是/否, 已办结 ...) read as the loader reads them;
        a blank string is "not given", like a blank cell."""
        if not isinstance(v, str):
            return v
        if not v.strip():
            return None
        parsed = parse_flag(v)
        if parsed is None:
            raise ValueError(f"{info.field_name} must be true or false (是/否 also accepted), not {v!r}")
        return parsed


def _one_or_many(v: Any) -> str:
    return "batch" if isinstance(v, dict) and "items" in v else "single"


class ClassifyBatchIn(_Strict):
    items: list[ComplaintTextIn] = Field(..., min_length=1)


class ComplaintBatchIn(_Strict):
    items: list[ComplaintIn] = Field(..., min_length=1)


ClassifyIn = Annotated[
    Annotated[ComplaintTextIn, Tag("single")] | Annotated[ClassifyBatchIn, Tag("batch")],
    Discriminator(_one_or_many),
]
IngestIn = Annotated[
    Annotated[ComplaintIn, Tag("single")] | Annotated[ComplaintBatchIn, Tag("batch")],
    Discriminator(_one_or_many),
]
UNION_TAGS = ("single", "batch")


class TopKOut(BaseModel):
    path: str
    confidence: float


class UnitTopKOut(BaseModel):
    unit: str
    confidence: float


class DispatchOut(BaseModel):
    unit: str = Field(..., description="Recommended 承办单位.")
    confidence: float = Field(..., description="Calibrated probability that it is the right unit.")
    top_k: list[UnitTopKOut]
    needs_review: bool = Field(
        ...,
        description="Below the auto-route threshold (the model's route precision): a dispatcher should check it.",
    )
    jurisdiction: str | None = Field(
        None, description="District (or 市直, city-level) the complaint belongs to; answered by classify."
    )
    jurisdiction_confidence: float | None = Field(None, description="Probability of that jurisdiction.")
    function: str | None = Field(
        None, description="Department function of the unit (住建, 教育, 街道/镇 ...)."
    )
    function_confidence: float | None = Field(None, description="Probability of that function.")


class TagOut(BaseModel):
    path: str | None = Field(None, description="Category path; None from a dispatch-only model.")
    level1: str | None = None
    level2: str | None = None
    confidence: float | None = None
    confidence_level1: float | None = None
    top_k: list[TopKOut] = []
    needs_review: bool | None = None
    model: str
    model_version: str
    dispatch: DispatchOut | None = Field(
        None, description="Recommended unit (智能派单), when the model was trained with a unit column."
    )


class ClassifyOut(TagOut):
    id: str | None = None
    created_at: LocalTime | None = Field(None, description="As sent, with its UTC offset.")


class ClassifyBatchOut(BaseModel):
    items: list[ClassifyOut]
    model: str
    model_version: str


class LabelsOut(BaseModel):
    level1: str | None
    level2: str | None


class CorrectionOut(BaseModel):
    """The last correction made in the console or with PATCH (the full trail: /history)."""

    unit: str | None = Field(None, description="承办单位 as corrected by an analyst.")
    labelled_at: LocalTime = Field(..., description="When an analyst last corrected or confirmed it.")
    labelled_by: str = Field(..., description="The name of the API key that did.")


class LabelsIn(_Strict):
    """A correction: any subset of the fields; null clears a human label."""

    label_level1: Label = None
    label_level2: Label = None
    unit: Meta = None


class ComplaintOut(BaseModel):
    id: str
    title: str | None
    body: str | None
    text: str
    created_at: LocalTime
    received_at: LocalTime
    updated_at: LocalTime | None = Field(
        None, description="when the outcome fields last changed; null if never"
    )
    district: str | None = None
    unit: str | None = None
    unit_type: str | None = None
    base_unit: str | None = None
    caller: str | None = None
    channel: str | None = None
    handling: str | None = None
    closed: bool | None = None
    satisfaction: str | None = None
    on_time: bool | None = None
    revisited: bool | None = None
    stars: float | None = None
    likes: int | None = None
    dislikes: int | None = None
    labels: LabelsOut | None = Field(
        None, description="Human labels: sent with the complaint or corrected since."
    )
    correction: CorrectionOut | None = Field(
        None, description="The last correction by an analyst (null: never corrected or confirmed)."
    )
    tags: TagOut | None = Field(None, description="The model's tags (absent for imports without a model).")
    category: str | None = Field(None, description="Effective path: the human label if any, else the tag.")


IngestStatus = Literal["created", "updated", "existing"]


class ComplaintIngestOut(ComplaintOut):
    status: IngestStatus = Field(
        ...,
        description="created: stored now; updated: already stored, its outcome "
        "fields changed now; existing: already stored as sent, nothing changed.",
    )


class ComplaintBatchOut(BaseModel):
    items: list[ComplaintIngestOut]
    created: int
    existing: int = Field(..., description="Already stored as sent: nothing changed.")
    updated: int = Field(0, description="Already stored; their outcome fields were updated.")


class ComplaintListOut(BaseModel):
    items: list[ComplaintOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class ChangeOut(BaseModel):
    """One changed field of a complaint: a correction or an outcome update."""

    id: int
    complaint_id: str
    field: str = Field(
        ..., description="label_level1, label_level2, unit, or an outcome field (closed, ...)."
    )
    old: str | None
    new: str | None
    who: str = Field(..., description="The name of the API key that made the change.")
    at: LocalTime


class HistoryOut(BaseModel):
    items: list[ChangeOut]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    errors: list[ErrorDetail] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class CheckOut(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}
    model: str | None = None
    model_version: str | None = None
