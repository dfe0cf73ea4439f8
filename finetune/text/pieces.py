"""Subword pieces for a text adapter's prompts: byte-level BPE (Hugging Face `tokenizers`) whose
multi-byte pieces borrow the rows of tokens that never occur in a text prompt.

Why: the base model was pre-trained on music only.  A LoRA adapter over it did not learn to read
a prompt spelled out byte by byte in the time a CPU gives (after 38 minutes the chat adapter
chose the right tool for 44 % of held-out prompts), while the same adapter reading BPE pieces
got 68 % after 7 minutes on one thread: a word is one or two tokens, so a message is short and
each piece has its own embedding row to learn.  Outputs stay bytes, so the byte-level grammars
(chat_format.CallGrammar, the lyrics constraint) are unchanged.

No new vocabulary rows: a piece borrows the row of a music, chord or control token (the
adapter's LoRA on the embeddings gives those rows their text meaning, and only while that
adapter is active).  Single bytes stay the shared byte tokens, so every text encodes.  The
table (the BPE model and its piece -> id map) is saved beside the adapter as pieces.json.

    >>> from tunesmith.tokenization.codec import default_codec
    >>> codec = default_codec()
    >>> table = PieceTable.build(codec, ["write a jig", "write a reel", "写歌词"] * 5, size=20)
    >>> len(table.encode(codec, "write a jig")), len(table.encode(codec, "Write a jig")) > 3  # unseen "W"
    (3, True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tokenization.vocab import BYTE_TOKENS, SPECIAL_TOKENS, TASKS
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ...tokenization.codec import MusicCodec

PIECES_FILE = "pieces.json"


def spare_ids(codec: MusicCodec) -> list[int]:
    """Ids of tokens that never occur in a text prompt (music, chord and control tokens)."""
    reserved = {*BYTE_TOKENS, *SPECIAL_TOKENS, *(f"TASK_{t}" for t in TASKS)}
    return [i for i in range(codec.vocab_size) if codec.id_to_token(i) not in reserved]


@lru_cache(maxsize=1)
def _char_bytes() -> dict[str, int]:
    """The byte behind each character of byte-level BPE (GPT-2's printable stand-ins).

    >>> _char_bytes()["Ġ"], _char_bytes()["a"]
    (32, 97)
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for value in range(256):
        if value not in printable:
            printable.append(value)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


@dataclass(frozen=True)
class PieceTable:
    """A trained byte-level BPE (as its JSON) and the token id each piece is read as."""

    bpe_json: str
    ids: tuple[int, ...]  # BPE piece index -> model token id
    targets: bool = False  # the adapter also writes in pieces (else it reads pieces, writes bytes)

    @classmethod
    def build(cls, codec: MusicCodec, texts: Iterable[str], *, size: int | None = None,
              targets: bool = False) -> PieceTable:
        """Learn up to `size` multi-byte pieces (default: as many as there are spare ids) from `texts`.

        A table for targets does not add a space before the text, so pieces decode to the text exactly."""
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        free = spare_ids(codec)
        merges = min(size or len(free), len(free))
        bpe = Tokenizer(models.BPE())
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=not targets)
        trainer = trainers.BpeTrainer(vocab_size=256 + merges, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        bpe.train_from_iterator(list(texts), trainer)
        return cls(json.dumps(json.loads(bpe.to_str()), ensure_ascii=False), _piece_ids(bpe, codec, free), targets)

    def encode(self, codec: MusicCodec, text: str) -> list[int]:
        """The token ids of a text: one per BPE piece (a lone byte is its byte token)."""
        del codec  # the ids were fixed against the codec when the table was built
        return [self.ids[i] for i in _tokenizer(self.bpe_json).encode(text).ids]

    def by_first_byte(self) -> dict[int, list[tuple[int, bytes]]]:
        """first byte -> (token id, bytes) of every multi-byte piece: what a writer may emit at once."""
        return _by_first_byte(self.bpe_json, self.ids)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / PIECES_FILE
        path.write_text(json.dumps({"format": "tunesmith-pieces", "version": 1, "ids": list(self.ids),
                                    "targets": self.targets,
                                    "bpe": json.loads(self.bpe_json)}, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> PieceTable:
        path = Path(folder) / PIECES_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(json.dumps(data["bpe"], ensure_ascii=False), tuple(int(i) for i in data["ids"]),
                       bool(data.get("targets", False)))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ModelError(f"cannot read the adapter's text pieces {path}: {err}") from err


@lru_cache(maxsize=4)
def _tokenizer(bpe_json: str) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(bpe_json)


@lru_cache(maxsize=4)
def _by_first_byte(bpe_json: str, ids: tuple[int, ...]) -> dict[int, list[tuple[int, bytes]]]:
    """In BPE order: `get_vocab()` is a Rust HashMap whose order changes with every process
    (PYTHONHASHSEED does not fix it), and a sampler reads its candidates in this order."""
    chars = _char_bytes()
    out: dict[int, list[tuple[int, bytes]]] = {}
    for piece, index in sorted(_tokenizer(bpe_json).get_vocab().items(), key=lambda item: item[1]):
        data = bytes(chars[c] for c in piece)
        if len(data) > 1:
            out.setdefault(data[0], []).append((ids[index], data))
    return out


def _piece_ids(bpe: Any, codec: MusicCodec, free: list[int]) -> tuple[int, ...]:
    """Piece index -> token id: single bytes to the byte tokens, longer pieces to spare ids in
    the order BPE learned them (most frequent first)."""
    chars = _char_bytes()
    byte_ids = codec.ids(BYTE_TOKENS)
    out: list[int] = []
    spare = iter(free)
    for piece, _ in sorted(bpe.get_vocab().items(), key=lambda item: item[1]):
        values = [chars[c] for c in piece]
        out.append(byte_ids[values[0]] if len(values) == 1 else next(spare))
    return tuple(out)
