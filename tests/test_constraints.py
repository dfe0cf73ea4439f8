"""The REMI grammar state machine: canonical encodings pass, random walks always decode, limits hold."""

from __future__ import annotations

import doctest
import random

import pytest

from tunesmith.finetune.decode import constraints as constraints_module
from tunesmith.finetune.decode.constraints import GrammarState, MelodySpec, build_grammar, scale_pitch_classes
from tunesmith.tokenization.music import slice_bars
from tunesmith.finetune.errors import ModelError
from tunesmith.tokenization.codec import MusicCodec, default_codec
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def _melody(notes, meter=(4, 4), bars=0) -> Melody:
    return Melody(notes=tuple(Note(p, o, d) for p, o, d in notes), meter=Meter(*meter), key=KeySpec("G"), bars=bars)


# Melodies whose MidiTok encodings exercise every rule: pickups, ties over bar lines, rests
# that cross bar lines (no Bar token), whole bars held, triplets, gaps shorter than a rest.
CASES = {
    "plain 4/4": ([(60, 0, 1), (62, 1, 1), (64, 2, 2), (65, 4, 4)], (4, 4)),
    "6/8 jig": ([(67, 0, 0.5), (69, 0.5, 0.5), (71, 1, 0.5), (72, 1.5, 1.5), (74, 3, 1), (72, 4, 0.5),
                 (71, 4.5, 1.5)], (6, 8)),
    "pickup": ([(62, 3, 1), (67, 4, 1.5), (66, 5.5, 0.5), (67, 6, 2)], (4, 4)),
    "rest across bars": ([(60, 0, 1), (64, 2, 0.5), (67, 6.5, 0.5), (72, 12, 4)], (4, 4)),
    "tie over two bars": ([(60, 0, 1), (62, 1, 7), (64, 8, 1)], (3, 4)),
    "triplets": ([(60, 0, 1 / 3), (62, 1 / 3, 1 / 3), (64, 2 / 3, 1 / 3), (65, 1, 1), (67, 2.25, 0.75)], (2, 4)),
    "2/2 sixteenths": ([(62, 0, 0.5), (64, 0.5, 0.25), (66, 0.75, 0.25), (67, 1, 1), (69, 2, 2), (71, 4, 4)], (2, 2)),
    "tiny gap": ([(60, 0, 23 / 24), (62, 1, 1), (64, 2.5, 1.5)], (4, 4)),
    "trailing bar of rest": ([(60, 0, 4), (62, 4, 2)], (4, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_canonical_encodings_are_accepted(codec: MusicCodec, name: str) -> None:
    notes, meter = CASES[name]
    melody = _melody(notes, meter)
    ids = codec.ids(codec.encode_melody(melody))
    grammar = build_grammar(codec, MelodySpec(bars=melody.bars, meter=melody.meter, low=21, high=108))
    state = grammar.feed(ids)
    assert state.bar <= melody.bars - 1
    assert grammar.eos_id in grammar.allowed(state)
    assert state.notes == len(melody.notes)


@pytest.mark.parametrize("meter", [(4, 4), (6, 8), (3, 4), (2, 2), (9, 8), (2, 4)])
def test_random_walks_decode_to_exact_bars(codec: MusicCodec, meter: tuple[int, int]) -> None:
    rng = random.Random(7)
    for bars in (1, 3, 8):
        spec = MelodySpec(bars=bars, meter=Meter(*meter), low=60, high=72, key=KeySpec("D", "minor"), scale="strict")
        grammar = build_grammar(codec, spec)
        allowed_pcs = scale_pitch_classes(spec.key)
        for _ in range(10):
            state, ids = GrammarState(), []
            while state.phase != "done":
                choices = grammar.allowed(state)
                assert choices, state
                token = rng.choice(choices)
                state = grammar.advance(state, token)
                ids.append(token)
            melody = codec.decode_melody(ids, meter=spec.meter, bars=bars)
            assert melody.bars == bars
            assert melody.notes and melody.notes[-1].end <= bars * melody.bar_length + 1e-9
            assert melody.notes[-1].end > (bars - 1) * melody.bar_length  # the last bar sounds
            assert all(60 <= n.pitch <= 72 and n.pitch % 12 in allowed_pcs for n in melody.notes)


def test_first_token_is_bar_and_illegal_tokens_raise(codec: MusicCodec) -> None:
    grammar = build_grammar(codec, MelodySpec(bars=2, meter=Meter(4, 4)))
    assert grammar.allowed(GrammarState()) == [grammar.bar_id]
    with pytest.raises(ModelError):
        grammar.advance(GrammarState(), codec.token_to_id("Pitch_60"))
    state = grammar.feed([grammar.bar_id, grammar.timesig_id])
    assert codec.token_to_id("Position_96") not in grammar.allowed(state)  # past the end of a 4/4 bar
    assert grammar.eos_id not in grammar.allowed(state)  # nothing played yet


def test_no_extra_bar_and_no_note_past_the_end(codec: MusicCodec) -> None:
    grammar = build_grammar(codec, MelodySpec(bars=1, meter=Meter(3, 4), low=21, high=108))
    state = grammar.feed(codec.ids(["Bar_None", "TimeSig_3/4", "Position_0", "Pitch_60"]))
    durations = {codec.id_to_token(i) for i in grammar.allowed(state)}
    assert "Duration_3.0.24" in durations and "Duration_3.1.24" not in durations
    state = grammar.advance(state, codec.token_to_id("Duration_3.0.24"))
    assert grammar.bar_id not in grammar.allowed(state)
    assert grammar.allowed(state) == [grammar.eos_id]


def test_positions_increase_and_notes_do_not_overlap(codec: MusicCodec) -> None:
    grammar = build_grammar(codec, MelodySpec(bars=2, meter=Meter(4, 4), low=21, high=108))
    state = grammar.feed(codec.ids(["Bar_None", "TimeSig_4/4", "Position_0", "Pitch_60", "Duration_1.0.24"]))
    positions = sorted(int(codec.id_to_token(i)[9:]) for i in grammar.allowed(state)
                       if codec.id_to_token(i).startswith("Position_"))
    assert positions == [24, 25, 26]  # right after the note, or a Rest token first
    assert any(codec.id_to_token(i).startswith("Rest_") for i in grammar.allowed(state))


def test_prefix_mode_starts_new_notes_after_the_kept_bars(codec: MusicCodec) -> None:
    melody = _melody([(60, 0, 1), (62, 1, 1), (64, 4, 1)], (4, 4), bars=4)
    kept = slice_bars(melody, 0, 2)
    grammar = build_grammar(codec, MelodySpec(bars=4, meter=Meter(4, 4), keep_bars=2, low=21, high=108))
    state = grammar.feed(codec.ids(codec.encode_melody(kept)))
    for token in grammar.allowed(state):
        name = codec.id_to_token(token)
        if name.startswith("Position_"):
            assert state.bar_start + int(name[9:]) >= 2 * 96


def test_spec_validation() -> None:
    with pytest.raises(ModelError):
        MelodySpec(bars=0, meter=Meter(4, 4))
    with pytest.raises(ModelError):
        MelodySpec(bars=4, meter=Meter(4, 4), scale="strict")  # no key
    with pytest.raises(ModelError):
        MelodySpec(bars=4, meter=Meter(4, 4), low=80, high=70)
    with pytest.raises(ModelError):
        MelodySpec(bars=4, meter=Meter(4, 4), keep_bars=4)


def test_empty_scale_range_is_refused(codec: MusicCodec) -> None:
    spec = MelodySpec(bars=2, meter=Meter(4, 4), low=61, high=61, key=KeySpec("C"), scale="strict")
    with pytest.raises(ModelError, match="no pitch"):
        build_grammar(codec, spec)


def test_doctests() -> None:
    result = doctest.testmod(constraints_module)
    assert result.failed == 0 and result.attempted > 0
