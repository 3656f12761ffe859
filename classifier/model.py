"""A loaded tagging model: the tagger plus its manifest, behind one small API.

This is what the CLI, hotspot detection and the HTTP service hold; they never
reach into the tagger's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hotline_nlp.classifier.dispatch.model import Dispatcher
from hotline_nlp.classifier.dispatch.training import predicted_categories
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.models import manifest
from hotline_nlp.models.store import ModelError, resolve


@dataclass
class TaggingModel:
    path: Path
    manifest: dict
    tagger: HierarchicalTagger | None  # None: a dispatch-only model (trained on a unit column alone)
    dispatcher: Dispatcher | None = None  # when the training export had a unit column

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def label_id(self) -> str:
        """``name@version``, what outputs record as the model that tagged them."""
        return f"{self.name}@{self.version}"

    @property
    def tags(self) -> bool:
        """False for a dispatch-only model: it recommends units, it has no categories."""
        return self.tagger is not None

    def predict(self, texts, top_k: int = 3, districts=None, towns=None, addresses=None) -> list[dict]:
        """Tag records; with a dispatcher, each also carries pred_unit, unit_confidence,
        unit_top_k, unit_needs_review, pred_jurisdiction, jurisdiction_confidence,
        pred_function and function_confidence (``districts``/``towns``/``addresses``: an
        export's 所属区县 / 所属街道 / 地址, optional place evidence). A dispatch-only
        model returns the unit fields alone."""
        texts = list(texts)
        if not texts:
            return []
        if self.tagger is None:
            return self.dispatcher.recommend(
                texts, None, districts, top_k=top_k, towns=towns, addresses=addresses
            )
        if self.dispatcher is None:
            return self.tagger.tag(texts, top_k=top_k)
        # a dispatcher trained on the tagger's features reads the same matrix: one featurisation
        X = self.tagger.features_.transform(texts) if self.dispatcher.shared_features_ else None
        recs = self.tagger.tag(texts, top_k=top_k, X=X)
        units = self.dispatcher.recommend(
            texts, predicted_categories(recs), districts, top_k=top_k, X=X, towns=towns, addresses=addresses
        )
        for rec, unit in zip(recs, units):
            rec.update(unit)
        return recs

    @classmethod
    def load(cls, path: Path, manifest: dict) -> TaggingModel:
        dispatch = path / "dispatch"
        if not (path / "tagger").is_dir():
            if not dispatch.is_dir():
                raise ValueError(f"{path}: the model has neither a tagger nor a dispatcher")
            return cls(path, manifest, None, Dispatcher.load(dispatch))
        tagger = HierarchicalTagger.load(path / "tagger")
        return cls(
            path, manifest, tagger, Dispatcher.load(dispatch, tagger.features_) if dispatch.is_dir() else None
        )


def load_model(name_or_dir: str | Path, models_dir: str | Path | None = None) -> TaggingModel:
    """Load a tagging model (a name in ``models_dir``, ``name@v3``, or a directory),
    checking its manifest and file checksums first; ``ModelError`` says why not."""
    path = resolve(name_or_dir, models_dir)
    try:
        man = manifest.read(path)
        manifest.verify(path, man)
        return TaggingModel.load(path, man)
    except ModelError:
        raise
    except (ValueError, OSError, KeyError) as e:
        raise ModelError(str(e) if str(path) in str(e) else f"{path}: {e}") from None
