"""Connection-level limits of the HTTP server: what uvicorn does not do itself.

uvicorn (h11) closes an idle keep-alive connection after ``timeout_keep_alive``,
but a connection that never finishes its request head, or sends its body one
byte a second, is kept forever, and idle connections pile up until the process
runs out of file descriptors; asyncio then logs an "accept() out of system
resource" traceback for every queued connection, many megabytes a second, and
``/healthz`` stops answering. ``guarded_protocol`` returns an h11 protocol that

* closes a connection whose request head is not complete ``header_timeout``
  seconds after it opened (or after its previous response), answering 408;
* closes a request whose body is not complete ``body_timeout`` seconds after its
  head, answering 408 (the application sees a disconnect);
* keeps at most ``max_connections`` open: at the cap a new connection closes the
  longest-idle one (no request in progress, as nginx reuses idle keep-alive
  connections); when every connection is busy the new one gets a 503.

``plan`` sizes ``max_connections`` and the accept backlog from the file
descriptor limit, so the cap is reached before the descriptors run out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("hotline_nlp.service")


def _raw_response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\n{extra}content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    return head.encode("ascii") + body


_408 = _raw_response("408 Request Timeout")
_503 = _raw_response(
    "503 Service Unavailable",
    b'{"error":{"status":503,"code":"unavailable",'
    b'"message":"too many open connections; retry later","errors":[]}}',
    "content-type: application/json\r\nretry-after: 1\r\n",
)


@dataclass(frozen=True)
class ConnectionPlan:
    """What ``plan`` decided at start-up (logged, and used by ``guarded_protocol``)."""

    nofile: int  # soft RLIMIT_NOFILE after raising it
    nofile_before: int
    max_connections: int
    backlog: int


def raise_nofile_limit() -> tuple[int, int]:
    """Raise the soft descriptor limit to the hard one where allowed; ``(before, after)``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # e.g. a container forbids it: keep the soft limit
            target = soft
    else:
        target = soft
    return soft, target


def open_descriptors() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: a conservative guess
        return 64


def plan(max_connections: int, backlog: int, fd_headroom: int) -> ConnectionPlan:
    """Raise the descriptor limit, then fit connections and the accept backlog
    under it. asyncio accepts up to ``backlog`` sockets in one go before any is
    handled, so the backlog is part of the budget; ``fd_headroom`` is kept for
    the database, model reloads and log files."""
    before, nofile = raise_nofile_limit()
    available = nofile - open_descriptors() - fd_headroom
    backlog = min(backlog, max(8, available // 4))
    fitted = min(max_connections, available - backlog)
    if fitted < 8:
        raise ValueError(
            f"only {nofile} file descriptors allowed (ulimit -n), too few to serve; "
            "raise the limit or lower --fd-headroom"
        )
    return ConnectionPlan(nofile, before, fitted, backlog)


def guarded_protocol(
    *, max_connections: int, header_timeout: float, body_timeout: float
) -> type[H11Protocol]:
    """An ``H11Protocol`` subclass with these limits (pass it as uvicorn's ``http``)."""

    class GuardedH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._timer: asyncio.TimerHandle | None = None
            self._idle_since = self.loop.time()
            if len(self.connections) > max_connections:
                if not _evict_idle(self, self.connections):
                    log.warning(
                        "at the connection limit (%d), all busy: new connection refused (503)",
                        max_connections,
                    )
                    transport.write(_503)
                    transport.close()
                    return
                log.warning(
                    "at the connection limit (%d): closed the longest-idle connection", max_connections
                )
            self._arm(header_timeout, self._head_timed_out)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._follow_state()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport.is_closing():
                return
            self._idle_since = self.loop.time()
            if self.conn.their_state is h11.IDLE:
                self._arm(header_timeout, self._head_timed_out)
            else:  # a pipelined request was parsed meanwhile
                self._follow_state()

        # --- timers

        def _follow_state(self) -> None:
            """After bytes arrived: head complete -> body timer; body complete -> none."""
            state = self.conn.their_state
            if state is h11.IDLE:
                return
            if state is h11.SEND_BODY:
                if getattr(self, "_phase", None) != "body":
                    self._arm(body_timeout, self._body_timed_out, phase="body")
            else:
                self._disarm()

        def _arm(self, seconds: float, callback, phase: str = "head") -> None:
            self._disarm()
            self._phase = phase
            self._timer = self.loop.call_later(seconds, callback)

        def _disarm(self) -> None:
            timer = getattr(self, "_timer", None)
            if timer is not None:
                timer.cancel()
            self._timer, self._phase = None, None

        def _head_timed_out(self) -> None:
            self._timer = None
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                if self.conn.our_state is h11.IDLE:  # nothing answered yet on this cycle
                    self.transport.write(_408)
                self.transport.close()

        def _body_timed_out(self) -> None:
            self._timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
                return
            cycle = self.cycle
            if cycle is not None and not cycle.response_started:
                self.transport.write(_408)
            if cycle is not None:  # the application reads a disconnect and its answer is dropped
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.close()

    return GuardedH11Protocol


def _is_idle(p) -> bool:
    cycle = getattr(p, "cycle", None)
    conn = getattr(p, "conn", None)
    return (
        conn is not None
        and conn.their_state is h11.IDLE
        and (cycle is None or cycle.response_complete)
        and not p.transport.is_closing()
    )


def _evict_idle(new, connections) -> bool:
    """Close the longest-idle connection other than ``new``; False if none is idle."""
    victim = None
    for p in connections:
        if p is new or not _is_idle(p):
            continue
        if victim is None or getattr(p, "_idle_since", 0.0) < getattr(victim, "_idle_since", 0.0):
            victim = p
    if victim is None:
        return False
    if hasattr(victim, "_disarm"):
        victim._disarm()
    victim.transport.close()
    victim.connections.discard(victim)  # counted out now; connection_lost follows
    return True
