"""The harmony adapter: a melody in, exactly one CHORD_ token per chord slot out.

Sequence format (ids of the joint vocabulary):

    BOS TASK_harmony STYLE KEY MODE METER TEMPO BARS MUSIC
    <REMI tokens of the notes, one group per note> with, after the notes of each slot,
    SEP <the slot's melody pitches, lightest first> CHORD_<root>_<quality>

then EOS.  Repeating the slot's pitches right before its chord token makes the chord a
near-linear read-out of the last positions: in trials the adapter stayed on the chord
unigram (loss ~3.4) for hundreds of steps when it had to find the slot's notes itself.  Melody tokens are given, never
predicted: the loss is taken on the CHORD tokens only, and decoding fills one CHORD token
per slot (the grammar is the interleaving itself).  The base model never saw CHORD or
TASK_harmony tokens, so the adapter also puts LoRA weights on the embeddings and the
output layer (see add_harmony_adapter).

Training data: the Bach-derived chord-per-beat records (finetune/harmony/data.py), each epoch
transposed to a random key (so over the epochs every record is seen in all 12 keys), with the
harmonic rhythm coarsened to half bars or bars for some sequences (the chord at the slot's
start is the label) and the style dropped to STYLE_none for some, so the adapter also
serves "a chord per bar" requests.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ...tokenization.errors import TokenizationError
from ...tokenization.music import KeySpec, Melody, spell_pitch_class
from ...tokenization.records import record_to_song
from ...tokenization.vocab import CHORD_QUALITIES, chord_token
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ...tokenization.codec import MusicCodec
    from ..lora import AdapterConfig
    from ..train import TrainConfig

HARMONY_ADAPTER = "harmony"
LOOKAHEAD = 0
STYLE = "bach-chorale"
RHYTHM_MIX = (("beat", 0.6), ("half", 0.2), ("bar", 0.2))
SUMMARY = 3  # most pitches repeated before a chord token
TRAINING_FILE = "training.json"  # beside the adapter: how it was trained and its losses
Slots = Sequence[tuple[float, float]]  # (onset, duration) in quarter lengths


# ---- tokens --------------------------------------------------------------------------------
def chord_ids(codec: MusicCodec) -> list[int]:
    """Ids of every CHORD_<root>_<quality> token (CHORD_none excluded), in vocabulary order."""
    return [codec.token_to_id(chord_token(pc, q)) for pc in range(12) for q in CHORD_QUALITIES]


def chord_of_id(codec: MusicCodec, token_id: int) -> tuple[int, str]:
    """(root pitch class, quality) of a CHORD token id."""
    _, root, quality = codec.id_to_token(token_id).split("_", 2)
    return int(root), quality


def harmony_prompt(codec: MusicCodec, melody: Melody, *, style: str | None = STYLE) -> list[int]:
    controls = codec.control_tokens(task="harmony", style=style, key=melody.key, meter=melody.meter,
                                    tempo=melody.tempo, bars=melody.bars)
    return [codec.bos_id, *codec.ids(controls), codec.music_id]


def note_groups(codec: MusicCodec, melody: Melody) -> list[list[int]]:
    """The melody's REMI ids cut into one group per note (bar, rest and position tokens go with
    the note they lead to; tokens after the last note join the last group)."""
    ids = codec.ids(codec.encode_melody(melody))
    groups: list[list[int]] = [[]]
    for token_id in ids:
        groups[-1].append(token_id)
        if token_id in codec.duration_beats and len(groups[-1]) >= 2 and groups[-1][-2] in codec.pitch_of:
            groups.append([])
    tail = groups.pop()
    if groups:
        groups[-1].extend(tail)
    if len(groups) != len(melody.notes):
        raise ModelError(f"{len(melody.notes)} notes gave {len(groups)} token groups")
    return groups


def insertion_points(melody: Melody, slots: Slots, *, lookahead: int = LOOKAHEAD) -> list[int]:
    """For each slot, the note index before which its chord token goes (len(notes) = at the end)."""
    onsets = [n.onset for n in melody.notes]
    points = []
    for i in range(len(slots)):
        j = i + lookahead
        if j >= len(slots):
            points.append(len(onsets))
            continue
        end = slots[j][0] + slots[j][1]
        points.append(next((k for k, t in enumerate(onsets) if t >= end - 1e-6), len(onsets)))
    return points


def slot_summary(codec: MusicCodec, melody: Melody, slot: tuple[float, float], *, limit: int = SUMMARY) -> list[int]:
    """Pitch ids of the slot's sounding notes, lightest first, so the chord token follows the
    main note directly (a linear read-out from the last position instead of a search back)."""
    lo, hi = slot[0], slot[0] + slot[1]
    weight: dict[int, float] = {}
    for note in melody.notes:
        overlap = min(note.end, hi) - max(note.onset, lo)
        if overlap > 1e-9:
            bonus = 1.5 if abs(note.onset - lo) < 1e-9 else (1.0 if note.onset >= lo else 0.5)
            weight[note.pitch] = weight.get(note.pitch, 0.0) + overlap * bonus
    pitch_id = codec.pitch_id if hasattr(codec, "pitch_id") else {p: i for i, p in codec.pitch_of.items()}
    ranked = sorted(weight, key=lambda p: (weight[p], -p))[-limit:]
    return [pitch_id[p] for p in ranked if p in pitch_id]


def harmony_sequence(codec: MusicCodec, melody: Melody, slots: Slots, chords: Sequence[int], *,
                     style: str | None = STYLE, groups: list[list[int]] | None = None) -> tuple[list[int], list[int]]:
    """The full training sequence (ids, EOS included) and the index of each chord token in it:
    after the notes of slot i + LOOKAHEAD come SEP, the slot's summary pitches and its chord."""
    if len(chords) != len(slots):
        raise ModelError(f"{len(slots)} slots but {len(chords)} chords")
    groups = note_groups(codec, melody) if groups is None else groups
    points = insertion_points(melody, slots)
    ids = harmony_prompt(codec, melody, style=style)
    where: list[int] = []
    slot = 0
    for g in range(len(groups) + 1):
        while slot < len(slots) and points[slot] == g:
            ids.append(codec.sep_id)
            ids.extend(slot_summary(codec, melody, slots[slot]))
            where.append(len(ids))
            ids.append(chords[slot])
            slot += 1
        if g < len(groups):
            ids.extend(groups[g])
    return ids + [codec.eos_id], where


# ---- training data -------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One record ready for sequences: melody, beat slots, chord labels, REMI groups."""

    melody: Melody
    slots: tuple[tuple[float, float], ...]
    labels: tuple[tuple[int, str], ...]
    groups: tuple[tuple[int, ...], ...]


def coarsen(melody: Melody, slots: Slots, labels: Sequence[Any], per: str) -> tuple[list, list]:
    """Merge beat slots into half bars or bars; a merged slot takes the label of its first beat."""
    if per == "beat":
        return list(slots), list(labels)
    size = melody.bar_length if per == "bar" else melody.bar_length / 2
    merged: dict[int, list] = {}
    for (onset, duration), label in zip(slots, labels):
        cell = int(math.floor(onset / size + 1e-9))
        if cell in merged:
            merged[cell][1] = onset + duration - merged[cell][0]
        else:
            merged[cell] = [onset, duration, label]
    cells = [merged[c] for c in sorted(merged)]
    return [(c[0], c[1]) for c in cells], [c[2] for c in cells]


def build_examples(records: Sequence[dict[str, Any]], codec: MusicCodec, *,
                   max_tokens: int = 768) -> tuple[list[Example], int]:
    """Examples of the records that encode and fit `max_tokens`; and how many were skipped."""
    examples, skipped = [], 0
    for record in records:
        try:
            melody = record_to_song(record).melody
            groups = note_groups(codec, melody)
        except (TokenizationError, ModelError):
            skipped += 1
            continue
        slots = tuple((float(c[1]), float(c[2])) for c in record["chords"])
        labels = tuple(zip(record["chord_roots"], record["chord_qualities"]))
        if sum(map(len, groups)) + len(slots) + 12 > max_tokens:
            skipped += 1
            continue
        examples.append(Example(melody, slots, labels, tuple(tuple(g) for g in groups)))
    return examples, skipped


@dataclass(frozen=True)
class HarmonyData:
    """Examples + codec; `sequences(rng)` is one augmented epoch (rng=None: as recorded)."""

    examples: tuple[Example, ...]
    codec: MusicCodec
    drop_style: float = 0.3

    def sequences(self, rng: random.Random | None) -> list[list[int]]:
        return [self.sequence(e, rng) for e in self.examples]

    def sequence(self, example: Example, rng: random.Random | None) -> list[int]:
        codec = self.codec
        shift, per, style = 0, "beat", STYLE
        if rng is not None:
            pitches = [n.pitch for n in example.melody.notes]
            low, high = min(codec.pitch_of.values()), max(codec.pitch_of.values())
            shift = rng.choice([s for s in range(-6, 6) if low <= min(pitches) + s and max(pitches) + s <= high])
            per = rng.choices([r for r, _ in RHYTHM_MIX], weights=[w for _, w in RHYTHM_MIX])[0]
            style = None if rng.random() < self.drop_style else STYLE
        melody = example.melody
        groups = [list(g) for g in example.groups]
        if shift:
            key = melody.key
            melody = melody.transposed(shift, key=KeySpec(spell_pitch_class((key.pitch_class + shift) % 12,
                                                                             mode=key.mode), key.mode))
            pitch_id = {p: i for i, p in codec.pitch_of.items()}
            groups = [[pitch_id[codec.pitch_of[t] + shift] if t in codec.pitch_of else t for t in g] for g in groups]
        slots, labels = coarsen(melody, example.slots, example.labels, per)
        chords = [codec.token_to_id(chord_token((root + shift) % 12, quality)) for root, quality in labels]
        return harmony_sequence(codec, melody, slots, chords, style=style, groups=groups)[0]


# ---- training ------------------------------------------------------------------------------
def _chord_loss_model(model: Any, chord_id_set: Sequence[int]) -> Any:
    """Wrap a (peft) causal LM so that its loss counts the CHORD tokens only."""
    import torch

    lo, hi = min(chord_id_set), max(chord_id_set)

    class ChordLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids, attention_mask=None, labels=None):  # noqa: ANN001 - HF signature
            if labels is not None:
                labels = labels.masked_fill((labels < lo) | (labels > hi), -100)
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, labels=labels)

    return ChordLoss()


def add_harmony_adapter(model: Any, codec: MusicCodec, adapter: AdapterConfig) -> Any:
    """A fresh LoRA adapter named `harmony`; it also adapts the (tied) embeddings and the output
    layer, whose CHORD and TASK_harmony rows the base model never trained (lora.add_readout_adapter)."""
    from ..lora import add_readout_adapter

    return add_readout_adapter(model, HARMONY_ADAPTER, adapter)


def save_harmony_adapter(model: Any, base_dir: str | Path) -> Path:
    """Write the adapter to <base_dir>/adapters/harmony/ without copies of the base embeddings."""
    from ..lora import save_readout_adapter

    return save_readout_adapter(model, base_dir, HARMONY_ADAPTER)


def train_harmony_adapter(base_dir: str | Path, records: Sequence[dict[str, Any]], *, run_dir: str | Path,
                          valid_records: Sequence[dict[str, Any]] = (), config: TrainConfig | None = None,
                          adapter: AdapterConfig | None = None, save_to_base: bool = True,
                          show_progress: bool = True) -> dict[str, Any]:
    """Train the harmony adapter over the frozen base in `base_dir` (chord-token loss only).

    The adapter is written to run_dir/model/adapters/harmony (and, with `save_to_base`, to
    <base_dir>/adapters/harmony).  Returns the fit state plus accuracy on the valid records.
    """
    import shutil

    from ..lora import AdapterConfig, adapter_dir
    from ..model import count_parameters, load_frozen_model
    from ..train import TrainConfig, fit, write_run_config

    config = config or TrainConfig(max_steps=2000, lr=1e-2, warmup_steps=20, eval_every=100, weight_decay=0.0,
                                   batch_tokens=2048, threads=1)
    adapter = adapter or AdapterConfig(r=16, alpha=8, dropout=0.05)
    started = time.time()
    run = Path(run_dir)
    model, codec = load_frozen_model(base_dir)
    peft_model = add_harmony_adapter(model, codec, adapter)
    examples, skipped = build_examples(records, codec)
    if not examples:
        raise ModelError(f"none of the {len(records)} harmony records could be encoded")
    valid_examples, _ = build_examples(valid_records, codec)
    data = HarmonyData(tuple(examples), codec)
    valid = HarmonyData(tuple(valid_examples), codec).sequences(None)
    trainable = count_parameters(peft_model, trainable_only=True)
    write_run_config(run, config, kind="adapter", name=HARMONY_ADAPTER, base=str(base_dir), adapter=asdict(adapter),
                     pieces=len(records), skipped=skipped, windows=len(examples), trainable=trainable,
                     format={"lookahead": LOOKAHEAD, "rhythm_mix": RHYTHM_MIX, "drop_style": data.drop_style})
    wrapped = _chord_loss_model(peft_model, chord_ids(codec))
    state = fit(wrapped, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=run,
                save_fn=lambda d: save_harmony_adapter(peft_model, d), show_progress=show_progress)
    peft_model.eval()
    if save_to_base and not state.get("interrupted"):
        target = adapter_dir(base_dir, HARMONY_ADAPTER)
        if target.exists():
            shutil.rmtree(target)
        save_harmony_adapter(peft_model, base_dir)
    state.update(wall_s=round(time.time() - started, 1), examples=len(examples), skipped=skipped, trainable=trainable,
                 valid_accuracy=accuracy(peft_model, codec, valid_examples))
    if save_to_base and not state.get("interrupted"):
        summary = {key: state.get(key) for key in ("step", "seconds", "tokens", "train_loss", "valid_loss",
                                                   "valid_accuracy", "examples", "skipped", "trainable", "wall_s")}
        summary.update(run=str(run), adapter=asdict(adapter), train=asdict(config),
                       format={"lookahead": LOOKAHEAD, "rhythm_mix": RHYTHM_MIX, "drop_style": data.drop_style})
        (adapter_dir(base_dir, HARMONY_ADAPTER) / TRAINING_FILE).write_text(json.dumps(summary, indent=1) + "\n")
    return state


def accuracy(model: Any, codec: MusicCodec, examples: Sequence[Example]) -> dict[str, float] | None:
    """Teacher-forced top-1 chord accuracy (exact and root) on beat-level examples."""
    if not examples:
        return None
    exact = root = total = 0
    for example in examples:
        chords = [codec.token_to_id(chord_token(r, q)) for r, q in example.labels]
        logprobs, _ = chord_logprobs(model, codec, example.melody, example.slots, history=chords)
        ids = chord_ids(codec)
        for dist, label in zip(logprobs, example.labels):
            guess = chord_of_id(codec, ids[max(range(len(dist)), key=dist.__getitem__)])
            exact += guess == tuple(label)
            root += guess[0] == label[0]
            total += 1
    return {"exact": round(exact / total, 4), "root": round(root / total, 4), "slots": total}


# ---- inference -----------------------------------------------------------------------------
Chooser = Callable[[int, list[float]], int]  # (slot, log-probs over chord_ids) -> index into chord_ids


def chord_logprobs(model: Any, codec: MusicCodec, melody: Melody, slots: Slots, *, style: str | None = STYLE,
                   history: Sequence[int] | None = None,
                   choose: Chooser | None = None) -> tuple[list[list[float]], list[int]]:
    """Per slot, log-probabilities over `chord_ids(codec)` (renormalised among chord tokens).

    With `history` (chord token ids) the chords are teacher-forced and one forward pass gives
    every slot; otherwise the decoder runs slot by slot with a KV cache, appending the id that
    `choose` picks (greedy by default): exactly one CHORD token per slot.
    Returns (log-probs per slot, the chord ids used).  `model` is an HF model or a lean copy
    (fast_forward.LeanModel: numpy only, no torch).
    """
    from ..decode.fast_forward import LeanModel

    if isinstance(model, LeanModel):
        return _lean_chord_logprobs(model, codec, melody, slots, style=style, history=history, choose=choose)
    import torch

    ids_all = chord_ids(codec)
    index = torch.as_tensor(ids_all, dtype=torch.long)
    device = next(model.parameters()).device
    groups = note_groups(codec, melody)
    if history is not None:
        ids, where = harmony_sequence(codec, melody, slots, list(history), style=style, groups=groups)
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0].float().cpu()
        rows = [torch.log_softmax(logits[w - 1, index], dim=-1).tolist() for w in where]
        return rows, list(history)
    placeholder = ids_all[0]
    ids, where = harmony_sequence(codec, melody, slots, [placeholder] * len(slots), style=style, groups=groups)
    limit = int(getattr(model.config, "max_position_embeddings", 1024))
    if len(ids) > limit:
        raise ModelError(f"the melody needs {len(ids)} tokens, more than the model's {limit}")
    past = None

    def step(chunk: list[int], _start: int) -> list[float]:
        nonlocal past
        out = model(input_ids=torch.tensor([chunk], device=device), cache=past, use_cache=True)
        past = out.cache
        return torch.log_softmax(out.logits[0, -1].float().cpu()[index], dim=-1).tolist()

    with torch.inference_mode():
        return _slot_by_slot(ids, where, ids_all, choose, step)


def _slot_by_slot(ids: list[int], where: Sequence[int], ids_all: Sequence[int], choose: Chooser | None,
                  step: Callable[[list[int], int], list[float]]) -> tuple[list[list[float]], list[int]]:
    """The free decoding loop both back ends share: feed the tokens up to each slot (`step` takes
    them and their start position, returns the slot's log-probs), put the chosen chord in
    (`choose`'s, greedy by default)."""
    choose = choose or (lambda _slot, row: max(range(len(row)), key=row.__getitem__))
    rows, chosen, start = [], [], 0
    for slot, position in enumerate(where):
        row = step(ids[start:position], start)
        pick = ids_all[choose(slot, row)]
        ids[position] = pick
        rows.append(row)
        chosen.append(pick)
        start = position
    return rows, chosen


def _lean_chord_logprobs(model: Any, codec: MusicCodec, melody: Melody, slots: Slots, *, style: str | None,
                         history: Sequence[int] | None, choose: Chooser | None) -> tuple[list[list[float]], list[int]]:
    """chord_logprobs over a LeanModel: the same sequence, positions and choices, in numpy."""
    import numpy as np

    ids_all = chord_ids(codec)
    index = np.asarray(ids_all, dtype=np.int64)

    def log_softmax(row: np.ndarray) -> list[float]:
        row = row[index].astype(np.float64)
        return (row - np.logaddexp.reduce(row)).tolist()

    groups = note_groups(codec, melody)
    chords = list(history) if history is not None else [ids_all[0]] * len(slots)
    ids, where = harmony_sequence(codec, melody, slots, chords, style=style, groups=groups)
    if len(ids) > model.max_positions:
        raise ModelError(f"the melody needs {len(ids)} tokens, more than the model's {model.max_positions}")
    cache = model.new_cache(1, len(ids))
    if history is not None:
        logits = model.extend(ids, cache, 0)
        return [log_softmax(logits[w - 1]) for w in where], list(history)
    return _slot_by_slot(ids, where, ids_all, choose,
                         lambda chunk, start: log_softmax(model.extend(chunk, cache, start, last_only=True)[0]))


def decode_chords(model: Any, codec: MusicCodec, melody: Melody, slots: Slots, *, style: str | None = STYLE,
                  allowed: Sequence[Sequence[int]] | None = None, temperature: float = 0.0,
                  seed: int = 0) -> list[tuple[int, str]]:
    """The model's own chords, one per slot: greedy (temperature 0) or sampled, optionally
    restricted per slot to `allowed` indices into chord_ids(codec)."""
    rng = random.Random(seed)

    def choose(slot: int, row: list[float]) -> int:
        options = list(allowed[slot]) if allowed is not None else list(range(len(row)))
        if not options:
            raise ModelError(f"no chord is allowed in slot {slot + 1}")
        if temperature <= 0:
            return max(options, key=row.__getitem__)
        weights = [math.exp((row[i] - max(row[j] for j in options)) / temperature) for i in options]
        return rng.choices(options, weights=weights)[0]

    _, chosen = chord_logprobs(model, codec, melody, slots, style=style, choose=choose)
    return [chord_of_id(codec, token_id) for token_id in chosen]
