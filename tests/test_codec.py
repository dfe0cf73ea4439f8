"""The joint vocabulary and MusicCodec: exact melody round trips, control tokens, text, save/load."""

from __future__ import annotations

import doctest
import hashlib
from fractions import Fraction

import pytest

from tunesmith.tokenization import codec as codec_module
from tunesmith.tokenization import vocab as vocab_module
from tunesmith.tokenization.codec import MusicCodec, default_codec, load_codec
from tunesmith.tokenization.errors import CodecError
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note
from tunesmith.tokenization.styles import STYLE_NAMES
from tunesmith.tokenization.vocab import METERS, SPECIAL_TOKENS, Vocabulary

# The first release's vocabulary; ids below V1_SIZE must never change (the append-only rule).
V1_SIZE = 1098
V1_SHA1 = "75f3e180c0bd5b2d544cb4a84c23a5ce5e47be88"


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def _melody(notes, meter=(4, 4), bars=0, key=KeySpec("G")) -> Melody:
    return Melody(notes=tuple(Note(p, o, d) for p, o, d in notes), meter=Meter(*meter), key=key, tempo=96, bars=bars)


def _round_trip(codec: MusicCodec, melody: Melody) -> Melody:
    tokens = codec.encode_melody(melody)
    return codec.decode_melody(tokens, meter=melody.meter, key=melody.key, tempo=melody.tempo, bars=melody.bars)


def _same(a: Melody, b: Melody) -> bool:
    def cells(m: Melody):
        return [(n.pitch, n.onset, n.duration) for n in m.notes]

    return cells(a) == cells(b) and a.bars == b.bars and a.meter == b.meter


@pytest.mark.parametrize("module", [vocab_module, codec_module])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


HAND_BUILT = {
    "4/4 plain": ([(60, 0, 1), (62, 1, 1), (64, 2, 2), (65, 4, 4)], (4, 4)),
    "6/8 jig": ([(67, 0, 0.5), (69, 0.5, 0.5), (71, 1, 0.5), (72, 1.5, 1.5), (74, 3, 1), (72, 4, 0.5),
                 (71, 4.5, 1.5)], (6, 8)),
    "2/2 reel with 16ths": ([(62, 0, 0.5), (64, 0.5, 0.25), (66, 0.75, 0.25), (67, 1, 1), (69, 2, 2),
                             (71, 4, 4)], (2, 2)),
    "3/2 minims": ([(65, 0, 2), (67, 2, 2), (69, 4, 2), (70, 6, 3), (69, 9, 1), (67, 10, 2)], (3, 2)),
    "pickup = leading rest": ([(62, 3, 1), (67, 4, 1.5), (66, 5.5, 0.5), (67, 6, 2)], (4, 4)),
    "rests in the middle": ([(60, 0, 1), (64, 2, 0.5), (67, 6.5, 0.5), (72, 12, 4)], (4, 4)),
    "triplets": ([(60, 0, 1 / 3), (62, 1 / 3, 1 / 3), (64, 2 / 3, 1 / 3), (65, 1, 1 / 6), (67, 7 / 6, 1 / 6),
                  (69, 4 / 3, 2 / 3), (71, 2, 2 / 3), (72, 8 / 3, 4 / 3)], (4, 4)),
    "dotted rhythms": ([(60, 0, 1.5), (62, 1.5, 0.5), (64, 2, 0.75), (65, 2.75, 0.25), (67, 3, 3), (65, 6, 0.125),
                        (64, 6.125, 0.875)], (3, 4)),
    "long tied notes across bars": ([(60, 0, 6), (67, 6, 9), (72, 15, 1), (60, 16, 16)], (4, 4)),
    "6/8 note held over a bar": ([(64, 0, 4.5), (62, 4.5, 1.5), (60, 6, 6)], (6, 8)),
    "3/8 with 32nds": ([(71, 0, 0.125), (72, 0.125, 0.125), (74, 0.25, 0.25), (76, 0.5, 1), (74, 1.5, 1.5)], (3, 8)),
    "4/2 breves": ([(60, 0, 8), (62, 8, 4), (64, 12, 4)], (4, 2)),
    "12/8": ([(60, 0, 1.5), (62, 1.5, 1), (64, 2.5, 0.5), (65, 3, 3), (64, 6, 4.5)], (12, 8)),
    "pitch range ends": ([(21, 0, 1), (108, 1, 1)], (2, 4)),
}


@pytest.mark.parametrize("name", list(HAND_BUILT))
def test_hand_built_melodies_round_trip_exactly(codec: MusicCodec, name: str) -> None:
    notes, meter = HAND_BUILT[name]
    melody = _melody(notes, meter)
    assert _same(_round_trip(codec, melody), melody)


def test_trailing_empty_bars_survive_through_the_bars_argument(codec: MusicCodec) -> None:
    melody = _melody([(60, 0, 1)], bars=4)
    assert _round_trip(codec, melody).bars == 4
    assert codec.decode_melody(codec.encode_melody(melody), meter="4/4").bars == 1


def test_empty_melody(codec: MusicCodec) -> None:
    melody = _melody([], bars=2)
    assert codec.encode_melody(melody) == ["Bar_None", "TimeSig_4/4"]
    assert _round_trip(codec, melody).notes == ()


def test_a_pickup_starts_with_bar_and_time_signature(codec: MusicCodec) -> None:
    tokens = codec.encode_melody(_melody(*HAND_BUILT["pickup = leading rest"]))
    assert tokens[:2] == ["Bar_None", "TimeSig_4/4"] and "Pitch_62" in tokens[2:5]


def _corpus_melodies():
    music21 = pytest.importorskip("music21")
    from tunesmith.tokenization.m21 import stream_to_melody

    picks = [("essenFolksong/ballad80", 58), ("essenFolksong/folkHaydn", 30), ("essenFolksong/altdeu10", 112),
             ("essenFolksong/ballad70", 91), ("essenFolksong/han1", 494)]
    melodies = [stream_to_melody(music21.corpus.parse(name, number=number)) for name, number in picks]
    melodies.append(stream_to_melody(music21.corpus.parse("bach/bwv2.6")))
    return melodies


def test_corpus_tunes_round_trip_exactly(codec: MusicCodec) -> None:
    melodies = _corpus_melodies()
    assert {str(m.meter) for m in melodies} >= {"6/8", "2/2", "3/2", "3/8", "2/4", "4/4"}
    for melody in melodies:
        assert len(melody.notes) > 10
        assert _same(_round_trip(codec, melody), melody)


def test_melody_sequence_is_the_training_format(codec: MusicCodec) -> None:
    melody = _melody(*HAND_BUILT["6/8 jig"])
    ids = codec.melody_sequence(melody, task="melody", style="jig")
    tokens = codec.tokens(ids)
    assert tokens[:9] == ["BOS", "TASK_melody", "STYLE_irish-jig", "KEY_7", "MODE_major", "METER_6/8",
                          "TEMPO_88", "BARS_2", "MUSIC"]
    assert tokens[-1] == "EOS" and tokens[9:-1] == codec.encode_melody(melody)
    # decode skips the special and control tokens and takes ids as well as strings
    assert _same(codec.decode_melody(ids, meter="6/8"), melody)


def test_control_tokens_exist_for_every_style_and_value(codec: MusicCodec) -> None:
    for style in STYLE_NAMES:
        assert codec.control_tokens(task="melody", style=style)[1] == f"STYLE_{style}"
    for meter in METERS:
        assert {f"METER_{meter}", f"TimeSig_{meter}"} <= codec.vocab.index.keys()  # token_to_id would raise
    assert codec.control_tokens(task="chat") == ["TASK_chat", "STYLE_none", "KEY_none", "MODE_none",
                                                 "METER_none", "TEMPO_none", "BARS_none"]
    full = codec.control_tokens(task="harmony", style="bach-chorale", key="F# minor", meter="C|", tempo=240, bars=70)
    assert full == ["TASK_harmony", "STYLE_bach-chorale", "KEY_6", "MODE_minor", "METER_2/2", "TEMPO_240", "BARS_64"]
    for bad in ({"task": "dance"}, {"task": "melody", "meter": "5/16"}, {"task": "melody", "bars": 0}):
        with pytest.raises(CodecError):
            codec.control_tokens(**bad)


def test_vocabulary_layout(codec: MusicCodec) -> None:
    assert codec.tokens(range(len(SPECIAL_TOKENS))) == list(SPECIAL_TOKENS)
    assert (codec.pad_id, codec.bos_id, codec.eos_id) == (0, 1, 2)
    assert len(codec.ids_of_type("Byte")) == 256 and len(codec.ids_of_type("Pitch")) == 88
    assert len(codec.ids_of_type("CHORD")) == 12 * 10 + 1 and codec.ids_of_type("Velocity") == []
    assert codec.vocab_size == len(set(codec.vocab.tokens))
    with pytest.raises(CodecError):
        codec.token_to_id("Pitch_200")
    with pytest.raises(CodecError):
        codec.id_to_token(codec.vocab_size)


def test_vocabulary_is_append_only() -> None:
    tokens = default_codec().vocab.tokens
    assert len(tokens) >= V1_SIZE
    assert hashlib.sha1("\n".join(tokens[:V1_SIZE]).encode()).hexdigest() == V1_SHA1


def test_value_tables_for_constrained_decoding(codec: MusicCodec) -> None:
    assert codec.pitch_of[codec.token_to_id("Pitch_60")] == 60
    eighths = codec.quarter_lengths("6/8")
    quarters = codec.quarter_lengths(Meter(3, 4))
    assert eighths[codec.token_to_id("Duration_1.0.24")] == Fraction(1, 2)
    assert quarters[codec.token_to_id("Duration_1.12.24")] == Fraction(3, 2)
    assert quarters[codec.token_to_id("Position_8")] == Fraction(1, 3)
    assert codec.rest_beats[codec.token_to_id("Rest_2.0.2")] == 2
    assert codec.bar_positions("6/8") == 144 and codec.timesig_meter[codec.token_to_id("TimeSig_3/2")] == Meter(3, 2)
    assert codec.type_graph["Pitch"] == {"Duration"}


@pytest.mark.parametrize(
    "notes, meter",
    [([(20, 0, 1)], (4, 4)), ([(60, 1 / 48, 1)], (4, 4)), ([(60, 0, 1)], (5, 16)), ([(60, 0, 1 / 48)], (4, 4))],
)
def test_what_the_tokenizer_cannot_hold_fails_clearly(codec: MusicCodec, notes, meter) -> None:
    with pytest.raises(CodecError) as info:
        codec.encode_melody(_melody(notes, meter))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "tokens",
    [["Bar_None", "Position_0", "Pitch_60"], ["Bar_None", "Duration_1.0.24"], ["Bar_None", "<0x41>"],
     ["Bar_None", "TimeSig_3/4"], ["Bar_None", "Position_96", "Pitch_60", "Duration_1.0.24"], ["Pitch_600"],
     ["Bar_None", "Position_0", "Pitch_60", "Duration_2.0.24", "Position_24", "Pitch_62", "Duration_1.0.24"],
     ["Bar_None", "Position_48", "Pitch_60", "Duration_0.12.24", "Position_0", "Pitch_62", "Duration_0.12.24"]],
)
def test_undecodable_tokens_raise_codec_error(codec: MusicCodec, tokens) -> None:
    with pytest.raises(CodecError):
        codec.decode_melody(tokens, meter="4/4")


def test_text_round_trips_english_and_chinese(codec: MusicCodec) -> None:
    for text in ("Write me a jig in D, please!", "我想写一首关于月亮的歌。", ""):
        tokens = codec.encode_text(text)
        assert codec.decode_text(tokens) == text and codec.decode_text(codec.ids(tokens)) == text
    assert len(codec.encode_text("月")) == 3
    assert codec.decode_text(["TEXT", "<0x68>", "<0x69>", "EOS"]) == "hi"
    assert codec.decode_text(["<0xE6>"]) == "\ufffd"
    with pytest.raises(CodecError):
        codec.decode_text(["Pitch_60"])


def test_save_and_load_give_the_same_codec(codec: MusicCodec, tmp_path) -> None:
    codec.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["miditok.json", "vocab.json"]
    loaded = load_codec(tmp_path)
    assert loaded.vocab.tokens == codec.vocab.tokens and loaded.vocab_size == codec.vocab_size
    melody = _melody(*HAND_BUILT["triplets"])
    assert loaded.encode_melody(melody) == codec.encode_melody(melody)
    assert loaded.vocab.extends(codec.vocab)
    with pytest.raises(CodecError):
        load_codec(tmp_path / "missing")


def test_a_loaded_vocabulary_keeps_its_ids(codec: MusicCodec, tmp_path) -> None:
    codec.save(tmp_path)
    grown = Vocabulary((*codec.vocab.tokens, "▁hello", "▁world"))
    grown.save(tmp_path / "vocab.json")
    loaded = load_codec(tmp_path)
    assert loaded.vocab_size == codec.vocab_size + 2 and loaded.token_to_id("▁world") == codec.vocab_size + 1
    assert loaded.token_to_id("Pitch_60") == codec.token_to_id("Pitch_60")
    (tmp_path / "vocab.json").write_text('{"tokens": ["PAD"]}', encoding="utf-8")
    with pytest.raises(CodecError):
        load_codec(tmp_path)
