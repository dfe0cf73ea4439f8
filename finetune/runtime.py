"""The inference half tools/ uses: a loaded base model with its adapters and codec.

One `Runtime` is built per process (by the CLI or the agent session) and passed
explicitly; switching adapters does not reload the base.  The adapters share one model,
so `Runtime.session(adapter)` is the only way to use one: it holds the runtime's own lock
while the caller generates, and threads (`batch --jobs N`, the chat and its tools) take
turns instead of switching the adapter under each other.

Two ways to get one.  `open_runtime` (what commands use) reads nothing until asked: the codec on
first use, and for sampling each adapter's lean copy from the lean store (numpy only), so a
command imports no torch, transformers or peft; the HF model is loaded only when something
asks for `active.model` or when an adapter's merged weights are not stored yet (then they are
built from it once and stored).  `load_runtime` loads the HF model and codec at once (training,
evaluations that compare against the HF forward).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization.codec import MusicCodec

MANIFEST = "manifest.json"
LEAN_FOLDER = "lean"  # under the cache folder: merged weights, see decode/lean_store.py


@dataclass(frozen=True)
class ActiveModel:
    """What a runtime session yields: the runtime with `adapter` active and the codec.  Valid inside
    its `with` only."""

    adapter: str | None
    codec: MusicCodec
    runtime: Runtime
    lean_only: bool = False  # a LeanView's session: `model` is the lean copy

    @property
    def model(self) -> Any:
        """The HF model with this adapter active (a PeftModel when the checkpoint has adapters, else
        the plain base); a runtime from `open_runtime` loads it here, on first use.  In a LeanView's
        session, the lean copy instead."""
        if self.lean_only:
            return self.lean()
        return self.runtime._hf(self.adapter)  # noqa: SLF001 - the runtime checks the session is open

    def lean(self) -> Any:
        """The lean inference copy (fast_forward.LeanModel) with this adapter merged: read from the
        lean store, else built from the HF model (and stored); kept, so sampling does not redo it."""
        return self.runtime._lean(self.adapter)  # noqa: SLF001 - the runtime checks the session is open


class Runtime:
    """A model whose adapters are used one at a time, through `session`.

    `model` is the loaded HF model, or None with `build` (called once, under the lock, when the HF
    model is first needed); `codec` likewise may be None (loaded from `directory` on first use).
    With `store` (a folder), lean copies are read from and written to it, keyed by the weights'
    files found in `homes` (the checkpoint first, then a person's own style folders).
    """

    def __init__(self, *, directory: Path, adapters: tuple[str, ...], model: Any = None,
                 codec: MusicCodec | None = None, manifest: dict[str, Any] | None = None,
                 build: Callable[[], Any] | None = None, store: Path | None = None,
                 homes: Sequence[Path] = ()) -> None:
        if model is None and build is None:
            raise ModelError("a runtime needs a model or a way to build one")
        self.directory = Path(directory)
        self.adapters = tuple(adapters)
        self.manifest = dict(manifest or {})
        self.store = Path(store) if store is not None else None
        self._homes = tuple(Path(h) for h in homes) or (self.directory,)
        self._model = model
        self._build = build
        self._codec = codec
        self._lock = threading.RLock()
        self._active: str | None = None  # the adapter of the open session (None: not set by us yet)
        self._applied: str | None = None  # the adapter the HF model has active
        self._owner: int | None = None  # the thread inside a session
        self._depth = 0  # nested sessions of that thread
        self._lean_copies: dict[str | None, Any] = {}  # adapter -> LeanModel

    def __repr__(self) -> str:
        return f"Runtime(directory={str(self.directory)!r}, adapters={self.adapters!r})"

    @property
    def codec(self) -> MusicCodec:
        """The checkpoint's codec (read on first use when the runtime was opened lazily)."""
        if self._codec is None:
            with self._lock:
                if self._codec is None:
                    from ..tokenization.codec import load_codec

                    self._codec = load_codec(self.directory)
        return self._codec

    @property
    def default_adapter(self) -> str | None:
        """What `session(None)` uses: the first adapter (as loaded), or the bare base without adapters."""
        return self.adapters[0] if self.adapters else None

    def has_adapter(self, name: str) -> bool:
        return name in self.adapters

    def lean_view(self) -> LeanView:
        """This runtime for code that runs `active.model` and accepts a LeanModel there."""
        return LeanView(self)

    def warm(self, adapters: Sequence[str]) -> None:
        """Make (and store) the lean copies of `adapters` now, as their first sessions would."""
        for name in adapters:
            with self.session(name) as active:
                active.lean()

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
                yield ActiveModel(adapter=name, codec=self.codec, runtime=self)
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
        if adapter is None:
            return
        self._active = adapter
        if self._model is not None and self._applied != adapter:
            from .lora import use_adapter

            use_adapter(self._model, adapter)
            self._applied = adapter

    def _check_session(self, adapter: str | None) -> None:
        inside = self._owner == threading.get_ident()
        if not inside or (self.adapters and self._active != adapter):
            raise ModelError(f"the {adapter or 'base'} model is used outside its runtime session")

    def _hf(self, adapter: str | None) -> Any:
        """The HF model with the session's adapter active, loaded now if it was not yet."""
        self._check_session(adapter)
        if self._model is None:
            self._model = self._build()
            self._applied = None
        self._activate(self._active)
        return self._model

    def _lean(self, adapter: str | None) -> Any:
        self._check_session(adapter)
        found = self._lean_copies.get(adapter)
        if found is None:
            found = self._lean_copies[adapter] = self._stored_lean(adapter)
        return found

    def _stored_lean(self, adapter: str | None) -> Any:
        """The adapter's lean copy from the store, else built from the HF model and stored."""
        from .decode.fast_forward import lean_model

        if self.store is None:
            return lean_model(self._hf(adapter))
        from .decode.lean_store import lean_path, read_lean, weights_files, weights_key, write_lean
        from .lora import find_adapter

        folder = find_adapter(self._homes, adapter) if adapter is not None else None
        try:
            path = lean_path(self.store, weights_key(weights_files(self.directory, folder)))
        except (ModelError, OSError):  # weights in files the key does not know (e.g. sharded): no store
            return lean_model(self._hf(adapter))
        found = read_lean(path)
        if found is None:
            found = lean_model(self._hf(adapter))
            try:
                write_lean(found, path)
            except OSError:  # a read-only cache only costs speed: the next process builds it again
                pass
        return found


class LeanView:
    """A runtime whose sessions hand out the lean copy as `model`, for scorers that take either an HF
    model or a LeanModel (harmony.chord_logprobs): through it the HF model is never loaded.  The
    sessions are the runtime's own (same lock, same lean copies)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def __repr__(self) -> str:
        return f"LeanView({self.runtime!r})"

    directory = property(lambda self: self.runtime.directory)
    adapters = property(lambda self: self.runtime.adapters)
    manifest = property(lambda self: self.runtime.manifest)
    codec = property(lambda self: self.runtime.codec)
    default_adapter = property(lambda self: self.runtime.default_adapter)

    def has_adapter(self, name: str) -> bool:
        return self.runtime.has_adapter(name)

    def lean_view(self) -> LeanView:
        return self

    @contextmanager
    def session(self, adapter: str | None = None) -> Iterator[ActiveModel]:
        with self.runtime.session(adapter) as active:
            yield ActiveModel(adapter=active.adapter, codec=active.codec, runtime=self.runtime, lean_only=True)


def _checked_folder(directory: Path) -> Path:
    folder = Path(directory)
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"no trained model in {folder}; the shipped one lives in checkpoints/default "
            "(run `make train` to rebuild it)"
        )
    return folder


def _homes(folder: Path, user_styles: Path | None) -> list[Path]:
    return [folder, *([Path(user_styles)] if user_styles is not None and Path(user_styles).is_dir() else [])]


def _adapter_names(homes: Sequence[Path]) -> tuple[str, ...]:
    from .lora import list_adapters

    return tuple(dict.fromkeys(n for home in homes for n in list_adapters(home)))


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8")) if (folder / MANIFEST).is_file() else {}


def _load_hf(folder: Path, names: tuple[str, ...], homes: Sequence[Path], threads: int) -> tuple[Any, MusicCodec]:
    """The HF base with every adapter attached (the first active) and the codec."""
    import warnings

    import torch

    if threads:
        torch.set_num_threads(threads)
    from .lora import load_adapters
    from .model import load_model

    model, codec = load_model(folder)
    if names:
        with warnings.catch_warnings():  # peft/transformers notes about tied embeddings, not for users
            warnings.simplefilter("ignore", category=UserWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            model = load_adapters(model, folder, list(names), extra_homes=list(homes[1:]))
        model.eval()
    return model, codec


def load_runtime(directory: Path, *, threads: int = 1, user_styles: Path | None = None) -> Runtime:
    """Load base + all adapters + codec from a checkpoint folder now; clear error if it is missing.

    One thread by default: a 2 M-parameter model samples fastest on one core, and far slower
    with two when anything else runs (measured in eval/bench_sampling.py).
    """
    from .decode.fast_forward import set_blas_threads

    folder = _checked_folder(directory)
    homes = _homes(folder, user_styles)
    names = _adapter_names(homes)
    set_blas_threads(threads)
    model, codec = _load_hf(folder, names, homes, threads)
    return Runtime(directory=folder, model=model, codec=codec, adapters=names, manifest=_manifest(folder),
                   homes=homes)


def open_runtime(directory: Path, *, cache: Path | None = None, threads: int = 1,
                 user_styles: Path | None = None) -> Runtime:
    """A runtime over a checkpoint folder that loads nothing yet (see the module's note); lean
    copies live in `<cache>/lean` (None: built from the HF model in every process)."""
    from .decode.fast_forward import set_blas_threads

    folder = _checked_folder(directory)
    homes = _homes(folder, user_styles)
    names = _adapter_names(homes)
    set_blas_threads(threads)
    return Runtime(directory=folder, adapters=names, manifest=_manifest(folder),
                   build=lambda: _load_hf(folder, names, homes, threads)[0],
                   store=Path(cache) / LEAN_FOLDER if cache is not None else None, homes=homes)
