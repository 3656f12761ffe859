"""A loaded tagging model: the tagger plus its manifest, behind one small API.

This is what the CLI, hotspot detection and the HTTP service hold; they never
reach into the tagger's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hotline_nlp.classifier.hierarchical import HierarchicalTagger


@dataclass
class TaggingModel:
    path: Path
    manifest: dict
    tagger: HierarchicalTagger

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

    def predict(self, texts, top_k: int = 3) -> list[dict]:
        return self.tagger.tag(list(texts), top_k=top_k)

    @classmethod
    def load(cls, path: Path, manifest: dict) -> TaggingModel:
        return cls(path, manifest, HierarchicalTagger.load(path / "tagger"))
