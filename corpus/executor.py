"""Where per-partition work runs: in this process, or on a Dask cluster.

Why one small seam: tagging, embedding and hotspot vectorising are all "apply
a function to every input partition". ``open_executor(scheduler)`` gives an
object with one ``map`` for that, so each step has ONE code path: without a
scheduler the function runs here, partition after partition (what a single
machine did before, streaming, no extra memory); with ``--scheduler`` the same
function runs on Dask workers (``distributed``), results coming back as they
finish.

``scheduler``: ``None`` (or the ``HOTLINE_NLP_SCHEDULER`` environment variable)
-> this process; ``local`` / ``local:N`` -> a ``LocalCluster`` of N worker
processes (one thread each) started for the run; anything else -> the address
of a running scheduler (``tcp://host:8786``). An unreachable scheduler raises
``SchedulerError`` naming the address.

Workers need not share a disk with the client: ``ship_directory`` copies a
directory (a tagging model) to every worker once, and ``resolve_shipped`` finds
that copy there. Heavy objects (models, embedders) are loaded once per worker
*process* by ``worker_cached`` (keyed by what identifies them, e.g. path and
manifest checksum), never once per task. Input partitions are read by the
workers, so they must be at the same path on every worker (a shared folder);
outputs are written by the client.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEDULER_ENV = "HOTLINE_NLP_SCHEDULER"
RETRIES = 3  # a task that raised is tried again this often (a lost worker is handled by Dask itself)
CONNECT_TIMEOUT_S = 10


class SchedulerError(ValueError):
    """The Dask scheduler cannot be used (the message names the address)."""


# -- once-per-process objects ------------------------------------------------
_cache: dict[str, object] = {}
_lock = threading.Lock()
LOADS: Counter = Counter()  # loads per key in this process (tests check "once per worker")
_shipped: dict[str, Path] = {}


def worker_cached(key: str, loader: Callable, *args):
    """``loader(*args)`` once per process for ``key``; later calls return the same object."""
    hit = _cache.get(key)
    if hit is not None:
        return hit
    with _lock:
        if key not in _cache:
            _cache[key] = loader(*args)
            LOADS[key] += 1
        return _cache[key]


def load_counts() -> dict[str, int]:
    return dict(LOADS)


def directory_digest(path: Path, files: Iterable[str] | None = None) -> str:
    """A short digest of a directory's file names and sizes and mtimes (cheap; identity, not integrity)."""
    h = hashlib.blake2b(str(Path(path).resolve()).encode(), digest_size=10)
    for f in sorted(files) if files is not None else sorted(_files_of(path)):
        st = (Path(path) / f).stat()
        h.update(f"{f}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _files_of(path: Path) -> list[str]:
    return [p.relative_to(path).as_posix() for p in Path(path).rglob("*") if p.is_file()]


def resolve_shipped(key: str, path: str | Path) -> Path:
    """The local copy of a shipped directory on this worker, else ``path`` itself."""
    return _shipped.get(key, Path(path))


def _store_shipped(key: str, files: dict[str, bytes], root: str) -> None:
    dest = Path(root) / "hotline-shipped" / key
    # the marker sits beside the copy, not in it: a model directory must hold only
    # the files its manifest lists (an extra file reads as tampering)
    done = dest.parent / f"{key}.complete"
    if not done.is_file():
        for rel, data in files.items():
            p = dest / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        done.write_text("ok")
    _shipped[key] = dest


# -- executors ---------------------------------------------------------------
class LocalExecutor:
    """Runs each call here, in order (the single-machine executor)."""

    client = None
    n_workers = 1
    description = "this process"

    def map(self, fn: Callable, items: list, name: str = "task", **kwargs) -> Iterator[tuple[int, object]]:
        for i, item in enumerate(items):
            yield i, fn(item, **kwargs)

    def keep(self, fn: Callable, items: list, name: str = "task", **kwargs) -> list:
        """``fn`` over ``items``, results kept where they were computed (here: the values)."""
        return [fn(item, **kwargs) for item in items]

    def share(self, obj):
        """``obj`` made available to every task (here: itself)."""
        return obj

    def release(self, handles) -> None:
        """Forget kept results (here: nothing to do; the caller drops its references)."""

    def ship_directory(self, key: str, path: str | Path) -> None:
        """Nothing to ship: the work runs where the directory is."""

    def close(self) -> None:
        pass


class DaskExecutor:
    """Runs each call as a task on a ``distributed`` cluster; yields results as they finish."""

    def __init__(self, client, cluster=None, description: str = ""):
        self.client, self.cluster, self.description = client, cluster, description

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"]) or 1

    def map(self, fn: Callable, items: list, name: str = "task", **kwargs) -> Iterator[tuple[int, object]]:
        from uuid import uuid4

        from distributed import as_completed

        run = uuid4().hex[:12]  # keys unique per call: never a result of an earlier map with other inputs
        futures = {}
        for i, item in enumerate(items):
            f = self.client.submit(
                fn, item, **kwargs, key=f"{name}-{i:05d}-{run}", retries=RETRIES, pure=False
            )
            futures[f] = i
        try:
            for f in as_completed(futures):
                yield futures[f], f.result()
                f.release()
        finally:
            for f in futures:
                f.cancel()

    def keep(self, fn: Callable, items: list, name: str = "task", **kwargs) -> list:
        """``fn`` over ``items`` as tasks whose results stay on the workers (futures).

        A kept result passed to ``map``/``keep`` (also inside a list or tuple) is
        resolved on the worker that runs the task; the client never holds it. A
        lost worker's kept results are recomputed by Dask from their inputs."""
        from uuid import uuid4

        run = uuid4().hex[:12]
        return [
            self.client.submit(fn, item, **kwargs, key=f"{name}-{i:05d}-{run}", retries=RETRIES, pure=False)
            for i, item in enumerate(items)
        ]

    def share(self, obj):
        """``obj`` sent once to every worker (a future that tasks take as an argument)."""
        return self.client.scatter(obj, broadcast=True, hash=False)

    def release(self, handles) -> None:
        for f in handles:
            f.release()

    def ship_directory(self, key: str, path: str | Path) -> None:
        """Copy ``path``'s files to every worker (now and any that joins later)."""
        from distributed.diagnostics.plugin import WorkerPlugin

        path = Path(path)
        files = {rel: (path / rel).read_bytes() for rel in _files_of(path)}

        class ShipDirectory(WorkerPlugin):
            name = f"hotline-ship-{key}"

            def setup(self, worker):
                _store_shipped(key, files, worker.local_directory)

        self.client.register_plugin(ShipDirectory(), name=f"hotline-ship-{key}")

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def scheduler_from_env(scheduler: str | None) -> str | None:
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def _local_workers(spec: str) -> int:
    _, _, n = spec.partition(":")
    try:
        k = int(n) if n else (os.cpu_count() or 1)
    except ValueError:
        raise SchedulerError(f"--scheduler {spec}: expected local or local:N (N worker processes)") from None
    if k < 1:
        raise SchedulerError(f"--scheduler {spec}: N must be at least 1")
    return k


@contextmanager
def open_executor(scheduler: str | None = None):
    """The executor for ``scheduler`` (see the module doc); closed on exit."""
    spec = scheduler_from_env(scheduler)
    if spec is None:
        ex = LocalExecutor()
    elif spec == "local" or spec.startswith("local:"):
        ex = _start_local(_local_workers(spec))
    else:
        ex = _connect(spec)
    try:
        yield ex
    finally:
        ex.close()


def _start_local(n: int) -> DaskExecutor:
    import logging

    from distributed import Client, LocalCluster

    one = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        env=one,
    )
    return DaskExecutor(Client(cluster), cluster, f"LocalCluster of {n} worker process(es)")


def _connect(address: str) -> DaskExecutor:
    import logging

    from distributed import Client

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError) as e:  # refused or timed out
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    except Exception as e:  # something else answered there
        reason = f"something answered, but not a Dask scheduler ({type(e).__name__})"
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    return DaskExecutor(client, None, f"Dask scheduler {address}")
