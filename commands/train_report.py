"""How a finished training run is printed: shared by `train --data` and `train --db`."""

from __future__ import annotations

import typer


def echo_dispatch_training(d: dict, sel: dict) -> None:
    """How the dispatcher was chosen, and its out-of-time figures."""
    if "top1" not in d:
        typer.echo(f"  dispatch: {d.get('chosen')} ({d['n_units']} units; too few rows to choose or score)")
        return
    scores = ", ".join(f"{c['name']} {c['top1']:.3f}" for c in sel.get("candidates", []))
    typer.echo(
        f"  dispatch: {d['chosen']} chosen on later complaints (top-1 {scores}); "
        f"top-1 {d['top1']:.4f}  top-3 {d['top3']:.4f}  jurisdiction {d['jurisdiction_top1']:.4f}  "
        f"({d['n_units']} units, n={d['n']})"
    )
    r = d["auto_route"]
    reached = f"{r['precision']:.3f}" if r["precision"] is not None else "n/a"
    typer.echo(
        f"  dispatch auto-route at precision {r['target_precision']:.2f}: {r['share']:.1%} "
        f"(confidence >= {r['threshold']:.3f}, precision reached {reached})"
    )


def echo_train_report(report) -> None:
    typer.echo(f"saved {report.name} {report.version} -> {report.path}")
    for level in ("level1", "level2"):
        m = report.metrics.get(level)
        if m:
            typer.echo(
                f"  {level}: macro-F1 {m['macro_f1']:.4f}  accuracy {m['accuracy']:.4f}  "
                f"(5-fold CV, n={m['n']}, review threshold {m['review_threshold']:.2f})"
            )
    d = report.metrics.get("dispatch")
    if d:
        echo_dispatch_training(d, report.selection.get("dispatch", {}))
    for note in report.notes:
        typer.echo(f"  note: {note}")
    sel = report.selection
    if sel.get("outer_macro_f1") is not None:
        typer.echo(
            f"  chosen setting: {sel['chosen']} (of {len(sel['candidates'])} candidates, inner {sel['inner_folds']}-fold CV); "
            f"nested-CV macro-F1 of the whole procedure {sel['outer_macro_f1']:.4f}"
        )
    typer.echo(("promoted: " if report.promoted else "") + report.reason)
