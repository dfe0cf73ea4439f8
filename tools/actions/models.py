"""The music model of one process, as actions get it: loaded once, on first use, from any thread."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ToolError


class Models:
    """The checkpoint's runtime (base + adapters), plus the person's own style adapters.

    Loading is lazy so that commands which need no model (analyze, slash commands) start fast;
    the runtime's adapters are used through `Runtime.session`, which holds the runtime's lock."""

    def __init__(self, checkpoint: Path | None, *, loader: Any = None, user_styles: Path | None = None,
                 lm_cache: Path | None = None, lm_loader: Any = None, progress: Any = None) -> None:
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.lm_cache = Path(lm_cache) if lm_cache is not None else None  # where the pretrained LM is converted
        self._lm_loader = lm_loader  # tests pass a tiny model's loader
        self._lm: Any = None
        self._chat: Any = None
        self.progress = progress  # told about one-time slow work (the first conversion of the LM)
        self.user_styles = Path(user_styles) if user_styles is not None else None  # `tunesmith adapt` output
        self._loader = loader
        self._runtime: Any = None
        self._loading = threading.Lock()  # one load, however many threads ask at once

    def runtime(self) -> Any:
        """The checkpoint's runtime, opened once (a clear ModelError when the checkpoint has no model);
        it reads weights only when a session first needs them."""
        if self._runtime is not None:
            return self._runtime
        with self._loading:
            if self._runtime is None:
                if self._loader is None:  # lazy: merged weights from <lm_cache>/lean, no torch when stored
                    from ...finetune.runtime import open_runtime

                    self._loader = partial(open_runtime, cache=self.lm_cache, user_styles=self.user_styles)
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
        """The runtime when the checkpoint has `adapter`, else None (callers fall back to rules).

        Its callers are the chord scorers (harmony adapter), which run `active.model` and take a
        lean copy there: so this is the runtime's LeanView, and chords never load the HF model."""
        return self.runtime().lean_view() if adapter in self.adapters() else None

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

    def lm_settings(self) -> dict | None:
        """The checkpoint's `lm/base.json` (which pretrained base, int8 or not); None without one."""
        import json

        path = self.checkpoint / "lm" / "base.json" if self.checkpoint is not None else None
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ToolError(f"cannot read {path}: {err}") from err

    @property
    def lyrics_adapter(self) -> Path | None:
        """The lyrics LoRA of the pretrained LM that `lm/base.json` names (`lyrics_adapter`, a
        folder beside it), or None when it names none."""
        name = (self.lm_settings() or {}).get("lyrics_adapter")
        if not name or self.checkpoint is None:
            return None
        folder = self.checkpoint / "lm" / str(name)
        if not (folder / "adapter_config.json").is_file():
            raise ToolError(f"{self.checkpoint / 'lm' / 'base.json'} names the lyrics adapter {name!r}, "
                            f"but {folder} holds none")
        return folder

    def lm_missing(self) -> str | None:
        """Why the pretrained LM cannot be used, in words for the person; None when it can."""
        if self._lm is not None or self._lm_loader is not None:
            return None
        settings = self.lm_settings()
        if settings is None:
            return f"the model in {self.checkpoint} has no pretrained language model (lm/base.json)"
        if self.lm_cache is None:
            return "no cache folder for the pretrained language model"
        from ...finetune.errors import ModelError
        from ...finetune.lm.base import get_base, package_dir

        try:
            package_dir(get_base(settings.get("base")))
        except ModelError as err:
            return str(err)
        return None

    def lyrics_lm(self) -> Any:
        """The pretrained LM for lyrics (base + the lyrics LoRA when shipped), loaded once."""
        if self._lm is not None:
            return self._lm
        with self._loading:
            if self._lm is None:
                if self._lm_loader is not None:
                    self._lm = self._lm_loader()
                else:
                    from ...finetune.lm.base import converted_dir, get_base, load_lean
                    from ..lyrics.pretrained import LyricsLM

                    why = self.lm_missing()
                    if why is not None:
                        raise ToolError(why)
                    settings = self.lm_settings() or {}
                    adapter, spec = self.lyrics_adapter, get_base(settings.get("base"))
                    lean = load_lean(spec, self.lm_cache, adapter=adapter, int8=bool(settings.get("int8", True)),
                                     progress=self.progress)
                    self._lm = LyricsLM(lean, label=f"{spec.name} + lyrics LoRA" if adapter else f"{spec.name} (base)",
                                        cache=converted_dir(spec, self.lm_cache))
            return self._lm


    @property
    def chat_adapter(self) -> Path | None:
        """The chat LoRA of the pretrained LM (`lm/chat/` of the checkpoint), or None without one."""
        folder = self.checkpoint / "lm" / "chat" if self.checkpoint is not None else None
        return folder if folder is not None and (folder / "adapter_config.json").is_file() else None

    def chat_missing(self) -> str | None:
        """Why the embedded chat model cannot be used, in words for the person; None when it can."""
        if self._chat is not None:
            return None
        why = self.lm_missing() if self._lm_loader is None else None
        if why is not None:
            return why
        if self.chat_adapter is None:
            return f"the model in {self.checkpoint} has no chat LoRA (lm/chat/: train it with " \
                   "`tunesmith train run chat-lm`)"
        return None

    def chat_decoder(self) -> Any:
        """The embedded chat model: the base with the chat LoRA merged, behind a ChatDecoder (once)."""
        if self._chat is not None:
            return self._chat
        with self._loading:
            if self._chat is None:
                from ...finetune.lm.base import get_base, load_lean
                from ...finetune.lm.chat_decode import ChatDecoder, load_reply_rows, reply_rows
                from ...finetune.lm.lean import LeanLM

                why = self.chat_missing()
                if why is not None:
                    raise ToolError(why)
                settings = self.lm_settings() or {}
                spec = get_base(settings.get("base"))
                lean = load_lean(spec, self.lm_cache, adapter=self.chat_adapter, int8=bool(settings.get("int8", True)),
                                 progress=self.progress)
                plain = LeanLM(lean.body, lean.tokenizer)  # fp32 heads of a few rows, not cached on disk
                rows = load_reply_rows(self.chat_adapter)  # kept beside the adapter by its training
                if rows is None:  # an adapter from before: rebuild them from the seeded dialogues
                    rows = reply_rows(lean.tokenizer, cache=self.lm_cache, answer=knowledge_facts)
                self._chat = ChatDecoder(plain, reply_rows=rows)
            return self._chat


def knowledge_facts(topic: str, lang: str) -> str | None:
    """What music_knowledge says about `topic`, or None for a topic it does not know (the chat LoRA
    was trained on these facts: `tunesmith train chat-lm`)."""
    from ..knowledge import find_topic

    try:
        return find_topic(topic, lang).text()
    except ToolError:
        return None
