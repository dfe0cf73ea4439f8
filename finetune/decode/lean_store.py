"""Merged lean weights on disk: exported once, read back with numpy alone.

Building a LeanModel from a checkpoint means loading transformers' Llama and peft's adapters,
whose imports (with torch's) take several seconds on the 2-core machine, to read a few MB of
weights.  So the first time an adapter is used, its merged arrays (exactly what
`fast_forward.lean_model` made) are written to `<cache>/lean/<key>.npz`; later processes read
them with numpy alone.  The key is a sha256 of the files that define the weights (the base's
config and weights, the adapter's) and of FORMAT, so a retrained model or adapter, or a change
of the layout here, gets a new file and never a stale one.  A missing or unreadable file only
means the slow path runs once more; writing is atomic, so two processes may race.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .fast_forward import LeanLayer, LeanModel

FORMAT = 1  # bump when LeanModel's arrays or their meaning change
BASE_FILES = ("config.json", "model.safetensors")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
LAYER_ARRAYS = ("attn_norm", "qkv", "out", "mlp_norm", "gate_up", "down")
MODEL_ARRAYS = ("embed", "head", "norm", "cos", "sin")
SETTINGS = ("n_heads", "n_kv_heads", "head_dim", "eps", "pad_id")


def weights_files(base: Path, adapter: Path | None) -> list[Path]:
    """The files whose bytes decide a merged model's weights: the base's, then the adapter's."""
    files = [Path(base) / name for name in BASE_FILES]
    if adapter is not None:
        files += [Path(adapter) / name for name in ADAPTER_FILES]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ModelError(f"cannot read the model: {', '.join(missing)} missing")
    return files


def weights_key(files: Sequence[Path]) -> str:
    """sha256 over FORMAT and each file's name, size and bytes (a few MB: milliseconds)."""
    digest = hashlib.sha256(f"tunesmith-lean-{FORMAT}".encode())
    for path in files:
        data = Path(path).read_bytes()
        digest.update(f"\0{Path(path).name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:32]


def lean_path(folder: Path, key: str) -> Path:
    return Path(folder) / f"{key}.npz"


def write_lean(model: LeanModel, path: Path) -> Path:
    """Write the arrays and settings of `model` to `path` (a temporary file renamed into place)."""
    arrays = {name: getattr(model, name) for name in MODEL_ARRAYS}
    for index, layer in enumerate(model.layers):
        arrays.update({f"layer{index}.{name}": getattr(layer, name) for name in LAYER_ARRAYS})
    settings = {name: getattr(model, name) for name in SETTINGS} | {"format": FORMAT, "layers": len(model.layers)}
    arrays["settings"] = np.array(json.dumps(settings))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_lean(path: Path) -> LeanModel | None:
    """The LeanModel stored at `path`, or None when there is none or it cannot be read as one."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            settings = json.loads(str(data["settings"]))
            if settings.get("format") != FORMAT:
                return None
            layers = tuple(LeanLayer(**{name: data[f"layer{i}.{name}"] for name in LAYER_ARRAYS})
                           for i in range(int(settings["layers"])))
            arrays = {name: data[name] for name in MODEL_ARRAYS}
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    return LeanModel(**arrays, layers=layers, n_heads=int(settings["n_heads"]),
                     n_kv_heads=int(settings["n_kv_heads"]), head_dim=int(settings["head_dim"]),
                     eps=float(settings["eps"]), pad_id=int(settings["pad_id"]))
