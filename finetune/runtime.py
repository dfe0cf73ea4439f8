"""The inference half tools/ uses: a loaded base model with its adapters and codec.

One `Runtime` is built per process (by the CLI or the agent session) and passed
explicitly; switching adapters does not reload the base.  The adapters share one model,
so `Runtime.session(adapter)` is the only way to use one: it holds the runtime's own lock
while the caller generates, and threads (`batch --jobs N`, the chat and its tools) take
turns instead of switching the adapter under each other.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization.codec import MusicCodec

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ActiveModel:
    """What a runtime session yields: the model with `adapter` active (a PeftModel when the
    checkpoint has adapters, else the plain base) and the codec.  Valid inside its `with` only."""

    adapter: str | None
    model: Any
    codec: MusicCodec
    runtime: Runtime

    def lean(self) -> Any:
        """The lean inference copy (fast_forward.LeanModel) with this adapter merged; built on first
        use per adapter (~10 ms) and kept, so sampling does not rebuild it."""
        return self.runtime._lean(self.adapter)  # noqa: SLF001 - the runtime checks the session is open


class Runtime:
    """A loaded model whose adapters are used one at a time, through `session`."""

    def __init__(self, *, directory: Path, model: Any, codec: MusicCodec, adapters: tuple[str, ...],
                 manifest: dict[str, Any] | None = None) -> None:
        self.directory = Path(directory)
        self.codec = codec
        self.adapters = tuple(adapters)
        self.manifest = dict(manifest or {})
        self._model = model
        self._lock = threading.RLock()
        self._active: str | None = None  # the adapter the model has active (None: not set by us yet)
        self._owner: int | None = None  # the thread inside a session
        self._depth = 0  # nested sessions of that thread
        self._lean_copies: dict[str | None, Any] = {}  # adapter -> LeanModel

    def __repr__(self) -> str:
        return f"Runtime(directory={str(self.directory)!r}, adapters={self.adapters!r})"

    @property
    def default_adapter(self) -> str | None:
        """What `session(None)` uses: the first adapter (as loaded), or the bare base without adapters."""
        return self.adapters[0] if self.adapters else None

    def has_adapter(self, name: str) -> bool:
        return name in self.adapters

    @contextmanager
    def session(self, adapter: str | None = None) -> Iterator[ActiveModel]:
        """Hold the model with `adapter` active (None: `default_adapter`) until the block ends.

        The runtime's lock is held the whole time, so another thread's session waits; the same
        thread may nest sessions (a nested one with another adapter switches back when it ends).
        """
        name = self._resolve(adapter)
        with self._lock:
            outer, previous = self._depth > 0, self._active
            self._activate(name)
            self._owner, self._depth = threading.get_ident(), self._depth + 1
            try:
                yield ActiveModel(adapter=name, model=self._model, codec=self.codec, runtime=self)
            finally:
                self._depth -= 1
                if outer and previous != name:
                    self._activate(previous)
                if not self._depth:
                    self._owner = None

    def _resolve(self, adapter: str | None) -> str | None:
        if adapter is None:
            return self.default_adapter
        if adapter not in self.adapters:
            known = ", ".join(self.adapters) or "none"
            raise ModelError(f"no adapter named {adapter!r} in {self.directory} (have: {known})")
        return adapter

    def _activate(self, adapter: str | None) -> None:
        if adapter is None or adapter == self._active:
            return
        from .lora import use_adapter

        use_adapter(self._model, adapter)
        self._active = adapter

    def _lean(self, adapter: str | None) -> Any:
        inside = self._owner == threading.get_ident()
        if not inside or (self.adapters and self._active != adapter):
            raise ModelError(f"the {adapter or 'base'} model is used outside its runtime session")
        found = self._lean_copies.get(adapter)
        if found is None:
            from .decode.fast_forward import lean_model

            found = self._lean_copies[adapter] = lean_model(self._model)
        return found


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
    if names:
        with warnings.catch_warnings():  # peft/transformers notes about tied embeddings, not for users
            warnings.simplefilter("ignore", category=UserWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            model = load_adapters(model, folder, list(names), extra_homes=homes)
        model.eval()
    manifest: dict[str, Any] = {}
    if (folder / MANIFEST).is_file():
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return Runtime(directory=folder, model=model, codec=codec, adapters=names, manifest=manifest)
