"""Shared fixtures: the bundled demo corpus and one real model trained on it.

The model is trained once per test session (a few seconds) on a stratified
subset of the bundled corpus and saved into a real models directory, so tests
exercise the same files ``hotline-nlp train`` writes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

# One BLAS / OpenMP thread in every test process: under pytest-xdist there is
# one worker process per core already, and threads of their own would put two
# on every core (OpenBLAS threads spin while they wait, which slowed the suite);
# and the hotspot results depend on the thread count in the last bits of the
# clustering's floats (the demo's W48 golden differs with two), so the goldens
# are recorded, and compared, with one. Set before numpy loads, so the CLI
# subprocesses and Dask workers the tests start inherit it.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
threadpool_limits(1)  # in case a plugin loaded numpy first

REPO = Path(__file__).resolve().parents[1]
DEMO_CSV = REPO / "corpus" / "data" / "demo_complaints.csv"
ZHWZ = REPO.parent / "shared" / "data" / "zhwz2020"


def _tracked_state() -> dict[str, str] | None:
    """Tracked files that differ from the index, with a hash of their content
    (None outside a git checkout). Compared before and after the session."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "-z"],
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    state = {}
    for entry in filter(None, out.split("\0")):
        path = REPO / entry[3:]
        state[entry[3:]] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "gone"
    return state


def pytest_sessionstart(session):
    # Tests never modify tracked files. Checked where it cannot be a developer
    # editing during the run: in CI (CI=...) or when asked (HOTLINE_NLP_CHECK_TREE=1).
    if os.environ.get("CI") or os.environ.get("HOTLINE_NLP_CHECK_TREE"):
        session.config._tracked_before = _tracked_state()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_tracked_before", None)
    if before is None:
        return
    after = _tracked_state() or {}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "FAILED: the test run modified tracked files (tests must write to tmp dirs): "
                + ", ".join(changed),
                red=True,
            )
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def private_home(tmp_path_factory):
    """Models, caches and the service store of the test session live in its tmp
    dir: tests never write into the user's ~/.hotline-nlp or ~/.cache/hotline-nlp
    (subprocesses such as test servers inherit the variables)."""
    base = tmp_path_factory.getbasetemp()
    saved = {v: os.environ.get(v) for v in ("HOTLINE_NLP_HOME", "HOTLINE_NLP_CACHE")}
    os.environ["HOTLINE_NLP_HOME"] = str(base / "hotline-home")
    os.environ["HOTLINE_NLP_CACHE"] = str(base / "hotline-cache")
    yield
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


@pytest.fixture(scope="session")
def demo_csv() -> Path:
    return DEMO_CSV


@pytest.fixture(scope="session")
def demo_raw() -> pd.DataFrame:
    return pd.read_csv(DEMO_CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def zhwz() -> Path:
    if not (ZHWZ / "labeled.csv").exists():
        pytest.skip(f"real data not present at {ZHWZ} (it is never shipped with the project)")
    return ZHWZ


@pytest.fixture(scope="session")
def train_csv(tmp_path_factory, demo_raw) -> Path:
    """~1,150 rows of the demo corpus (12 per sub-category, every one represented):
    enough for a real model whose metrics mean something, small enough to train in seconds."""
    shuffled = demo_raw.sample(frac=1.0, random_state=0)
    sub = shuffled[shuffled.groupby(["一级分类", "二级分类"]).cumcount() < 12]
    path = tmp_path_factory.mktemp("data") / "train.csv"
    sub.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def service_models_dir(tmp_path_factory) -> Path:
    """A models directory with a small real ``demo`` model, shared by the service tests
    (they start real servers on it)."""
    from support import ensure_model

    return ensure_model(tmp_path_factory.getbasetemp() / "service-models")


@pytest.fixture(scope="session")
def trained_model(train_csv, models_dir):
    """A real model saved as ``demo@v1`` in ``models_dir``; returns the loaded model."""
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.training import train
    from hotline_nlp.corpus.loaders import load_complaints

    report = train(
        load_complaints(train_csv, require=("labels",)), name="demo", models_dir=models_dir, fast=True
    )
    assert report.promoted
    return load_model("demo", models_dir)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def db_url(request, tmp_path):
    """An empty store URL: a SQLite file, or a fresh database on the shared
    PostgreSQL cluster (skipped where PostgreSQL is not installed)."""
    from support import PgCluster

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'complaints.db'}"
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    return PgCluster.shared().fresh_database()
