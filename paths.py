"""Where the product keeps its files on this machine: the one module that reads
``$HOTLINE_NLP_HOME`` and ``$HOTLINE_NLP_CACHE``.

    $HOTLINE_NLP_HOME (default ~/.hotline-nlp)
        models/     trained tagging models (``models.store``)
        service/    the service's SQLite store when no --db is given
        cache/      the cache, when $HOTLINE_NLP_CACHE is not set

    $HOTLINE_NLP_CACHE (default $HOTLINE_NLP_HOME/cache, else ~/.cache/hotline-nlp)
        sentence vectors by embedder version, spill folders of hotspot runs

It imports nothing from the package, so every layer may use it.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """``$HOTLINE_NLP_HOME``, else ``~/.hotline-nlp`` (not created here)."""
    env = os.environ.get("HOTLINE_NLP_HOME")
    return Path(env).expanduser() if env else Path.home() / ".hotline-nlp"


def models_dir() -> Path:
    """Where trained models live when no models directory is given."""
    return home() / "models"


def service_dir() -> Path:
    """Where the service keeps its SQLite store when no database URL is given."""
    return home() / "service"


def cache_dir() -> Path:
    """``$HOTLINE_NLP_CACHE``, else ``$HOTLINE_NLP_HOME/cache``, else
    ``~/.cache/hotline-nlp`` (not created here)."""
    if os.environ.get("HOTLINE_NLP_CACHE"):
        return Path(os.environ["HOTLINE_NLP_CACHE"]).expanduser()
    if os.environ.get("HOTLINE_NLP_HOME"):
        return home() / "cache"
    return Path.home() / ".cache" / "hotline-nlp"
