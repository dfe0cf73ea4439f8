"""Word ids for the chat adapter's prompts: a frequent word (or Chinese character) is read as one
token, followed by its bytes.

Why: the base model was pre-trained on music only, and a LoRA adapter over it did not learn to
read byte-level text in the time a CPU gives (after 650 steps on 26 k dialogues it still ignored
the message and wrote the most common call).  With one token per word, routing becomes a
bag-of-words problem the adapter learns quickly; the bytes that follow each word keep every
character visible, so values can still be copied from the message (a theme, a range).

No new vocabulary rows: a word borrows the row of a music or control token that never occurs in
a text prompt (the `chat` adapter's LoRA on the embeddings gives those rows their text meaning,
and only while that adapter is active).  The table is saved beside the adapter as words.json.

    >>> from tunesmith.tokenization.codec import default_codec
    >>> codec = default_codec()
    >>> table = WordTable.build(codec, ["write a jig", "write lyrics"], size=10)
    >>> ids = table.encode(codec, "Write a jig!")
    >>> ids[0] == table.ids["write"], codec.decode_text(ids[1:6]), len(ids)
    (True, 'Write', 17)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..tokenization.vocab import BYTE_TOKENS, SPECIAL_TOKENS, TASKS
from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization.codec import MusicCodec

WORDS_FILE = "words.json"
_WORD = re.compile(r"[A-Za-z]{2,}(?:'[a-z]+)?|[\u3400-\u9fff]")
_GIST = re.compile(r"[A-Za-z]{2,}(?:'[a-z]+)?|[\u3400-\u9fff]|\d+(?:/\d+)?|[A-G][#b]?(?![a-z])")
GIST_MARK = 0x0A  # a newline byte opens the gist


def spare_ids(codec: MusicCodec) -> list[int]:
    """Ids of tokens that never occur in a text prompt (music, chord and control tokens)."""
    reserved = {*BYTE_TOKENS, *SPECIAL_TOKENS, *(f"TASK_{t}" for t in TASKS)}
    return [i for i in range(codec.vocab_size) if codec.id_to_token(i) not in reserved]


@dataclass(frozen=True)
class WordTable:
    """word (lower case) or character -> borrowed token id."""

    ids: dict[str, int]

    @classmethod
    def build(cls, codec: MusicCodec, texts: Iterable[str], *, size: int = 800) -> WordTable:
        """The `size` most frequent words of `texts` (at most as many as there are spare ids)."""
        counts = Counter(m.group().lower() for text in texts for m in _WORD.finditer(text))
        free = spare_ids(codec)
        words = [w for w, _ in counts.most_common(min(size, len(free)))]
        return cls(dict(zip(words, free)))

    def gist(self, codec: MusicCodec, text: str) -> list[int]:
        """The first line of a text once more, compact: known words as their ids, numbers, meters
        and note letters as bytes, nothing else.  It goes right before the output, because the
        adapter reads what is near far better than what is far (as the harmony adapter found)."""
        out: list[int] = []
        for match in _GIST.finditer(text.split("\n", 1)[0]):
            word_id = self.ids.get(match.group().lower())
            if word_id is not None:
                out.append(word_id)
            elif not match.group()[:1].isalpha() or len(match.group()) <= 2:
                out.extend(codec.ids(codec.encode_text(match.group() + " ")))
        return out

    def encode(self, codec: MusicCodec, text: str) -> list[int]:
        """The ids of a text: each known word's id before its bytes, everything else as bytes;
        then a newline and the gist of the first line."""
        out: list[int] = []
        position = 0
        for match in _WORD.finditer(text):
            word_id = self.ids.get(match.group().lower())
            if word_id is None:
                continue
            out.extend(codec.ids(codec.encode_text(text[position:match.start()])))
            out.append(word_id)
            out.extend(codec.ids(codec.encode_text(match.group())))
            position = match.end()
        out.extend(codec.ids(codec.encode_text(text[position:])))
        out.extend(codec.ids(codec.encode_text(chr(GIST_MARK))))
        return out + self.gist(codec, text)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / WORDS_FILE
        path.write_text(json.dumps(self.ids, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> WordTable:
        path = Path(folder) / WORDS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot read the chat adapter's word table {path}: {err}") from err
        return cls({str(k): int(v) for k, v in data.items()})
