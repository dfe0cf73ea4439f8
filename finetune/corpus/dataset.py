"""Corpus records -> training token sequences: windows, transposition, control dropout, batches.

Each record becomes one or more windows of whole bars (a long tune is cut at bar lines so a
sequence fits `max_tokens`; every window gets its own control prefix with BARS = its bars).
The REMI ids of a window are computed once; each epoch then draws, per window, a transposition
(the Pitch ids and the KEY token move together, so every key is seen), one of the record's
style labels, and which controls to drop to *_none (so partial prompts work too).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ...tokenization.errors import TokenizationError
from ...tokenization.music import KeySpec, Melody, slice_bars, spell_pitch_class
from ...tokenization.records import record_to_song
from ..errors import CorpusError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ...tokenization.codec import MusicCodec

CONTROL_NAMES = ("style", "key", "meter", "tempo", "bars")  # the task is never dropped


class SequenceSource(Protocol):
    """Anything that yields one epoch of training sequences."""

    def sequences(self, rng: random.Random | None) -> list[list[int]]: ...


@dataclass(frozen=True, slots=True)
class Augment:
    """Per-epoch randomness; `Augment.none()` gives the deterministic validation view."""

    max_shift: int = 6  # transpose by -max_shift+1 .. +max_shift semitones (every key reachable)
    drop_control: float = 0.15  # chance to replace each control by its *_none token
    drop_all: float = 0.05  # chance to drop every control at once
    any_style: bool = True  # pick any of a record's style labels (else the first)

    @classmethod
    def none(cls) -> Augment:
        return cls(max_shift=0, drop_control=0.0, drop_all=0.0, any_style=False)


@dataclass(frozen=True, slots=True)
class Window:
    """One training unit: a melody window, its REMI ids and its labels."""

    melody: Melody
    remi: tuple[int, ...]
    styles: tuple[str, ...]
    low: int
    high: int


def read_records(path: str | Path, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Records of one JSON-lines corpus file."""
    records: list[dict[str, Any]] = []
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    records.append(json.loads(line))
                if limit is not None and len(records) >= limit:
                    break
    except (OSError, ValueError) as err:
        raise CorpusError(f"cannot read corpus file {path}: {err}") from err
    return records


def data_hash(paths: Iterable[str | Path]) -> str:
    """sha1 over the bytes of the data files, to record which data a run saw."""
    digest = hashlib.sha1()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def melody_windows(melody: Melody, codec: MusicCodec, *, max_tokens: int, prefix_len: int = 10) -> list[Melody]:
    """Cut a melody into runs of whole bars whose sequences fit `max_tokens` (greedy, no overlap).

    A bar costs about 3 tokens per note plus 3 (Bar, TimeSig, a rest); each window is grown
    by that estimate, then encoded and shrunk a bar at a time until it really fits.
    """
    budget = max_tokens - prefix_len
    if len(codec.encode_melody(melody)) <= budget:
        return [melody]
    cost = [3] * melody.bars
    for note in melody.notes:
        cost[min(melody.bar_of(note.onset), melody.bars) - 1] += 3
    windows: list[Melody] = []
    first = 0
    while first < melody.bars:
        last, used = first, 0
        while last < melody.bars and (last == first or used + cost[last] <= budget):
            used += cost[last]
            last += 1
        window = slice_bars(melody, first, last)
        while last - first > 1 and len(codec.encode_melody(window)) > budget:
            last -= 1
            window = slice_bars(melody, first, last)
        if window.notes and len(codec.encode_melody(window)) <= budget:
            windows.append(window)
        first = last
    return windows


def build_windows(records: Sequence[dict[str, Any]], codec: MusicCodec, *, max_tokens: int) -> tuple[list[Window], int]:
    """Windows of every usable record, and how many records were skipped (unencodable)."""
    windows: list[Window] = []
    skipped = 0
    for record in records:
        try:
            melody = record_to_song(record).melody
            pieces = melody_windows(melody, codec, max_tokens=max_tokens)
            for piece in pieces:
                pitches = [n.pitch for n in piece.notes]
                windows.append(Window(melody=piece, remi=tuple(codec.ids(codec.encode_melody(piece))),
                                      styles=tuple(record.get("styles") or ()), low=min(pitches), high=max(pitches)))
        except TokenizationError:
            skipped += 1
    return windows, skipped


@dataclass(frozen=True)
class MelodyData:
    """Windows plus the codec: `sequences(rng)` is one augmented epoch (rng=None: no augmentation)."""

    windows: tuple[Window, ...]
    codec: MusicCodec
    augment: Augment = Augment()
    task: str = "melody"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pitch_id", {p: i for i, p in self.codec.pitch_of.items()})
        object.__setattr__(self, "_range", (min(self.codec.pitch_of.values()), max(self.codec.pitch_of.values())))

    def __len__(self) -> int:
        return len(self.windows)

    def sequences(self, rng: random.Random | None) -> list[list[int]]:
        return [self.sequence(w, rng) for w in self.windows]

    def sequence(self, window: Window, rng: random.Random | None) -> list[int]:
        codec, aug = self.codec, self.augment if rng is not None else Augment.none()
        shift = 0
        low, high = self._range  # type: ignore[attr-defined]
        if aug.max_shift and rng is not None:
            choices = [s for s in range(-aug.max_shift + 1, aug.max_shift + 1)
                       if low <= window.low + s and window.high + s <= high]
            shift = rng.choice(choices) if choices else 0
        remi = list(window.remi)
        if shift:
            pitch_id = self._pitch_id  # type: ignore[attr-defined]
            remi = [pitch_id[codec.pitch_of[t] + shift] if t in codec.pitch_of else t for t in remi]
        melody = window.melody
        key = _shift_key(melody.key, shift)
        style = _pick_style(window.styles, rng if aug.any_style else None)
        controls: dict[str, Any] = {"style": style, "key": key, "meter": melody.meter,
                                    "tempo": melody.tempo, "bars": melody.bars}
        if rng is not None and aug.drop_all and rng.random() < aug.drop_all:
            controls = dict.fromkeys(controls)
        elif rng is not None and aug.drop_control:
            controls = {k: (None if rng.random() < aug.drop_control else v) for k, v in controls.items()}
        prefix = codec.ids(codec.control_tokens(task=self.task, **controls))
        return [codec.bos_id, *prefix, codec.music_id, *remi, codec.eos_id]


def _shift_key(key: KeySpec | None, shift: int) -> KeySpec | None:
    if key is None or not shift:
        return key
    return KeySpec(spell_pitch_class((key.pitch_class + shift) % 12, mode=key.mode), key.mode)


def _pick_style(styles: Sequence[str], rng: random.Random | None) -> str | None:
    from ...tokenization.styles import STYLE_NAMES

    known = [s for s in styles if s in STYLE_NAMES]
    if not known:
        return None
    return rng.choice(known) if rng is not None else known[0]


def make_batches(sequences: Sequence[list[int]], *, batch_tokens: int,
                 rng: random.Random | None = None, max_sequences: int = 0) -> list[list[list[int]]]:
    """Group sequences of similar length so that (longest x count) <= batch_tokens (and count <=
    `max_sequences` when that is set: then short sequences get more steps than their tokens earn).

    Sorting by length keeps padding small; the batches are shuffled when `rng` is given.
    """
    order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i]), i))
    if rng is not None:  # shuffle within similar lengths so batches differ between epochs
        order = sorted(order, key=lambda i: (len(sequences[i]) // 16, rng.random()))
    batches: list[list[list[int]]] = []
    current: list[list[int]] = []
    longest = 0
    for i in order:
        seq = sequences[i]
        grown = max(longest, len(seq))
        full = max_sequences and len(current) >= max_sequences
        if current and (grown * (len(current) + 1) > batch_tokens or full):
            batches.append(current)
            current, grown = [], len(seq)
        current.append(seq)
        longest = grown
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def collate(batch: Sequence[list[int]], *, pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest sequence; labels copy the inputs with padding set to -100.

    HF causal LMs shift the labels themselves, so labels are not shifted here.
    """
    import torch

    width = max(len(s) for s in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    for row, seq in enumerate(batch):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attention[row, : len(seq)] = 1
    labels = input_ids.masked_fill(attention == 0, -100)
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
