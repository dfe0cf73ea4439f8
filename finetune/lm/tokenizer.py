"""The drafter's tokenizer: the `tokenizers` library's Tokenizer with the few methods drafting uses.

transformers' wrapper around a 262k-piece tokenizer costs ~3 s per command to build; drafting
needs only encode/decode, piece names and the special ids, so the cold path reads
`tokenizer.json` directly (the same pieces and ids as the HF tokenizer; a test checks they agree).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError


class FastTokenizer:
    """encode/decode/piece lookups of a `tokenizer.json` (with `tokenizer_config.json`'s specials)."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
            config = json.loads((Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, Exception) as err:  # tokenizers raises its own Exception type
            raise ModelError(f"cannot read the tokenizer in {folder}: {err}") from err
        self.bos_token_id = self._special(config, "bos_token")
        self.eos_token_id = self._special(config, "eos_token")
        self.unk_token_id = self._special(config, "unk_token")
        self.pad_token_id = self._special(config, "pad_token")

    def _special(self, config: dict, name: str) -> int | None:
        piece = config.get(name)
        if isinstance(piece, dict):
            piece = piece.get("content")
        return self._tok.token_to_id(piece) if isinstance(piece, str) else None

    def __len__(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return self._tok.encode(text, add_special_tokens=add_special_tokens).ids

    def __call__(self, texts: Sequence[str], add_special_tokens: bool = False) -> dict[str, Any]:
        return {"input_ids": [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)]}

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def convert_ids_to_tokens(self, ids: int | Sequence[int]) -> Any:
        if isinstance(ids, int):
            return self._tok.id_to_token(ids)
        return [self._tok.id_to_token(i) for i in ids]

    def get_vocab(self) -> dict[str, int]:
        return self._tok.get_vocab(with_added_tokens=True)
