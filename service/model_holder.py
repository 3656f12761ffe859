"""The model in service, swapped without a restart when a newer version is promoted.

The server loads the model once at start-up. When it was named (``--model
demo``, not a version directory or ``demo@v3``), a background thread looks at
the store's ``<name>/CURRENT`` pointer every few seconds (one ``stat``); when it
has changed and names another version, that version is loaded *beside* the old
one and then one reference is swapped. Requests read the reference
once (``deps.get_model``), so a request that started on the old model finishes
on it, and no request ever waits for a load. A version that fails to load is
logged and the old model stays in service.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

log = logging.getLogger("hotline_nlp.service")


class ModelHolder:
    def __init__(self, spec: str, models_dir: Path | None = None, check_interval: float = 5.0):
        self.spec = str(spec)
        self.models_dir = models_dir
        self.check_interval = check_interval
        self.model = None
        self.loaded_at: float | None = None
        self.last_error: str | None = None
        self.swaps = 0
        self._pointer_mtime: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swap_lock = threading.Lock()

    def followed(self) -> tuple[Path, str] | None:
        """``(store root, model name)`` when the spec names a model whose promoted
        version can change; None for a model directory or a pinned ``name@v3``."""
        from hotline_nlp.models.store import ModelStore

        p = Path(self.spec).expanduser()
        if (p / "manifest.json").is_file() or "@" in self.spec:
            return None
        if p.is_dir() and (p / "CURRENT").is_file():
            return p.parent, p.name
        return ModelStore(self.models_dir).root, self.spec

    def load(self) -> None:
        """Load the current version (raises ``ModelError`` with a message)."""
        from hotline_nlp.classifier.model import load_model

        followed = self.followed()
        self._pointer_mtime = self._mtime(followed)
        self.model = load_model(self.spec, models_dir=self.models_dir)
        self.loaded_at = time.time()
        log.info("model %s version %s loaded", self.model.name, self.model.version)

    @staticmethod
    def _mtime(followed) -> int | None:
        if followed is None:
            return None
        try:
            return (followed[0] / followed[1] / "CURRENT").stat().st_mtime_ns
        except OSError:
            return None

    def check_now(self, force: bool = False) -> bool:
        """Swap in the promoted version if it is not the one in service; True if swapped.

        Cheap when nothing changed: one ``stat`` of the CURRENT pointer."""
        followed = self.followed()
        if followed is None or self.model is None:
            return False
        with self._swap_lock:
            mtime = self._mtime(followed)
            if mtime == self._pointer_mtime and not force:
                return False
            try:
                from hotline_nlp.classifier.model import load_model
                from hotline_nlp.models.store import ModelStore

                store = ModelStore(followed[0])
                wanted = store.current_version(followed[1])
                if not wanted or str(wanted) == str(self.model.version):
                    self._pointer_mtime = mtime
                    return False
                new = load_model(store.path_of(followed[1], wanted))  # exactly the version seen
            except Exception as e:  # keep serving the old model, say why
                self.last_error = f"{type(e).__name__}: {e}"
                self._pointer_mtime = mtime  # do not retry a broken version every few seconds
                log.error("model %s: cannot load the promoted version: %s", self.spec, self.last_error)
                return False
            old = self.model
            self.model = new  # one reference assignment: atomic for readers
            self._pointer_mtime = mtime
            self.loaded_at = time.time()
            self.last_error = None
            self.swaps += 1
            log.warning("model %s: swapped version %s -> %s", new.name, old.version, new.version)
            return True

    def start(self) -> None:
        if self.followed() is None or self.check_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="model-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval):
            try:
                self.check_now()
            except Exception as e:  # the watcher must outlive any surprise
                log.error("model watch: %s", e)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
