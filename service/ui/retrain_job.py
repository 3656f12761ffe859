"""A retrain started from the console: ``train --db`` in a background thread.

One at a time per server. It trains on the store's human labels with the same
rule as the CLI (promoted only if not worse on the newest corrections); the
model holder then swaps the promoted version in by itself. The thread only
reads the store and writes a new model version, so serving goes on meanwhile.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class RetrainJob:
    state: str = "idle"  # idle | running | done | failed
    started: float | None = None
    finished: float | None = None
    who: str = ""
    result: dict = field(default_factory=dict)
    error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, db_url: str, name: str, models_dir, who: str) -> bool:
        """False when one is already running."""
        from hotline_nlp.service.retrain import train_from_store

        with self._lock:
            if self.state == "running":
                return False
            self.state, self.started, self.finished, self.who, self.error = (
                "running",
                time.time(),
                None,
                who,
                "",
            )

        def run():
            try:
                report, used = train_from_store(db_url, name=name, models_dir=models_dir)
                self.result = {
                    "version": report.version,
                    "promoted": report.promoted,
                    "reason": report.reason,
                    **used,
                }
                self.state = "done"
            except Exception as e:  # shown on the metrics page
                self.error, self.state = f"{type(e).__name__}: {e}", "failed"
            self.finished = time.time()

        threading.Thread(target=run, name="console-retrain", daemon=True).start()
        return True


def job_of(app) -> RetrainJob:
    if getattr(app.state, "retrain_job", None) is None:
        app.state.retrain_job = RetrainJob()
    return app.state.retrain_job
