"""The model in service, swapped without a restart when a newer version is promoted.

The server loads the model once at start-up. When it was named (``--model
demo``, not a directory), a background thread asks the model store every few
seconds which version is promoted; when that changes it loads the new version
*beside* the old one and then swaps one reference. Requests read the reference
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
        self.spec = spec
        self.models_dir = models_dir
        self.check_interval = check_interval
        self.model = None
        self.loaded_at: float | None = None
        self.last_error: str | None = None
        self.swaps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swap_lock = threading.Lock()

    @property
    def watchable(self) -> bool:
        """Only a model named in the store has a promoted version to follow."""
        return not Path(self.spec).expanduser().is_dir()

    def load(self) -> None:
        """Load the current version (raises ``ModelError`` with a message)."""
        from hotline_nlp.models.store import load_model

        self.model = load_model(self.spec, models_dir=self.models_dir)
        self.loaded_at = time.time()
        log.info("model %s version %s loaded", self.model.name, self.model.version)

    def promoted_version(self) -> str | None:
        from hotline_nlp.models.store import ModelStore, default_models_dir

        store = ModelStore(self.models_dir or default_models_dir())
        return store.current_version(self.model.name if self.model is not None else self.spec)

    def check_now(self) -> bool:
        """Swap in the promoted version if it is not the one in service; True if swapped."""
        if not self.watchable or self.model is None:
            return False
        with self._swap_lock:
            try:
                wanted = self.promoted_version()
                if not wanted or str(wanted) == str(self.model.version):
                    return False
                from hotline_nlp.models.store import load_model

                new = load_model(self.spec, models_dir=self.models_dir)
            except Exception as e:  # keep serving the old model, say why
                self.last_error = f"{type(e).__name__}: {e}"
                log.error("model %s: cannot load the promoted version: %s", self.spec, self.last_error)
                return False
            old = self.model
            self.model = new  # one reference assignment: atomic for readers
            self.loaded_at = time.time()
            self.last_error = None
            self.swaps += 1
            log.info("model %s: swapped version %s -> %s", new.name, old.version, new.version)
            return True

    def start(self) -> None:
        if not self.watchable or self.check_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="model-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval):
            self.check_now()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
