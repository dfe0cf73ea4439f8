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


def test_record_recipe_notes_runs_in_a_run_config_and_in_a_manifest(tmp_path) -> None:
    from tunesmith.finetune.release import record_recipe, recipe_records

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"train": {"lr": 0.1}}))
    assert recipe_records(run / "config.json", "base") == [] and recipe_records(tmp_path / "none.json", "base") == []
    record_recipe(run / "config.json", "base", [{"recipe": "base"}])
    assert json.loads((run / "config.json").read_text()) == {"train": {"lr": 0.1},
                                                             "recipes": {"base": [{"recipe": "base"}]}}
    (tmp_path / "adapters" / "chat").mkdir(parents=True)
    (tmp_path / "adapters" / "chat" / "training.json").write_text(json.dumps({"step": 3}))
    (tmp_path / "manifest.json").write_text(json.dumps({"adapters": {}, "files": {}, "total_bytes": 0}))
    record_recipe(tmp_path / "manifest.json", "chat", [{"recipe": "chat-1"}])
    record_recipe(tmp_path / "manifest.json", "chat", [*recipe_records(tmp_path / "manifest.json", "chat"),
                                                       {"recipe": "chat-2"}])  # a resumed stage adds itself
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["recipes"]["chat"] == [{"recipe": "chat-1"}, {"recipe": "chat-2"}]
    assert manifest["adapters"]["chat"] == {"step": 3} and "adapters/chat/training.json" in manifest["files"]


def test_export_carries_the_recipes_of_its_runs(tmp_path) -> None:
    from tunesmith.finetune.release import export_checkpoint

    log = "".join(json.dumps(e) + "\n" for e in ({"step": 5, "seconds": 2.0, "train_loss": 1.0, "tok_s": 9},
                                                 {"step": 5, "seconds": 2.0, "valid_loss": 1.5}))
    base = tmp_path / "base"
    (base / "model").mkdir(parents=True)
    (base / "model" / "model.safetensors").write_bytes(b"m")
    (base / "log.jsonl").write_text(log)
    (base / "config.json").write_text(json.dumps({
        "model": {}, "train": {"seed": 1}, "data_hash": "h", "parameters": 1, "windows": 1, "tokens_per_epoch": 1,
        "max_tokens": 8, "augment": {}, "recipes": {"base": [{"recipe": "base"}]}}))
    melody = tmp_path / "melody"
    (melody / "model" / "adapters" / "melody").mkdir(parents=True)
    (melody / "model" / "adapters" / "melody" / "adapter_config.json").write_text("{}")
    (melody / "log.jsonl").write_text(log)
    (melody / "config.json").write_text(json.dumps({"adapter": {}, "train": {}, "trainable": 1, "windows": 1,
                                                    "recipes": {"melody": [{"recipe": "melody"}]}}))
    manifest = export_checkpoint(base, tmp_path / "out", adapter_runs={"melody": melody})
    assert manifest["recipes"] == {"base": [{"recipe": "base"}], "melody": [{"recipe": "melody"}]}
    assert manifest["base"]["steps"] == 5 and manifest["adapters"]["melody"]["valid_loss"] == 1.5
