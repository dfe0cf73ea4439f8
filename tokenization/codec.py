"""MusicCodec: melodies, control tokens and text to ids of the joint vocabulary and back.

Music goes through MidiTok REMI (no velocities, rests on, one TimeSig token per bar, no BPE so
that generation can be constrained token by token).  A Melody becomes a symusic Score at 48
ticks per quarter directly (music.GRID, so no rounding and no music21 MIDI writing); MidiTok
then emits `Bar_None TimeSig_n/d [Rest_b.p.r] Position_i Pitch_p Duration_b.p.r ...`.
Position, Duration and Rest values count *beats of the meter's denominator* (an eighth in
6/8, a half in 2/2) at POSITIONS_PER_BEAT positions per beat, as MidiTok defines them; the
tables below convert them to quarter lengths for a grammar-constrained decoder.

The vocabulary itself (what exists, in what order, append-only) lives in vocab.py.
miditok's own `__init__` imports torch (for its PyTorch datasets only), so it is imported inside
the class, through `_miditok`, which skips that part.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

from .errors import CodecError, MusicValueError
from .music import GRID, KeySpec, Melody, Meter, Note, parse_key, parse_meter
from .styles import get_style
from .vocab import BYTE_TOKENS, METERS, REMI_PARAMS, SPECIAL_TOKENS, TASKS, Vocabulary, bars_token, build_tokens, key_tokens, meter_token, tempo_token, time_signature_range

MIDITOK_FILE = "miditok.json"
VOCAB_FILE = "vocab.json"
VELOCITY = 90
# Token types the melody decoder skips: everything that is not music in the REMI sense.
_NON_MUSIC = {*SPECIAL_TOKENS, "TASK", "STYLE", "KEY", "MODE", "METER", "TEMPO", "BARS", "CHORD"}


def _miditok():
    """The miditok package, imported without torch when torch is not loaded yet.

    `miditok/__init__.py` imports `miditok.pytorch_data` (torch: a second of a cold start) inside
    `try/except ImportError`; a None entry in sys.modules makes that one import fail, so the rest
    loads as usual.  The entry is removed afterwards: code that wants the datasets can still
    `import miditok.pytorch_data`.
    """
    import sys

    data = "miditok.pytorch_data"
    if "miditok" not in sys.modules and data not in sys.modules and "torch" not in sys.modules:
        sys.modules[data] = None  # type: ignore[assignment]
        try:
            import miditok  # noqa: F401
        finally:
            if data in sys.modules and sys.modules[data] is None:
                del sys.modules[data]
    import miditok

    return miditok


def token_type(token: str) -> str:
    """The type of a token: the part before the first '_', or 'Byte' for a byte token.

    >>> token_type("Duration_1.0.24"), token_type("STYLE_irish-jig"), token_type("<0x41>"), token_type("BOS")
    ('Duration', 'STYLE', 'Byte', 'BOS')
    """
    if token.startswith("<0x") and token.endswith(">"):
        return "Byte"
    return token.split("_", 1)[0]


def _beats(value: str) -> Fraction:
    """Beats of a MidiTok time value 'beat.pos.res'.

    >>> _beats("1.12.24")
    Fraction(3, 2)
    """
    beat, pos, res = (int(x) for x in value.split("."))
    return beat + Fraction(pos, res)


class MusicCodec:
    """The joint vocabulary plus the REMI tokenizer: the one stateful tokenization object."""

    def __init__(self, vocab: Vocabulary | None = None, *, miditok_params: Path | None = None) -> None:
        REMI, TokenizerConfig = _miditok().REMI, _miditok().TokenizerConfig

        if miditok_params is not None:
            try:
                self._remi = REMI(params=Path(miditok_params))
            except (OSError, ValueError, KeyError) as err:
                raise CodecError(f"cannot load the MidiTok settings {miditok_params}: {err}") from err
        else:
            config = TokenizerConfig(time_signature_range=time_signature_range(), **REMI_PARAMS)
            self._remi = REMI(config)
        remi_tokens = [t for t, _ in sorted(self._remi.vocab.items(), key=lambda item: item[1])]
        self.vocab = vocab if vocab is not None else Vocabulary(build_tokens(remi_tokens))
        needed = [*SPECIAL_TOKENS, *BYTE_TOKENS, *(t for t in remi_tokens if not t.startswith("PAD"))]
        missing = [t for t in needed if t not in self.vocab.index]
        if missing:
            raise CodecError(f"vocab.json lacks {len(missing)} tokens the tokenizer needs, e.g. {missing[0]}")
        self.positions_per_beat = int(self._remi.config.max_num_pos_per_beat)
        self._build_tables()

    # ---- tables built once -------------------------------------------------------------
    def _values(self, kind: str, parse) -> dict:
        """id -> parse(value) for every token of one type ('Pitch_60' -> parse('60'))."""
        return {i: parse(self.vocab.tokens[i][len(kind) + 1:]) for i in self.ids_of_type(kind)}

    def _build_tables(self) -> None:
        index = self.vocab.index
        self.vocab_size = len(self.vocab)
        self.pad_id, self.bos_id, self.eos_id = index["PAD"], index["BOS"], index["EOS"]
        self.sep_id, self.music_id, self.text_id, self.unk_id = (index[t] for t in ("SEP", "MUSIC", "TEXT", "UNK"))
        self._by_type: dict[str, list[int]] = {}
        for i, token in enumerate(self.vocab.tokens):
            self._by_type.setdefault(token_type(token), []).append(i)
        self._remi_ids = frozenset(index[t] for t in self._remi.vocab if t in index and not t.startswith("PAD"))
        # id -> value tables for a grammar-constrained decoder (times in beats of the meter's denominator)
        self.pitch_of: dict[int, int] = self._values("Pitch", int)
        self.position_beats: dict[int, Fraction] = self._values(
            "Position", lambda v: Fraction(int(v), self.positions_per_beat))
        self.duration_beats: dict[int, Fraction] = self._values("Duration", _beats)
        self.rest_beats: dict[int, Fraction] = self._values("Rest", _beats)
        self.timesig_meter: dict[int, Meter] = self._values("TimeSig", parse_meter)
        self.byte_of: dict[int, int] = {index[t]: b for b, t in enumerate(BYTE_TOKENS)}
        times = {**self.position_beats, **self.duration_beats, **self.rest_beats}
        self._quarter: dict[int, dict[int, Fraction]] = {
            den: {i: v * Fraction(4, den) for i, v in times.items()}
            for den in self._remi.config.time_signature_range
        }
        self._duration_set = set(self.duration_beats.values())

    @property
    def type_graph(self) -> dict[str, set[str]]:
        """MidiTok's allowed successions of REMI token types ('Pitch' -> {'Duration'}, ...)."""
        kinds = {token_type(self.vocab.tokens[i]) for i in self._remi_ids}
        return {k: set(v) & kinds for k, v in self._remi.tokens_types_graph.items() if k in kinds}

    def quarter_lengths(self, meter: Meter | str) -> dict[int, Fraction]:
        """id -> quarter lengths of every Position/Duration/Rest token under a meter (exact; do not modify)."""
        meter = parse_meter(meter) if isinstance(meter, str) else meter
        if meter.denominator not in self._quarter:
            raise CodecError(f"meter {meter} is not in the vocabulary; supported: {', '.join(METERS)}")
        return self._quarter[meter.denominator]

    def bar_positions(self, meter: Meter | str) -> int:
        """How many Position tokens one bar of this meter uses (Position_0 .. Position_<n-1>)."""
        meter = parse_meter(meter) if isinstance(meter, str) else meter
        return meter.numerator * self.positions_per_beat

    def timesig_token(self, meter: Meter | str) -> str:
        meter_token(meter)  # validates
        return f"TimeSig_{parse_meter(meter) if isinstance(meter, str) else meter}"

    # ---- ids and tokens ----------------------------------------------------------------
    def token_to_id(self, token: str) -> int:
        try:
            return self.vocab.index[token]
        except KeyError:
            raise CodecError(f"token {token!r} is not in the vocabulary") from None

    def id_to_token(self, token_id: int) -> str:
        if not 0 <= token_id < self.vocab_size:
            raise CodecError(f"token id {token_id} is outside the vocabulary (size {self.vocab_size})")
        return self.vocab.tokens[token_id]

    def ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.token_to_id(t) for t in tokens]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.id_to_token(int(i)) for i in ids]

    def ids_of_type(self, prefix: str) -> list[int]:
        """Ids whose token type is `prefix` ('Pitch', 'Position', 'Duration', 'Bar', 'Rest', 'TimeSig',
        'STYLE', 'CHORD', 'Byte', ...); an unknown type gives an empty list."""
        return list(self._by_type.get(prefix, ()))

    # ---- control tokens ----------------------------------------------------------------
    def control_tokens(
        self, *, task: str, style: str | None = None, key: KeySpec | str | None = None,
        meter: Meter | str | None = None, tempo: float | None = None, bars: int | None = None,
    ) -> list[str]:
        """TASK STYLE KEY MODE METER TEMPO BARS, in that order; None gives the *_none token."""
        if task not in TASKS:
            raise CodecError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
        style_tok = "STYLE_none" if style is None else f"STYLE_{get_style(style).name}"
        if isinstance(key, str):
            key = parse_key(key)
        tokens = [f"TASK_{task}", style_tok, *key_tokens(key), meter_token(meter), tempo_token(tempo), bars_token(bars)]
        for token in tokens:
            self.token_to_id(token)
        return tokens

    # ---- melodies ----------------------------------------------------------------------
    def _check_encodable(self, melody: Melody) -> None:
        meter_token(melody.meter)
        beat = Fraction(4, melody.meter.denominator)
        low, high = self._remi.config.pitch_range
        for note in melody.notes:
            if not low <= note.pitch <= high:
                raise CodecError(f"pitch {note.pitch} at {note.onset} is outside the tokenizer's range {low}-{high}")
            onset = Fraction(round(note.onset * GRID), GRID) / beat
            if (onset * self.positions_per_beat).denominator != 1:
                raise CodecError(f"the onset {note.onset} is finer than the tokenizer's grid in {melody.meter}")
            if Fraction(round(note.duration * GRID), GRID) / beat not in self._duration_set:
                raise CodecError(f"the duration {note.duration} at {note.onset} has no Duration token in {melody.meter}")

    def _score(self, melody: Melody):
        from symusic import Note as SNote
        from symusic import Score, TimeSignature, Track

        score = Score(GRID)
        track = Track(program=0, name="melody")
        for note in melody.notes:
            track.notes.append(SNote(round(note.onset * GRID), round(note.duration * GRID), note.pitch, VELOCITY))
        score.tracks.append(track)
        score.time_signatures.append(TimeSignature(0, melody.meter.numerator, melody.meter.denominator))
        return score

    def encode_melody(self, melody: Melody) -> list[str]:
        """REMI tokens of a melody (raises CodecError where the tokenizer cannot hold it exactly)."""
        self._check_encodable(melody)
        timesig = self.timesig_token(melody.meter)
        if not melody.notes:
            return ["Bar_None", timesig]
        sequences = self._remi.encode(self._score(melody))
        if len(sequences) != 1:
            raise CodecError(f"MidiTok made {len(sequences)} token streams from one melody")
        return list(sequences[0].tokens)

    def _music_tokens(self, tokens: Iterable[str | int], meter: Meter) -> list[str]:
        """The REMI tokens of a mixed sequence, checked; control and special tokens are dropped."""
        timesig = self.timesig_token(meter)
        music: list[str] = []
        for item in tokens:
            token = self.id_to_token(int(item)) if not isinstance(item, str) else item
            if token_type(token) in _NON_MUSIC:
                continue
            if self.vocab.index.get(token) not in self._remi_ids:
                raise CodecError(f"token {token!r} is not a music token, so the melody cannot be decoded")
            if token.startswith("TimeSig_") and token != timesig:
                raise CodecError(f"the tokens say {token[8:]} but the meter is {meter}")
            music.append(token)
        positions = self.bar_positions(meter)
        for index, token in enumerate(music):
            following = music[index + 1] if index + 1 < len(music) else ""
            if token.startswith("Pitch_") and not following.startswith("Duration_"):
                raise CodecError(f"{token} at token {index} is not followed by a Duration token")
            if token.startswith("Duration_") and not (index and music[index - 1].startswith("Pitch_")):
                raise CodecError(f"{token} at token {index} does not follow a Pitch token")
            if token.startswith("Position_") and int(token[9:]) >= positions:
                raise CodecError(f"{token} lies beyond the end of a {meter} bar")
        return [timesig, *music] if timesig not in music else music

    def decode_melody(
        self, tokens: Iterable[str | int], *, meter: Meter | str, key: KeySpec | str | None = None,
        tempo: int = 100, bars: int | None = None,
    ) -> Melody:
        """The Melody of a token (or id) sequence; special, control and chord tokens are skipped."""
        TokSequence = _miditok().TokSequence

        meter = parse_meter(meter) if isinstance(meter, str) else meter
        key = parse_key(key) if isinstance(key, str) else key
        music = self._music_tokens(tokens, meter)
        expected = sum(t.startswith("Pitch_") for t in music)
        notes: list[Note] = []
        if expected:
            score = self._remi.decode([TokSequence(tokens=music)])
            tpq = score.ticks_per_quarter
            found = [n for track in score.tracks for n in track.notes]
            if len(found) != expected:
                raise CodecError(f"{expected} Pitch tokens decoded to {len(found)} notes (two notes at one time?)")
            if any(b.time <= a.time for a, b in zip(found, found[1:])):
                raise CodecError("the tokens go back in time (a Position before the previous note)")
            for n in found:
                notes.append(Note(int(n.pitch), float(Fraction(n.time, tpq)), float(Fraction(n.duration, tpq))))
        try:
            melody = Melody(notes=tuple(notes), meter=meter, key=key, tempo=int(tempo))
            if bars is not None and bars != melody.bars:
                melody = Melody(notes=melody.notes, meter=meter, key=key, tempo=int(tempo), bars=int(bars))
        except MusicValueError as err:
            raise CodecError(f"the tokens do not make a valid melody: {err}") from err
        return melody

    def melody_sequence(self, melody: Melody, *, task: str = "melody", style: str | None = None) -> list[int]:
        """The training format: BOS, control tokens, MUSIC, REMI tokens, EOS (as ids)."""
        controls = self.control_tokens(task=task, style=style, key=melody.key, meter=melody.meter,
                                       tempo=melody.tempo, bars=melody.bars)
        return [self.bos_id, *self.ids(controls), self.music_id, *self.ids(self.encode_melody(melody)), self.eos_id]

    # ---- text --------------------------------------------------------------------------
    def encode_text(self, text: str) -> list[str]:
        """Byte tokens of the UTF-8 text (any language; subword tokens come later)."""
        return [BYTE_TOKENS[b] for b in text.encode("utf-8")]

    def decode_text(self, tokens: Iterable[str | int]) -> str:
        """Text from byte tokens; special and control tokens are skipped, a broken UTF-8 tail becomes U+FFFD."""
        data = bytearray()
        for item in tokens:
            token = self.id_to_token(int(item)) if not isinstance(item, str) else item
            kind = token_type(token)
            if kind == "Byte" and token in self.vocab.index:
                data.append(int(token[3:5], 16))
            elif kind not in _NON_MUSIC:
                raise CodecError(f"token {token!r} is not text")
        return data.decode("utf-8", errors="replace")

    # ---- files -------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        """Write miditok.json (not tokenizer.json, which HF tokenizers own) and vocab.json."""
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._remi.save(directory, filename=MIDITOK_FILE)
            self.vocab.save(directory / VOCAB_FILE)
        except OSError as err:
            raise CodecError(f"cannot write the tokenizer to {directory}: {err}") from err
        return directory


def load_codec(directory: Path | str) -> MusicCodec:
    """The codec saved in a folder (vocab.json + miditok.json)."""
    directory = Path(directory)
    for name in (VOCAB_FILE, MIDITOK_FILE):
        if not (directory / name).is_file():
            raise CodecError(f"{directory} has no {name}; it is not a saved tunesmith tokenizer")
    return MusicCodec(Vocabulary.load(directory / VOCAB_FILE), miditok_params=directory / MIDITOK_FILE)


def default_codec() -> MusicCodec:
    """The codec built from code (the same vocabulary a fresh save would write)."""
    return MusicCodec()
