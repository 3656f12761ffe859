"""The model store against hostile names and tampered manifests (issue 17, item 4).

Names are validated in one place (``models.store.check_name``); a manifest must
list every file of its version directory with a SHA-256, and its schema is
checked so a hand-edited manifest is a one-line error, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
from hotline_nlp.cli import app
from hotline_nlp.models.store import ModelError, ModelStore, load_model
from typer.testing import CliRunner

runner = CliRunner()
FIELDS = {"kind": "t", "training": {}, "labels": {}, "metrics": {}, "params": {}}
BAD_NAMES = ["..", ".", "...", "../up", "a/b", "a\\b", "/abs", ".hidden", "", "a@v1", "x" * 65, "a\nb"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_path_parts_are_refused_everywhere(tmp_path, name):
    from hotline_nlp.models.store import check_name

    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelError, match="not allowed"):
        check_name(name)
    with pytest.raises(ModelError, match="not allowed"):
        store.save(name, lambda d: (d / "a.txt").write_text("x"), FIELDS, promote=True)
    for call in (store.versions, store.current_version, lambda n: store.path_of(n, "v1")):
        with pytest.raises(ModelError):
            call(name)
    assert not any(tmp_path.rglob("v1")) and not any(tmp_path.rglob("CURRENT"))


def test_train_with_dotdot_name_is_refused_before_training(tmp_path, train_csv):
    models = tmp_path / "models"
    res = runner.invoke(app, ["train", "--data", str(train_csv), "--name", "..", "--models-dir", str(models)])
    assert res.exit_code != 0
    assert "not allowed" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "v1").exists() and not (tmp_path / "CURRENT").exists()
    assert not models.exists() or not any(models.iterdir())


def test_version_and_model_spec_cannot_escape(tmp_path, trained_model):
    store = ModelStore(trained_model.path.parent.parent)
    with pytest.raises(ModelError, match="not a model version"):
        store.path_of("demo", "../../etc")
    with pytest.raises(ModelError):
        store.promote("demo", "../demo/v1")
    with pytest.raises(ModelError):
        load_model("demo@../v1", store.root)


@pytest.fixture()
def model_copy(tmp_path, trained_model):
    """A writable copy of the session model as ``m@v1`` in its own store."""
    root = tmp_path / "store"
    shutil.copytree(trained_model.path, root / "m" / "v1")
    (root / "m" / "CURRENT").write_text("v1\n")
    return root, root / "m" / "v1"


def edit_manifest(d, **changes):
    man = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    man.update(changes)
    (d / "manifest.json").write_text(json.dumps(man), encoding="utf-8")


def flip_a_byte(d):
    coef = next(d.rglob("*.npy"))
    data = bytearray(coef.read_bytes())
    data[-3] ^= 0xFF
    coef.write_bytes(bytes(data))


def test_empty_files_map_does_not_skip_checksums(model_copy):
    root, d = model_copy
    flip_a_byte(d)
    edit_manifest(d, files={})
    with pytest.raises(ModelError, match="corrupt"):
        load_model(d)
    with pytest.raises(ModelError, match="corrupt"):
        load_model("m", root)


def test_a_file_missing_from_the_manifest_is_refused(model_copy):
    root, d = model_copy
    man = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    dropped = sorted(man["files"])[0]
    edit_manifest(d, files={k: v for k, v in man["files"].items() if k != dropped})
    with pytest.raises(ModelError, match=f"{dropped} is not listed"):
        load_model(d)
    edit_manifest(d, files=man["files"])
    load_model(d)  # restored: loads
    (d / "tagger" / "extra.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(ModelError, match="extra.npy is not listed"):
        load_model(d)


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"format_version": "1"}, "format_version"),
        ({"format_version": True}, "format_version"),
        ({"format_version": None}, "format_version"),
        ({"files": []}, "files"),
        ({"files": None}, "files"),
        ({"files": {"../outside.npy": "0" * 64}}, "not a plain relative path"),
        ({"files": {"tagger/a.npy": 12}}, "not a SHA-256"),
        ({"name": 3}, "name"),
        ({"metrics": []}, "metrics"),
    ],
)
def test_malformed_manifest_is_a_one_line_error(model_copy, changes, match):
    root, d = model_copy
    edit_manifest(d, **changes)
    with pytest.raises(ModelError, match=match) as e:
        load_model(d)
    assert "\n" not in str(e.value)
    res = runner.invoke(app, ["models", "list", "--models-dir", str(root)])
    assert res.exit_code == 0 and "Traceback" not in res.output
    assert "m@v1  CORRUPT" in res.output
    out = root.parent / "out.csv"
    res = runner.invoke(
        app, ["classify", "--model", "m", "--models-dir", str(root), "--input", "demo", "--output", str(out)]
    )
    assert res.exit_code != 0 and "Traceback" not in res.output and match in res.output


def test_models_list_verifies_checksums(model_copy):
    root, d = model_copy
    rows = ModelStore(root).list()
    assert [(r["name"], r["version"], r["status"]) for r in rows] == [("m", "v1", "ok")]
    flip_a_byte(d)
    (row,) = ModelStore(root).list()
    assert row["status"] == "corrupt" and "checksum mismatch" in row["error"]
    res = runner.invoke(app, ["models", "list", "--models-dir", str(root)])
    assert "* m@v1  CORRUPT" in res.output and "checksum mismatch" in res.output
    res = runner.invoke(app, ["models", "list", "--models-dir", str(root), "--format", "json"])
    assert json.loads(res.output)[0]["status"] == "corrupt"


def modes(d):
    return {p.relative_to(d).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [d, *d.rglob("*")]}


@pytest.mark.parametrize("umask,dir_mode,file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_version_directories_follow_the_umask(tmp_path, umask, dir_mode, file_mode):
    def write(d):
        (d / "sub").mkdir()
        (d / "sub" / "w.npy").write_bytes(b"x")

    old = os.umask(umask)
    try:
        _, path = ModelStore(tmp_path).save("m", write, FIELDS, promote=True)
    finally:
        os.umask(old)
    got = modes(path)
    assert got["."] == dir_mode and got["sub"] == dir_mode
    assert got["sub/w.npy"] == file_mode and got["manifest.json"] == file_mode
    assert stat.S_IMODE((tmp_path / "m" / "CURRENT").stat().st_mode) == file_mode
    assert ModelStore(tmp_path).list()[0]["status"] == "ok"
