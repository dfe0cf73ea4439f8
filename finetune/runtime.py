"""The inference half tools/ uses: a loaded base model with its adapters and codec.

One `Runtime` is built per process (by the CLI or the agent session) and passed
explicitly; switching adapters does not reload the base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization.codec import MusicCodec

MANIFEST = "manifest.json"


@dataclass
class Runtime:
    """A loaded model: `model` is a PeftModel when adapters exist, else the plain base."""

    directory: Path
    model: Any
    codec: MusicCodec
    adapters: tuple[str, ...]
    manifest: dict[str, Any] = field(default_factory=dict)
    active: str | None = None
    lean_copies: dict[str | None, Any] = field(default_factory=dict, repr=False)  # adapter -> LeanModel

    def use(self, adapter: str | None) -> None:
        """Activate an adapter by name (None = the base model)."""
        if adapter == self.active:
            return
        if adapter is None:
            raise ModelError("switching back to the bare base model is not supported once adapters are loaded")
        if adapter not in self.adapters:
            known = ", ".join(self.adapters) or "none"
            raise ModelError(f"no adapter named {adapter!r} in {self.directory} (have: {known})")
        from .lora import use_adapter

        use_adapter(self.model, adapter)
        self.active = adapter

    def lean(self) -> Any:
        """The lean inference copy (fast_forward.LeanModel) of the model with the active adapter
        merged; built on first use per adapter (~10 ms) and kept, so sampling does not rebuild it."""
        found = self.lean_copies.get(self.active)
        if found is None:
            from .decode.fast_forward import lean_model

            found = self.lean_copies[self.active] = lean_model(self.model)
        return found

    def has_adapter(self, name: str) -> bool:
        return name in self.adapters


def load_runtime(directory: Path, *, threads: int = 1, user_styles: Path | None = None) -> Runtime:
    """Load base + all adapters + codec from a checkpoint folder; clear error if it is missing.

    One thread by default: a 2 M-parameter model samples fastest on one core, and far slower
    with two when anything else runs (measured in eval/bench_sampling.py).
    """
    folder = Path(directory)
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"no trained model in {folder}; the shipped one lives in checkpoints/default "
            "(run `make train` to rebuild it)"
        )
    import torch

    if threads:
        torch.set_num_threads(threads)
    from .lora import list_adapters, load_adapters
    from .model import load_model

    import warnings

    model, codec = load_model(folder)
    homes = [Path(user_styles)] if user_styles is not None and Path(user_styles).is_dir() else []
    names = tuple(dict.fromkeys([*list_adapters(folder), *(n for h in homes for n in list_adapters(h))]))
    active = None
    if names:
        with warnings.catch_warnings():  # peft/transformers notes about tied embeddings, not for users
            warnings.simplefilter("ignore", category=UserWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            model = load_adapters(model, folder, list(names), extra_homes=homes)
        model.eval()
        active = names[0]
        from .lora import use_adapter

        use_adapter(model, active)
    manifest: dict[str, Any] = {}
    if (folder / MANIFEST).is_file():
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return Runtime(directory=folder, model=model, codec=codec, adapters=names, manifest=manifest, active=active)
