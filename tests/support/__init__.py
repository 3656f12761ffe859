"""Test support shared by the tests and the service benchmarks: a real server
harness, a throwaway PostgreSQL cluster, a small labelled corpus and the kill -9
fault drill.

Not part of the runtime package. ``tests/`` is on ``sys.path`` when pytest runs
(rootdir conftest), so tests import ``support``; benchmarks add ``tests/`` first.
"""

from support.corpus import HEADERS, ensure_model, synthetic_rows, write_corpus_csv
from support.faults import fault_payload, ingest_until_killed, stored_ids
from support.postgres import PG_BIN_DIRS, PgCluster, pg_bin_dir
from support.server import Server, free_port

__all__ = [
    "HEADERS",
    "PG_BIN_DIRS",
    "PgCluster",
    "Server",
    "ensure_model",
    "fault_payload",
    "free_port",
    "ingest_until_killed",
    "pg_bin_dir",
    "stored_ids",
    "synthetic_rows",
    "write_corpus_csv",
]
