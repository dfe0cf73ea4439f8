"""The music model of one process, as actions get it: loaded once, on first use, from any thread."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import Any


class Models:
    """The checkpoint's runtime (base + adapters), plus the person's own style adapters.

    Loading is lazy so that commands which need no model (analyze, slash commands) start fast;
    the runtime's adapters are used through `Runtime.session`, which holds the runtime's lock."""

    def __init__(self, checkpoint: Path | None, *, loader: Any = None, user_styles: Path | None = None) -> None:
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.user_styles = Path(user_styles) if user_styles is not None else None  # `tunesmith adapt` output
        self._loader = loader
        self._runtime: Any = None
        self._loading = threading.Lock()  # one load, however many threads ask at once

    def runtime(self) -> Any:
        """The loaded runtime (a clear ModelError when the checkpoint has no model)."""
        if self._runtime is not None:
            return self._runtime
        with self._loading:
            if self._runtime is None:
                if self._loader is None:
                    from ...finetune.runtime import load_runtime

                    self._loader = partial(load_runtime, user_styles=self.user_styles)
                self._runtime = self._loader(self.checkpoint)
            return self._runtime

    def adapters(self) -> tuple[str, ...]:
        """Adapter names without loading the model."""
        if self._runtime is not None:
            return tuple(self._runtime.adapters)
        if self.checkpoint is None:
            return ()
        from ...finetune.lora import list_adapters

        mine = tuple(list_adapters(self.user_styles)) if self.user_styles is not None else ()
        return tuple(list_adapters(self.checkpoint)) + mine

    def runtime_with(self, adapter: str) -> Any:
        """The runtime when the checkpoint has `adapter`, else None (callers fall back to rules)."""
        return self.runtime() if adapter in self.adapters() else None

    def missing(self, adapter: str) -> str | None:
        """Why `runtime_with(adapter)` gives None, in words for the person; None when it does not."""
        if self.checkpoint is None or not (self.checkpoint / "config.json").is_file():
            return f"no trained model in {self.checkpoint}"
        if adapter not in self.adapters():
            return f"the model in {self.checkpoint} has no {adapter} adapter"
        return None

    @property
    def profiles_path(self) -> Path | None:
        return self.checkpoint / "style_profiles.json" if self.checkpoint is not None else None
