"""The console's review queue and the live model's accuracy page.

The queue shows the complaints whose tag needs review, one at a time, least
confident first. One click (or the Enter key) accepts the tag; choosing another
category in the select box corrects it: a one-level model (zhwz2020 has 一级分类
only) offers its level-1 categories, a two-level one its paths. Where the model
has a dispatcher the card shows the recommended unit and takes a corrected one
with either decision. Each posts the form with ``fetch`` and the answer is the
next item's card, swapped in place: no page reload between items.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from hotline_nlp.service.deps import EngineDep, ModelDep
from hotline_nlp.service.errors import ServiceError
from hotline_nlp.service.routers.review import apply_correction
from hotline_nlp.service.store import labels
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store.db import safe_url
from hotline_nlp.service.ui.access import AnalystDep, FormDep, RetrainDep, ViewerDep
from hotline_nlp.service.ui.render import page
from hotline_nlp.service.ui.retrain_job import job_of

router = APIRouter(prefix="/ui", include_in_schema=False)


def taxonomy(model) -> list[tuple[str, list[str]]]:
    """[(level 1, [level 2, ...])] of the live model, for the select box; a level 1
    without level 2s (every one, for a one-level model) is offered itself."""
    lab = model.manifest.get("labels", {})
    groups: dict[str, list[str]] = {l1: [] for l1 in lab.get("level1", [])}
    for path in lab.get("paths", []):
        l1, _, l2 = path.partition(" > ")
        groups.setdefault(l1, []).append(l2)
    return list(groups.items())


def two_levels(model) -> bool:
    """Whether the live model tags a second level (a one-level model has no paths)."""
    return bool(model.manifest.get("labels", {}).get("paths"))


def units(model) -> list[str]:
    """The units the live model's dispatcher recommends from (empty without one)."""
    dispatcher = getattr(model, "dispatcher", None)
    return [] if dispatcher is None else sorted(str(u) for u in dispatcher.classes_)


def _card(request: Request, viewer, engine, model, done: int = 0, last: str | None = None):
    queue = labels.review_queue(engine, limit=1)
    item = rec.to_out(queue[0]) if queue else None
    return page(
        request,
        "review_card.html",
        viewer,
        item=item,
        taxonomy=taxonomy(model),
        units=units(model),
        left=labels.queue_size(engine),
        done=done,
        last=last,
    )


@router.get("/review")
def review_page(request: Request, viewer: ViewerDep, engine: EngineDep, model: ModelDep):
    card = _card(request, viewer, engine, model).body.decode()
    return page(request, "review.html", viewer, card=card)


@router.post("/review/{complaint_id}")
def review_submit(
    request: Request, complaint_id: str, viewer: AnalystDep, form: FormDep, engine: EngineDep, model: ModelDep
):
    """``action=accept`` stores the tag as the label; ``path=一级 > 二级`` (or ``一级``)
    corrects it; a ``unit`` sent with either corrects the 承办单位 too."""
    row = labels.fetch_one(engine, complaint_id)
    if row is None:
        raise ServiceError(404, f"complaint_id: no complaint with id {complaint_id!r}")
    unit = str(form.get("unit") or "").strip()
    if form.get("path"):
        l1, _, l2 = str(form["path"]).partition(" > ")
        values, last = (
            {"label_level1": l1, "label_level2": l2 or None},
            f"已更正 {complaint_id} → {form['path']}",
        )
    elif form.get("action") == "accept":
        values = {"label_level1": row["tag_level1"], "label_level2": row["tag_level2"]}
        last = f"已确认 {complaint_id}"
    else:
        raise ServiceError(422, "action: send action=accept or a path")
    if unit:
        values["unit"] = unit
        last += f"，承办单位 → {unit}"
    apply_correction(engine, model, complaint_id, values, viewer.who)
    done = int(form.get("done") or 0) + 1
    if request.headers.get("X-Requested-With") == "fetch":
        return _card(request, viewer, engine, model, done=done, last=last)
    return RedirectResponse("/ui/review", status_code=303)


@router.post("/retrain")
def retrain(request: Request, viewer: RetrainDep, form: FormDep):
    """Start ``train --db`` on this server's store for the model it follows."""
    holder = request.app.state.models
    followed = holder.followed() if holder is not None else None
    if followed is None:
        raise ServiceError(
            409, "the server runs a fixed model directory or version; retrain from the command line"
        )
    root, name = followed
    job_of(request.app).start(request.app.state.settings.db_url, name, root, viewer.who.name)
    return RedirectResponse("/ui/metrics", status_code=303)


@router.get("/metrics")
def metrics_page(request: Request, viewer: ViewerDep, engine: EngineDep, model: ModelDep):
    weeks = labels.weekly_accuracy(engine)
    return page(
        request,
        "metrics.html",
        viewer,
        weeks=weeks,
        model=model,
        two_levels=two_levels(model),
        corrected=sum(w["n"] for w in weeks),
        left=labels.queue_size(engine),
        db_url=safe_url(request.app.state.settings.db_url),
        job=job_of(request.app),
    )
