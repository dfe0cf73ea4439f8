"""A person's local Hugging Face chat model folder: chat template with tools in, text out.

The inference half of agent.chat_local for `--model hf:/path/to/folder`: load the
tokenizer and causal LM from the folder (never the network), render the conversation and
tool schemas with the folder's own chat template (`apply_chat_template(tools=...)`), and
generate.  Parsing tool calls out of the text is the agent's job.  Loading happens on the
first call; one lock serialises generation, so threads can share an instance.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import ModelError


class HFChat:
    """A tokenizer + causal LM loaded lazily from one folder."""

    def __init__(self, folder: str | Path, *, threads: int | None = None, seed: int = 0) -> None:
        self.folder = Path(folder).expanduser()
        self.threads = threads
        self.seed = seed
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    def check(self) -> None:
        """Fail early, with one line, when the folder cannot be a chat model."""
        if not self.folder.is_dir():
            raise ModelError(f"no model folder at {self.folder}")
        if not (self.folder / "config.json").is_file():
            raise ModelError(f"{self.folder} has no config.json: not a Hugging Face model folder")

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self.check()
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            if self.threads:
                torch.set_num_threads(self.threads)
            hf_logging.disable_progress_bar()
            try:
                tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
                model = AutoModelForCausalLM.from_pretrained(self.folder, local_files_only=True)
            except (OSError, ValueError) as err:
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                raise ModelError(f"cannot load the chat model in {self.folder}: {first}") from err
            if not getattr(tokenizer, "chat_template", None):
                raise ModelError(f"the tokenizer in {self.folder} has no chat template, so it cannot chat")
            self._loaded = (tokenizer, model.eval())
        return self._loaded

    def render(self, conversation: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None) -> str:
        """The prompt text the chat template makes for a conversation and tool schemas."""
        tokenizer, _ = self._load()
        try:
            return tokenizer.apply_chat_template(conversation, tools=tools or None, add_generation_prompt=True,
                                                 tokenize=False)
        except Exception as err:  # jinja2 errors from a template that rejects a role or a field
            raise ModelError(f"the chat template of {self.folder.name} failed: {err}") from err

    def complete(self, conversation: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
                 max_new_tokens: int = 384, temperature: float = 0.0) -> str:
        """Generate the assistant's next message as text (special tokens removed)."""
        import torch

        with self._lock:
            tokenizer, model = self._load()
            prompt = self.render(conversation, tools=tools)
            inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            limit = getattr(model.config, "max_position_embeddings", None)
            if limit and inputs["input_ids"].shape[1] + max_new_tokens > limit:
                raise ModelError(f"the conversation is too long for {self.folder.name} "
                                 f"({inputs['input_ids'].shape[1]} tokens; the model takes {limit})")
            sampling = {"do_sample": True, "temperature": temperature, "top_p": 0.95} if temperature > 0 else {
                "do_sample": False}
            torch.manual_seed(self.seed)
            pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
            with torch.no_grad():
                output = model.generate(**inputs, max_new_tokens=max_new_tokens, pad_token_id=pad, **sampling)
            new = output[0, inputs["input_ids"].shape[1]:]
            return tokenizer.decode(new, skip_special_tokens=True)
