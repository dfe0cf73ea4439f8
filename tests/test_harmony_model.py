"""The harmony adapter: sequence format, training data, chord-only loss, constrained decoding, tools hook-up."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from tunesmith.finetune.harmony import model as hm
from tunesmith.finetune.model import build_model, get_preset
from tunesmith.finetune.runtime import load_runtime
from tunesmith.finetune.train import TrainConfig
from tunesmith.tokenization.codec import MusicCodec, default_codec
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song
from tunesmith.tokenization.records import song_to_record
from tunesmith.tools.chords.recommend import recommend_chords

PROGRESSION = [(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")]


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def _record(seed: int, *, tonic: str = "G") -> dict:
    """A 4-bar chorale-like record: quarter notes, one chord per beat, roots relative to the key."""
    rng = random.Random(seed)
    key = KeySpec(tonic)
    notes, chords, roots, qualities = [], [], [], []
    for beat in range(16):
        rel, quality = PROGRESSION[beat // 4]
        root = (key.pitch_class + rel) % 12
        pitch = 60 + (root + rng.choice([0, 4, 7])) % 12 + (12 if rng.random() < 0.3 else 0)
        notes.append(Note(pitch, float(beat), 1.0))
        chords.append(ChordEvent(f"x{beat}", float(beat), 1.0, "I"))
        roots.append(root)
        qualities.append(quality)
    song = Song(melody=Melody(notes=tuple(notes), meter=Meter(4, 4), key=key), chords=tuple(chords),
                style="bach-chorale")
    return song_to_record(song, record_id=f"t/{seed}", source="test", styles=["bach-chorale"],
                          chord_roots=roots, chord_qualities=qualities)


def test_note_groups_cover_the_melody_tokens(codec: MusicCodec) -> None:
    melody = Melody(notes=(Note(60, 1.5, 0.5), Note(62, 3.0, 2.0), Note(64, 6.0, 1.0)), meter=Meter(3, 4))
    groups = hm.note_groups(codec, melody)
    assert len(groups) == 3
    assert [t for g in groups for t in g] == codec.ids(codec.encode_melody(melody))
    assert all(sum(t in codec.pitch_of for t in g) == 1 for g in groups)


def test_one_chord_token_per_slot_after_its_notes_and_summary(codec: MusicCodec) -> None:
    example = hm.build_examples([_record(1)], codec)[0][0]
    chords = [codec.token_to_id(f"CHORD_{r}_{q}") for r, q in example.labels]
    ids, where = hm.harmony_sequence(codec, example.melody, example.slots, chords)
    assert ids[-1] == codec.eos_id and codec.id_to_token(ids[1]) == "TASK_harmony"
    assert [ids[w] for w in where] == chords and where == sorted(where)
    chord_set = set(hm.chord_ids(codec))
    assert sum(t in chord_set for t in ids) == len(example.slots)
    durations = [i for i, t in enumerate(ids) if t in codec.duration_beats]
    points = hm.insertion_points(example.melody, example.slots)
    for slot, position in enumerate(where):
        assert sum(d < position for d in durations) == points[slot]  # the notes up to its slot (+ lookahead)
        summary = hm.slot_summary(codec, example.melody, example.slots[slot])
        assert ids[position - len(summary) - 1:position] == [codec.sep_id, *summary]
        note = next(n for n in example.melody.notes if n.onset == example.slots[slot][0])
        assert codec.pitch_of[summary[-1]] == note.pitch  # the main note comes last, next to the chord


def test_coarsen_takes_the_chord_at_the_slot_start(codec: MusicCodec) -> None:
    example = hm.build_examples([_record(2)], codec)[0][0]
    slots, labels = hm.coarsen(example.melody, example.slots, example.labels, "bar")
    assert slots == [(0.0, 4.0), (4.0, 4.0), (8.0, 4.0), (12.0, 4.0)]
    assert [(r - 7) % 12 for r, _ in labels] == [0, 5, 7, 0] and [q for _, q in labels] == ["maj", "maj", "7", "maj"]
    halves, _ = hm.coarsen(example.melody, example.slots, example.labels, "half")
    assert len(halves) == 8


def test_transposed_sequences_keep_chords_relative_to_the_key(codec: MusicCodec) -> None:
    data = hm.HarmonyData(tuple(hm.build_examples([_record(i) for i in range(4)], codec)[0]), codec)
    keys = set()
    for seed in range(6):
        for seq in data.sequences(random.Random(seed)):
            tokens = codec.tokens(seq)
            key = int(tokens[3].split("_")[1])
            keys.add(key)
            relative = {((int(t.split("_")[1]) - key) % 12, t.split("_")[2]) for t in tokens if t.startswith("CHORD_")}
            assert relative <= set(PROGRESSION)
            assert tokens[2] in ("STYLE_bach-chorale", "STYLE_none")
    assert len(keys) > 3


def test_chord_loss_counts_only_chord_tokens(codec: MusicCodec) -> None:
    torch.manual_seed(0)
    model = build_model(get_preset("tiny"), codec.vocab_size)
    wrapped = hm._chord_loss_model(model, hm.chord_ids(codec))
    example = hm.build_examples([_record(3)], codec)[0][0]
    chords = [codec.token_to_id(f"CHORD_{r}_{q}") for r, q in example.labels]
    ids, where = hm.harmony_sequence(codec, example.melody, example.slots, chords)
    batch = torch.tensor([ids])
    loss = wrapped(input_ids=batch, attention_mask=torch.ones_like(batch), labels=batch).loss
    logits = model(input_ids=batch).logits[0]
    manual = torch.stack([-torch.log_softmax(logits[w - 1], -1)[ids[w]] for w in where]).mean()
    assert torch.isclose(loss, manual, atol=1e-5)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, make_tiny_checkpoint) -> tuple[Path, dict]:
    """A tiny random base with a harmony adapter trained for a few steps."""
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("harmony-ckpt"), half=False)
    records = [_record(i) for i in range(6)]
    state = hm.train_harmony_adapter(
        folder, records, valid_records=records[:2], run_dir=folder / "run", show_progress=False,
        config=TrainConfig(max_steps=4, eval_every=2, log_every=2, lr=5e-3, warmup_steps=1, threads=1,
                           batch_tokens=1024))
    return folder, state


def test_training_saves_a_loadable_adapter(checkpoint) -> None:
    folder, state = checkpoint
    assert state["step"] == 4 and state["valid_loss"] == state["valid_loss"]  # finite, not NaN
    assert state["valid_accuracy"]["slots"] == 32 and 0 <= state["valid_accuracy"]["exact"] <= 1
    assert (folder / "adapters" / "harmony" / "adapter_config.json").is_file()
    runtime = load_runtime(folder)
    assert runtime.has_adapter("harmony")


def test_decoder_emits_one_allowed_chord_per_slot_and_scores_match(checkpoint, codec: MusicCodec) -> None:
    example = hm.build_examples([_record(9, tonic="D")], codec)[0][0]
    allowed = [[0, 1]] * len(example.slots)  # indices into chord_ids: C major and C minor
    with load_runtime(checkpoint[0]).session("harmony") as active:
        model = active.model
        chords = hm.decode_chords(model, codec, example.melody, example.slots, allowed=allowed)
        sampled = hm.decode_chords(model, codec, example.melody, example.slots, temperature=1.0, seed=3)
        again = hm.decode_chords(model, codec, example.melody, example.slots, temperature=1.0, seed=3)
        rows, used = hm.chord_logprobs(model, codec, example.melody, example.slots)
        forced, _ = hm.chord_logprobs(model, codec, example.melody, example.slots, history=used)
    assert len(chords) == len(example.slots) and set(chords) <= {(0, "maj"), (0, "min")}
    assert sampled == again
    assert len(rows) == len(example.slots) == len(forced)
    assert max(abs(a - b) for r1, r2 in zip(rows, forced) for a, b in zip(r1, r2)) < 1e-4
    assert all(abs(sum(torch.tensor(r).exp().tolist()) - 1) < 1e-4 for r in rows)


def test_recommend_chords_uses_the_adapter(checkpoint) -> None:
    runtime = load_runtime(checkpoint[0])
    melody = Melody(notes=tuple(Note(p, float(i), 1.0) for i, p in enumerate([67, 71, 74, 71, 72, 76, 72, 67,
                                                                                 74, 72, 71, 69, 67, 67, 67, 67])),
                    meter=Meter(4, 4), key=KeySpec("G"))
    result = recommend_chords(Song(melody=melody, style="bach-chorale"), runtime=runtime)
    assert result.scorer == "rules+model" and result.report.ok
    assert len(result.slots) == 16 and result.chords[-1].symbol == "G"


def test_harmony_and_melody_adapters_load_together_in_either_order(checkpoint, codec: MusicCodec) -> None:
    from tunesmith.finetune.lora import AdapterConfig, add_adapter, load_adapters, save_adapter
    from tunesmith.finetune.model import load_model

    folder = checkpoint[0]
    base, _ = load_model(folder)
    melody = add_adapter(base, "melody", AdapterConfig())
    with torch.no_grad():
        for name, param in melody.named_parameters():
            if "lora_B" in name:
                param.add_(0.3)
    save_adapter(melody.eval(), folder, "melody")
    x = torch.tensor([[codec.bos_id, *hm.chord_ids(codec)[:3], codec.music_id]])
    alone = {}
    for name in ("melody", "harmony"):
        model = load_adapters(load_model(folder)[0], folder, [name])
        alone[name] = model(input_ids=x).logits
    assert not torch.allclose(alone["melody"], alone["harmony"])
    for order in (["harmony", "melody"], ["melody", "harmony"]):
        model = load_adapters(load_model(folder)[0], folder, order)
        for name in order:
            model.set_adapter(name)
            assert torch.allclose(model(input_ids=x).logits, alone[name], atol=1e-5), (order, name)
