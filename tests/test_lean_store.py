"""The lean store: an adapter's merged weights, exported once, read back with numpy alone, give the
same lean copy, the same melodies for a seed and the same chord scores as the copy built from the
HF/peft model; a command's process that reads them imports no torch, transformers or peft."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import torch

from tunesmith.finetune.decode.constraints import MelodySpec
from tunesmith.finetune.decode.fast_forward import LeanModel
from tunesmith.finetune.decode.lean_store import read_lean, weights_files, weights_key
from tunesmith.finetune.decode.sampling import generate_melodies
from tunesmith.finetune.harmony import model as hm
from tunesmith.finetune.lora import AdapterConfig, add_adapter, add_readout_adapter, save_adapter, save_readout_adapter
from tunesmith.finetune.model import load_model
from tunesmith.finetune.runtime import LEAN_FOLDER, load_runtime, open_runtime
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note
from tiny_models import randomise_lora

SPEC = MelodySpec(bars=2, meter=Meter(4, 4), key=KeySpec("D"), scale="strict", low=55, high=79)
MELODY = Melody(notes=tuple(Note(p, float(i), 1.0) for i, p in enumerate([62, 66, 69, 66, 67, 71, 67, 62])),
                meter=Meter(4, 4), key=KeySpec("D"))


def _save_adapters(folder: Path, *, seed: int) -> None:
    melody = add_adapter(load_model(folder)[0], "melody", AdapterConfig(r=4, dropout=0.0))
    randomise_lora(melody, seed, scale=0.3)
    save_adapter(melody.eval(), folder, "melody")
    harmony = add_readout_adapter(load_model(folder)[0], "harmony", AdapterConfig(r=4, dropout=0.0))
    randomise_lora(harmony, seed + 1, scale=0.3)
    save_readout_adapter(harmony.eval(), folder, "harmony")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, make_tiny_checkpoint) -> Path:
    """A tiny fp16 base (as shipped) with a melody adapter and a harmony (read-out) adapter."""
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("lean-ckpt") / "default")
    _save_adapters(folder, seed=3)
    return folder


def _arrays(model: LeanModel) -> dict:
    found = {f.name: getattr(model, f.name) for f in fields(model) if f.name != "layers"}
    for i, layer in enumerate(model.layers):
        found.update({f"{i}.{f.name}": getattr(layer, f.name) for f in fields(layer)})
    return found


def _same(a: LeanModel, b: LeanModel) -> bool:
    left, right = _arrays(a), _arrays(b)
    return left.keys() == right.keys() and all(np.array_equal(left[k], right[k]) for k in left)


def test_stored_copy_equals_the_hf_built_one_and_gives_the_same_melodies(checkpoint: Path, tmp_path: Path) -> None:
    eager = load_runtime(checkpoint)
    first = open_runtime(checkpoint, cache=tmp_path)
    with first.session("melody") as active:
        exported = active.lean()
    assert len(list((tmp_path / LEAN_FOLDER).glob("*.npz"))) == 1
    fresh = open_runtime(checkpoint, cache=tmp_path)  # another process, as it were: reads the file
    with fresh.session("melody") as active:
        stored = active.lean()
    assert fresh._model is None  # noqa: SLF001 - the HF model was never built
    with eager.session("melody") as active:
        built, hf_model = active.lean(), active.model
        from_hf = [generate_melodies(hf_model, active.codec, SPEC, count=3, seed=s) for s in range(4)]
    assert _same(stored, built) and _same(exported, built)
    for seed in range(4):
        again = generate_melodies(stored, fresh.codec, SPEC, count=3, seed=seed)
        assert [s.token_ids for s in again] == [s.token_ids for s in from_hf[seed]]
    assert len({s.token_ids for run in from_hf for s in run}) > 1  # the seeds really differ


def test_each_adapter_has_its_own_file_and_a_bad_one_is_rebuilt(checkpoint: Path, tmp_path: Path) -> None:
    open_runtime(checkpoint, cache=tmp_path).warm(("melody", "harmony"))  # what `tunesmith lm prepare` does
    files = sorted((tmp_path / LEAN_FOLDER).glob("*.npz"))
    assert len(files) == 2
    for path in files:
        path.write_bytes(b"not a zip file")
        assert read_lean(path) is None
    again = open_runtime(checkpoint, cache=tmp_path)
    with again.session("harmony") as active:
        lean = active.lean()
    with load_runtime(checkpoint).session("harmony") as active:
        assert _same(lean, active.lean())
    assert sum(read_lean(p) is not None for p in files) == 1  # rewritten when it was needed


def test_retrained_weights_get_another_key(checkpoint: Path, tmp_path: Path, make_tiny_checkpoint) -> None:
    other = make_tiny_checkpoint(tmp_path / "other")
    _save_adapters(other, seed=11)
    keys = {weights_key(weights_files(folder, folder / "adapters" / name))
            for folder in (checkpoint, other) for name in ("melody", "harmony")}
    assert len(keys) == 4 and weights_key(weights_files(checkpoint, None)) not in keys


def test_a_command_process_imports_no_torch_transformers_or_peft(checkpoint: Path, tmp_path: Path) -> None:
    with open_runtime(checkpoint, cache=tmp_path).session("melody") as active:  # exports the file
        expected = [list(s.token_ids) for s in generate_melodies(active.lean(), active.codec, SPEC, count=2, seed=5)]
    script = f"""
import json, sys
from pathlib import Path
from tunesmith.finetune.decode.constraints import MelodySpec
from tunesmith.finetune.decode.sampling import generate_melodies
from tunesmith.finetune.runtime import open_runtime
from tunesmith.tokenization.music import KeySpec, Meter
spec = MelodySpec(bars=2, meter=Meter(4, 4), key=KeySpec("D"), scale="strict", low=55, high=79)
with open_runtime(Path({str(checkpoint)!r}), cache=Path({str(tmp_path)!r})).session("melody") as active:
    rows = [list(s.token_ids) for s in generate_melodies(active.lean(), active.codec, spec, count=2, seed=5)]
print(json.dumps({{"rows": rows, "heavy": sorted(m for m in ("torch", "transformers", "peft") if m in sys.modules)}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"rows": expected, "heavy": []}


def test_lean_view_scores_chords_like_the_hf_model(checkpoint: Path, tmp_path: Path) -> None:
    codec = load_runtime(checkpoint).codec
    slots = [(float(b), 1.0) for b in range(8)]
    with load_runtime(checkpoint).session("harmony") as active:
        hf_rows, hf_used = hm.chord_logprobs(active.model, codec, MELODY, slots)
        hf_forced, _ = hm.chord_logprobs(active.model, codec, MELODY, slots, history=hf_used)
    with open_runtime(checkpoint, cache=tmp_path).lean_view().session("harmony") as active:
        active.model  # the first use exports the merged weights
    view = open_runtime(checkpoint, cache=tmp_path).lean_view()
    assert view.has_adapter("harmony") and view.codec.vocab_size == codec.vocab_size
    with view.session("harmony") as active:
        assert isinstance(active.model, LeanModel)
        rows, used = hm.chord_logprobs(active.model, codec, MELODY, slots)
        forced, _ = hm.chord_logprobs(active.model, codec, MELODY, slots, history=used)
    assert used == hf_used
    for mine, theirs in ((rows, hf_rows), (forced, hf_forced)):
        assert np.abs(np.array(mine) - np.array(theirs)).max() < 1e-4
    assert view.runtime._model is None  # noqa: SLF001 - scored without the HF model


def test_weights_the_key_cannot_read_are_used_without_the_store(tmp_path: Path, make_tiny_checkpoint) -> None:
    """An adapter saved as adapter_model.bin (not safetensors) still works, built from the HF model."""
    folder = make_tiny_checkpoint(tmp_path / "ckpt")
    melody = add_adapter(load_model(folder)[0], "melody", AdapterConfig(r=4, dropout=0.0))
    randomise_lora(melody, 8, scale=0.3)
    melody.eval().save_pretrained(folder / "adapters", selected_adapters=["melody"], safe_serialization=False)
    assert (folder / "adapters" / "melody" / "adapter_model.bin").is_file()
    with open_runtime(folder, cache=tmp_path / "cache").session("melody") as active:
        lean = active.lean()
    with load_runtime(folder).session("melody") as active:
        assert _same(lean, active.lean())
    assert not list((tmp_path / "cache").rglob("*.npz"))
