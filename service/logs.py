"""The server's logging: one handler for everything, repeats suppressed, and an
optional size-bounded rotating file, so no error storm can fill the disk.

A failure that repeats per connection or per request (a resource limit, a bad
client) would otherwise log one line, often with a traceback, per occurrence:
megabytes a second. ``RepeatFilter`` lets a few of each message through per
window and reports how many it dropped. ``--log-file`` writes to a
``RotatingFileHandler`` that never grows past ``log_max_bytes`` times
``log_backups + 1``; without it the log goes to stderr (journald and docker
bound their own storage).
"""

from __future__ import annotations

import logging
import threading
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REPEAT_BURST = 5  # the same warning or error at most this often ...
REPEAT_WINDOW = 10.0  # ... per this many seconds
WINDOW_BUDGET = 200  # and at most this many warnings and errors in all per window


class RepeatFilter(logging.Filter):
    """Pass at most ``burst`` WARNING-or-worse records with the same logger and
    message template (and exception type) per ``window`` seconds, and at most
    ``budget`` in all; the next record passed after a suppression says how many
    were dropped. INFO and below (the access log) pass untouched."""

    def __init__(
        self,
        burst: int = REPEAT_BURST,
        window: float = REPEAT_WINDOW,
        budget: int = WINDOW_BUDGET,
        clock=time.monotonic,
    ):
        super().__init__()
        self.burst, self.window, self.budget, self.clock = burst, window, budget, clock
        self._keys: dict[tuple, list] = {}  # key -> [window start, passed, dropped]
        self._total = [0.0, 0, 0]  # window start, passed, dropped (all keys)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        key = (record.name, str(record.msg)[:300], exc)
        now = self.clock()
        with self._lock:
            self._window(self._total, now)
            total = self._total
            state = self._keys.get(key)
            if state is None:
                if len(self._keys) > 10 * self.budget:  # forget old keys; memory stays bounded
                    self._keys = {k: v for k, v in self._keys.items() if now - v[0] < self.window}
                state = self._keys[key] = [now, 0, 0]
            dropped = self._window(state, now)
            if state[1] >= self.burst or total[1] >= self.budget:
                state[2] += 1
                total[2] += 1
                return False
            state[1] += 1
            total[1] += 1
            if dropped:
                record.msg = f"{record.msg} [{dropped} more like this suppressed]"
            return True

    def _window(self, state: list, now: float) -> int:
        """Start a new window in ``state`` when its window is over; returns how
        many records the ended window dropped (0 while it goes on)."""
        if now - state[0] < self.window:
            return 0
        dropped = state[2]
        state[:] = [now, 0, 0]
        return dropped


def config(
    log_level: str = "info",
    log_file: str | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 3,
) -> dict:
    """A ``logging.config.dictConfig`` dict routing uvicorn's, asyncio's and our
    loggers through one filtered handler (stderr, or the rotating file)."""
    level = log_level.upper()
    if log_file:
        handler = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(log_file),
            "maxBytes": max_bytes,
            "backupCount": backups,
            "encoding": "utf-8",
        }
    else:
        handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"repeats": {"()": RepeatFilter}},
        "formatters": {"default": {"format": FORMAT}},
        "handlers": {"default": {**handler, "formatter": "default", "filters": ["repeats"]}},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "propagate": True},
            "uvicorn.access": {"level": level, "propagate": True},
            "hotline_nlp": {"level": level, "propagate": True},
        },
        "root": {"level": "WARNING", "handlers": ["default"]},
    }
