"""manifest.json stays true after adapters are trained in place."""

from __future__ import annotations

import json

import pytest

from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.release import refresh_manifest


def test_refresh_manifest_adds_adapters_and_redoes_sizes(tmp_path) -> None:
    (tmp_path / "adapters" / "lyrics").mkdir(parents=True)
    (tmp_path / "adapters" / "lyrics" / "training.json").write_text(json.dumps({"step": 7, "valid_loss": 1.9}))
    (tmp_path / "adapters" / "lyrics" / "adapter_model.safetensors").write_bytes(b"x" * 10)
    (tmp_path / "model.safetensors").write_bytes(b"y" * 5)
    (tmp_path / "manifest.json").write_text(json.dumps({"adapters": {"melody": {"steps": 1}}, "files": {},
                                                        "total_bytes": 0}))
    manifest = refresh_manifest(tmp_path)
    assert manifest["adapters"]["lyrics"] == {"step": 7, "valid_loss": 1.9} and "melody" in manifest["adapters"]
    assert manifest["files"]["adapters/lyrics/adapter_model.safetensors"] == 10
    assert manifest["total_bytes"] == sum(manifest["files"].values()) and "manifest.json" not in manifest["files"]
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest


def test_refresh_manifest_needs_an_exported_checkpoint(tmp_path) -> None:
    with pytest.raises(ModelError, match="no manifest.json"):
        refresh_manifest(tmp_path)
