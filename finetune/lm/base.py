"""The pretrained base language model: found in its installed package, converted once, cached.

A base (`bases.toml`) is a GGUF file inside a registry package.  transformers can read a GGUF
but dequantizes it on every load (15-70 s), so the first use converts it into
`<cache>/<name>-<sha256[:12]>/` with `save_pretrained`; later loads read that copy in ~2 s.
The GGUF is checked against the pinned sha256 before conversion, and the copy carries a
marker with that hash, so a changed package is never mistaken for the converted one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError

DEFAULT_BASE = "gemma3-270m"
MARKER = "tunesmith-base.json"


@dataclass(frozen=True, slots=True)
class BaseSpec:
    """One base model as `bases.toml` describes it."""

    name: str
    package: str
    module: str
    gguf: str
    sha256: str
    languages: tuple[str, ...]
    licence: str
    terms: str
    pip_flags: str = ""

    @property
    def install_hint(self) -> str:
        return " ".join(("pip install", *self.pip_flags.split(), f"'{self.package}'"))


def bases() -> dict[str, BaseSpec]:
    """Every base model tunesmith knows, by name."""
    table = tomllib.loads((Path(__file__).with_name("bases.toml")).read_text(encoding="utf-8"))
    return {name: BaseSpec(name=name, package=row["package"], module=row["module"], gguf=row["gguf"],
                           sha256=row["sha256"], languages=tuple(row["languages"]), licence=row["licence"],
                           terms=row.get("terms", ""), pip_flags=row.get("pip_flags", ""))
            for name, row in table.items()}


def get_base(name: str | None = None) -> BaseSpec:
    """A base by name (the default base for None or "")."""
    name = name or DEFAULT_BASE
    table = bases()
    if name not in table:
        raise ModelError(f"unknown base model {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def package_dir(spec: BaseSpec) -> Path:
    """The installed package's folder, found without importing it (a clear error when missing)."""
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise ModelError(f"the pretrained language model {spec.name} is not installed: {spec.install_hint} "
                         "(`make setup` does it)")
    return Path(next(iter(found.submodule_search_locations)))


def terms_file(spec: BaseSpec) -> Path | None:
    """The licence terms shipped in the package (Gemma's must travel with anything derived from it)."""
    if not spec.terms:
        return None
    path = package_dir(spec) / spec.terms
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_path(spec: BaseSpec, cache: Path) -> Path:
    """The verified GGUF file: in the package itself, or joined from its parts into `cache`."""
    folder = package_dir(spec)
    direct = folder / spec.gguf
    if direct.is_file():
        path = direct
    else:
        target = cache / "gguf" / spec.gguf
        if not target.is_file():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise ModelError(f"cannot write the model cache {target.parent}: {err}; set TUNESMITH_CACHE "
                                 "to a writable folder") from err
            try:
                module = __import__(spec.module)
                module.assemble(target.with_suffix(".part"), overwrite=True).replace(target)
            except (ImportError, OSError, ValueError) as err:
                raise ModelError(f"cannot assemble {spec.gguf} from {spec.package}: {err}; "
                                 f"reinstall it: {spec.install_hint}") from err
        path = target
    if sha256_of(path) != spec.sha256:
        raise ModelError(f"{path} does not match the pinned sha256 of {spec.name}; reinstall it: {spec.install_hint}")
    return path


def converted_dir(spec: BaseSpec, cache: Path) -> Path:
    return Path(cache).expanduser() / f"{spec.name}-{spec.sha256[:12]}"


def is_converted(spec: BaseSpec, cache: Path) -> bool:
    marker = converted_dir(spec, cache) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("sha256") == spec.sha256
    except (OSError, ValueError):
        return False


def ensure_converted(spec: BaseSpec, cache: Path, *, progress: Any = None) -> Path:
    """The converted copy's folder, converting the GGUF first when needed (once per cache)."""
    out = converted_dir(spec, cache)
    if is_converted(spec, cache):
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path(spec, Path(cache).expanduser())
    if progress:
        progress(f"converting {spec.name} from {source.name} once into {out} (about a minute)")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
        model.hf_quantizer = None  # save_pretrained refuses a GGUF-loaded model otherwise
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / MARKER).write_text(json.dumps({"name": spec.name, "sha256": spec.sha256, "gguf": spec.gguf,
                                              "package": spec.package}), encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.replace(out)
    except (OSError, ValueError, RuntimeError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"cannot convert {source} into {out}: {err}") from err
    return out


def load_base(spec: BaseSpec, cache: Path, *, progress: Any = None) -> tuple[Any, Any]:
    """(model, tokenizer) of the base in fp32, eval mode, from the cached copy."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = ensure_converted(spec, cache, progress=progress)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load the converted {spec.name} from {folder}: {err}; delete that folder "
                         "and run again to convert it anew") from err
    return model, tokenizer


def load_lean(spec: BaseSpec, cache: Path, *, adapter: Path | None = None, int8: bool = True,
              threads: int | None = None, progress: Any = None) -> Any:
    """The base, with a LoRA adapter merged in when given, as a `LeanLM` for fast drafting.

    Gemma runs as a `GemmaBody` (finetune/lm/gemma.py: no transformers import when drafting).
    `int8` quantizes its linear layers per output channel (dynamic activations): about 3x faster
    steps on CPU; the input embedding is then kept in bf16 (it is only looked up, and the output
    rows drafting needs are copied out of it in fp32).  The built model is saved once as
    `<cache>/lean-<key>.pt` (the key covers the base, the adapter's files and the library
    versions), so a later command loads it in about a second instead of rebuilding it."""
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from .lean import LeanLM
    from .tokenizer import FastTokenizer

    folder = ensure_converted(spec, cache, progress=progress)
    stored = Path(cache).expanduser() / f"lean-{_lean_key(spec, adapter, int8)}.pt"
    model = None
    pool = ThreadPoolExecutor(max_workers=1)
    tokenizer = pool.submit(FastTokenizer, folder)  # read while the weights load
    if stored.is_file():
        try:
            with warnings.catch_warnings():  # torch's notes on quantized storages
                warnings.simplefilter("ignore")
                model = torch.load(stored, weights_only=False, mmap=True)  # our own file, written below
        except (OSError, RuntimeError, EOFError, AttributeError, ImportError, ValueError):
            model = None
    if model is None:
        if progress:
            progress(f"preparing {spec.name} for drafting (once; later commands load it in seconds)")
        model, _ = load_base(spec, cache, progress=progress)
        if adapter is not None:
            model = merge_adapter(model, adapter)
        model = _lean_body(model, int8=int8)
        try:
            tmp = stored.with_suffix(f".{os.getpid()}.tmp")  # two first commands at once do not collide
            torch.save(model, tmp)
            tmp.replace(stored)
        except OSError:
            pass  # a read-only cache only costs the next command the build time
    pool.shutdown(wait=True)
    return LeanLM(model, tokenizer.result(), threads=threads, int8_head=int8, head_cache=stored.with_suffix(""))


LEAN_FORMAT = 2  # bump when the saved lean model's classes change


def _lean_key(spec: BaseSpec, adapter: Path | None, int8: bool) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256(f"{spec.sha256} {int8} {LEAN_FORMAT} {version('torch')} {version('transformers')}".encode())
    if adapter is not None:
        for path in sorted(Path(adapter).glob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(sha256_of(path).encode())
    return digest.hexdigest()[:16]


def _lean_body(model: Any, *, int8: bool) -> Any:
    """What the lean file holds: Gemma's decoder as a `GemmaBody` (int8 linears, bf16 embedding;
    loads with torch alone), any other base as the HF model itself."""
    if getattr(model.config, "model_type", "") != "gemma3_text":
        return model
    from .gemma import GemmaBody

    import torch

    if not int8:
        return GemmaBody.from_hf(model, embed_dtype=torch.float32)
    return GemmaBody.from_hf(model).quantize()


def merge_adapter(model: Any, adapter: Path) -> Any:
    """The model with a peft LoRA adapter folder merged into its weights."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"cannot load the LoRA adapter in {adapter}: {err}") from err

