"""Export a trained base (+ adapters) into a shippable checkpoint folder with a manifest.

    checkpoints/default/
        config.json, generation_config.json, model.safetensors (fp16), tunesmith_model.json
        vocab.json, miditok.json                       the codec
        adapters/<name>/adapter_config.json, adapter_model.safetensors
        manifest.json                                  data hash, config, seed, steps, losses, sizes

The manifest is built from the run folders' config.json and log.jsonl, so it states what the
runs really did.  Its "recipes" map names, per artefact (base, melody, harmony, lyrics_lm, chat,
router, style_profiles, checkpoint), the recipe runs that built it (`tunesmith train run`, see
finetune/recipe.py): a run folder's config.json holds them until `export` carries them over.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .errors import ModelError


def _final_losses(run_dir: Path) -> dict[str, Any]:
    """Last train/valid loss, steps and seconds of a run, plus its loss curve (every logged point)."""
    log = run_dir / "log.jsonl"
    if not log.is_file():
        raise ModelError(f"{run_dir} has no log.jsonl")
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    train = [e for e in entries if "train_loss" in e]
    valid = [e for e in entries if "valid_loss" in e]
    return {
        "steps": max((e["step"] for e in entries), default=0),
        "train_seconds": max((e["seconds"] for e in entries), default=0.0),
        "train_loss": train[-1]["train_loss"] if train else None,
        "valid_loss": valid[-1]["valid_loss"] if valid else None,
        "tokens_per_s_median": sorted(e["tok_s"] for e in train)[len(train) // 2] if train else None,
        "valid_curve": [[e["step"], e["valid_loss"]] for e in valid],
    }


def export_checkpoint(base_run: str | Path, out_dir: str | Path, *,
                      adapter_runs: dict[str, str | Path] | None = None) -> dict[str, Any]:
    """Copy base_run/model and each adapter into out_dir and write manifest.json; returns the manifest."""
    base_run, out = Path(base_run), Path(out_dir)
    model_dir = base_run / "model"
    if not (model_dir / "model.safetensors").is_file():
        raise ModelError(f"{model_dir} holds no trained model")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(model_dir, out, ignore=shutil.ignore_patterns("adapters", "README.md"))
    run_config = json.loads((base_run / "config.json").read_text())
    manifest: dict[str, Any] = {
        "format": "tunesmith-checkpoint", "version": 1,
        "base": {"run": base_run.name, "model": run_config["model"], "train": run_config["train"],
                 "seed": run_config["train"]["seed"], "data_hash": run_config["data_hash"],
                 "parameters": run_config["parameters"], "windows": run_config["windows"],
                 "tokens_per_epoch": run_config["tokens_per_epoch"], "max_tokens": run_config["max_tokens"],
                 "augment": run_config["augment"], **_final_losses(base_run)},
        "adapters": {},
        "recipes": dict(run_config.get("recipes", {})),
    }
    for name, run in (adapter_runs or {}).items():
        run = Path(run)
        source = run / "model" / "adapters" / name
        if not (source / "adapter_config.json").is_file():
            raise ModelError(f"{run} holds no adapter {name!r}")
        shutil.copytree(source, out / "adapters" / name, ignore=shutil.ignore_patterns("README.md"))
        config_path = out / "adapters" / name / "adapter_config.json"  # point at the base beside it, not the run
        adapter_json = json.loads(config_path.read_text())
        adapter_json["base_model_name_or_path"] = "../.."
        config_path.write_text(json.dumps(adapter_json, indent=2) + "\n")
        adapter_config = json.loads((run / "config.json").read_text())
        manifest["adapters"][name] = {"run": run.name, "adapter": adapter_config["adapter"],
                                      "train": adapter_config["train"], "trainable": adapter_config["trainable"],
                                      "windows": adapter_config["windows"], **_final_losses(run)}
        manifest["recipes"].update(adapter_config.get("recipes", {}))
    return _write_manifest(out, manifest)


def refresh_manifest(checkpoint: str | Path) -> dict[str, Any]:
    """Bring manifest.json up to date after adapters were trained in place (harmony, chat):
    each adapter folder with a training.json gets its entry, and the file list and sizes are redone."""
    out = Path(checkpoint)
    path = out / "manifest.json"
    if not path.is_file():
        raise ModelError(f"{out} has no manifest.json; export the checkpoint first (tunesmith train export)")
    manifest = json.loads(path.read_text())
    for summary in sorted(out.glob("adapters/*/training.json")):
        manifest["adapters"][summary.parent.name] = json.loads(summary.read_text())
    return _write_manifest(out, manifest)


def recipe_records(path: str | Path, artefact: str) -> list[dict[str, Any]]:
    """The recipe runs `path` (a run's config.json or a checkpoint's manifest.json) notes for `artefact`."""
    path = Path(path)
    return list(json.loads(path.read_text()).get("recipes", {}).get(artefact, [])) if path.is_file() else []


def record_recipe(path: str | Path, artefact: str, records: list[dict[str, Any]]) -> None:
    """Note in `path` (a run's config.json or a checkpoint's manifest.json) the recipe runs that built
    `artefact`, oldest first (a resumed run's stages in order); a manifest is refreshed as well."""
    path = Path(path)
    data = json.loads(path.read_text())
    data.setdefault("recipes", {})[artefact] = records
    if path.name == "manifest.json":
        path.write_text(json.dumps(data, indent=1) + "\n")
        refresh_manifest(path.parent)
    else:
        path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def _write_manifest(out: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """List every file of the checkpoint with its size, then write manifest.json beside them."""
    manifest["files"] = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*"))
                         if p.is_file() and p.name != "manifest.json"}
    manifest["total_bytes"] = sum(manifest["files"].values())
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
