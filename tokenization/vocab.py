"""The joint vocabulary: special, control, chord, MidiTok REMI and byte tokens in one id space.

One model reads and writes music, control tokens and text, so every token has one id:

    PAD BOS EOS SEP MUSIC TEXT UNK                      special tokens (ids 0-6)
    TASK_* STYLE_* KEY_* MODE_* METER_* TEMPO_* BARS_*  control tokens (a prompt's conditions)
    CHORD_<root pc>_<quality>, CHORD_none               chord tokens for the harmony task
    Bar_None, TimeSig_6/8, Position_12, Pitch_60, ...   MidiTok REMI tokens, MidiTok's own strings
    <0x00> ... <0xFF>                                   UTF-8 bytes, so any text is representable

**The vocabulary is append-only.**  vocab.json, saved next to a model, is the truth for that
model.  Tokens added later (subword text tokens, new styles, new meters) go at the *end*:
into `APPENDED` for the vocabulary built from code (a new style in styles.py is appended
automatically), and `Vocabulary.extended` for a saved one; never in the middle, so existing
ids never change and old checkpoints keep working.  A change to REMI_PARAMS that adds MidiTok
tokens puts them inside the REMI block, so it must come with an explicit reordering that
keeps the old block first.  tests/test_codec.py pins a fingerprint of the first 1098 tokens.

No miditok import here: the REMI settings are plain data, turned into a tokenizer in codec.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CodecError
from .music import MODES, KeySpec, Meter, parse_meter
from .styles import STYLE_NAMES

SPECIAL_TOKENS: tuple[str, ...] = ("PAD", "BOS", "EOS", "SEP", "MUSIC", "TEXT", "UNK")
TASKS: tuple[str, ...] = ("melody", "continue", "harmony", "lyrics", "chat")
# Every meter the corpus uses that MidiTok can carry as a TimeSig token (numerator <= 12).
METERS: tuple[str, ...] = (
    "2/4", "3/4", "4/4", "5/4", "6/4", "1/4", "7/4", "8/4",
    "3/8", "4/8", "5/8", "6/8", "7/8", "9/8", "12/8",
    "2/2", "3/2", "4/2", "6/2",
    "2/1", "3/1", "4/1",
)
# Tempo bins (bpm), roughly even on a log scale from 40 to 240; a tempo takes the nearest bin.
TEMPO_BINS: tuple[int, ...] = (40, 50, 60, 72, 88, 108, 132, 160, 200, 240)
MAX_BARS_TOKEN = 64  # BARS_64 means "64 bars or more"
CHORD_QUALITIES: tuple[str, ...] = ("maj", "min", "dim", "aug", "7", "maj7", "m7", "hdim7", "dim7", "sus4")
# Positions per beat (the beat is the meter's denominator): 24 holds 32nds and triplets in n/4.
POSITIONS_PER_BEAT = 24
# Settings of miditok.TokenizerConfig; a change here changes the REMI tokens, so append-only
# rules apply (a new setting must only add tokens, and only with a new vocab.json).
REMI_PARAMS: dict = {
    "pitch_range": (21, 108),  # inclusive: A0..C8, the piano
    "use_pitchdrum_tokens": False,
    "beat_res": {(0, 4): POSITIONS_PER_BEAT, (4, 12): 4, (12, 24): 1},
    "use_velocities": False,
    "use_rests": True,
    "use_time_signatures": True,
    "use_tempos": False,
    "use_chords": False,
    "use_programs": False,
    "special_tokens": ["PAD"],
}
# The styles of the first vocabulary, frozen: a style added to styles.STYLES later gets its
# STYLE_ token appended at the end automatically (see build_tokens), so no id moves.
V1_STYLES: tuple[str, ...] = (
    "german-folk", "lorraine-folk", "luxembourg-folk", "irish-folk", "chinese-han", "chinese-han-xiaodiao",
    "chinese-han-shange", "chinese-han-haozi", "chinese-han-erge", "irish-reel", "irish-jig", "irish-slip-jig",
    "irish-hornpipe", "irish-air", "scottish-strathspey", "scottish-air", "fiddle-tune", "american-fife",
    "bach-chorale",
)
# Tokens added after the first release go here, in order, never anywhere else.
APPENDED: tuple[str, ...] = ()


def time_signature_range() -> dict[int, list[int]]:
    """METERS in MidiTok's form {denominator: [numerators]}.

    >>> time_signature_range()[2]
    [2, 3, 4, 6]
    """
    found: dict[int, list[int]] = {}
    for text in METERS:
        meter = parse_meter(text)
        found.setdefault(meter.denominator, []).append(meter.numerator)
    return {den: sorted(nums) for den, nums in sorted(found.items(), reverse=True)}


def byte_token(value: int) -> str:
    """The token of one UTF-8 byte.

    >>> byte_token(10), byte_token(255)
    ('<0x0A>', '<0xFF>')
    """
    return f"<0x{value:02X}>"


BYTE_TOKENS: tuple[str, ...] = tuple(byte_token(b) for b in range(256))


def meter_token(meter: Meter | str | None) -> str:
    """METER_<n/d> for a supported meter, METER_none for None.

    >>> meter_token("C|"), meter_token(None)
    ('METER_2/2', 'METER_none')
    """
    if meter is None:
        return "METER_none"
    text = str(parse_meter(meter) if isinstance(meter, str) else meter)
    if text not in METERS:
        raise CodecError(f"meter {text} is not in the vocabulary; supported: {', '.join(METERS)}")
    return f"METER_{text}"


def tempo_token(bpm: float | None) -> str:
    """The tempo bin nearest to bpm on a log scale (ratios, not differences, matter for tempo).

    >>> tempo_token(100), tempo_token(120), tempo_token(10), tempo_token(None)
    ('TEMPO_108', 'TEMPO_132', 'TEMPO_40', 'TEMPO_none')
    """
    if bpm is None:
        return "TEMPO_none"
    if bpm <= 0:
        raise CodecError(f"tempo {bpm} bpm is not positive")
    best = min(TEMPO_BINS, key=lambda b: abs(math.log(b / bpm)))
    return f"TEMPO_{best}"


def bars_token(bars: int | None) -> str:
    """BARS_<n>, capped at BARS_64.

    >>> bars_token(8), bars_token(200), bars_token(None)
    ('BARS_8', 'BARS_64', 'BARS_none')
    """
    if bars is None:
        return "BARS_none"
    if bars < 1:
        raise CodecError(f"a melody has at least one bar, not {bars}")
    return f"BARS_{min(int(bars), MAX_BARS_TOKEN)}"


def key_tokens(key: KeySpec | None) -> list[str]:
    """KEY_<tonic pitch class> and MODE_<mode>.

    >>> key_tokens(KeySpec("Bb", "dorian")), key_tokens(None)
    (['KEY_10', 'MODE_dorian'], ['KEY_none', 'MODE_none'])
    """
    if key is None:
        return ["KEY_none", "MODE_none"]
    return [f"KEY_{key.pitch_class}", f"MODE_{key.mode}"]


def chord_token(root_pc: int | None, quality: str | None = None) -> str:
    """CHORD_<root pc>_<quality>; CHORD_none for no chord.

    >>> chord_token(9, "m7"), chord_token(None)
    ('CHORD_9_m7', 'CHORD_none')
    """
    if root_pc is None:
        return "CHORD_none"
    if quality not in CHORD_QUALITIES or not 0 <= root_pc <= 11:
        raise CodecError(f"chord {root_pc} {quality!r} is not in the vocabulary ({', '.join(CHORD_QUALITIES)})")
    return f"CHORD_{root_pc}_{quality}"


def control_token_list() -> list[str]:
    """Every control token, in vocabulary order."""
    tokens = [f"TASK_{t}" for t in TASKS]
    tokens += [f"STYLE_{s}" for s in V1_STYLES] + ["STYLE_none"]
    tokens += [f"KEY_{pc}" for pc in range(12)] + ["KEY_none"]
    tokens += [f"MODE_{m}" for m in MODES] + ["MODE_none"]
    tokens += [f"METER_{m}" for m in METERS] + ["METER_none"]
    tokens += [f"TEMPO_{b}" for b in TEMPO_BINS] + ["TEMPO_none"]
    tokens += [f"BARS_{n}" for n in range(1, MAX_BARS_TOKEN + 1)] + ["BARS_none"]
    return tokens


def chord_token_list() -> list[str]:
    return [f"CHORD_{pc}_{q}" for pc in range(12) for q in CHORD_QUALITIES] + ["CHORD_none"]


def build_tokens(remi_tokens: list[str]) -> tuple[str, ...]:
    """The vocabulary in id order, given MidiTok's REMI tokens in MidiTok's id order."""
    remi = [t for t in remi_tokens if t.split("_")[0] not in ("PAD", "BOS", "EOS", "MASK")]
    new_styles = [f"STYLE_{s}" for s in STYLE_NAMES if s not in V1_STYLES]
    tokens = (*SPECIAL_TOKENS, *control_token_list(), *chord_token_list(), *remi, *BYTE_TOKENS, *APPENDED, *new_styles)
    if len(set(tokens)) != len(tokens):
        raise CodecError("the vocabulary has duplicate tokens")
    return tokens


@dataclass(frozen=True)
class Vocabulary:
    """Tokens in id order plus the reverse index; loaded from or saved to vocab.json."""

    tokens: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})
        if len(self.index) != len(self.tokens):
            raise CodecError("the vocabulary has duplicate tokens")

    def __len__(self) -> int:
        return len(self.tokens)

    def save(self, path: Path) -> None:
        blob = {"format": "tunesmith-vocab", "version": 1, "tokens": list(self.tokens)}
        Path(path).write_text(json.dumps(blob, ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        try:
            blob = json.loads(Path(path).read_text(encoding="utf-8"))
            tokens = tuple(blob["tokens"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CodecError(f"cannot read the vocabulary {path}: {err}") from err
        return cls(tokens)

    def extended(self, new_tokens: list[str] | tuple[str, ...]) -> Vocabulary:
        """This vocabulary with tokens appended (those already present are skipped), ids unchanged.

        >>> Vocabulary(("PAD", "BOS")).extended(["BOS", "▁the"]).tokens
        ('PAD', 'BOS', '▁the')
        """
        fresh = [t for t in dict.fromkeys(new_tokens) if t not in self.index]
        return Vocabulary((*self.tokens, *fresh))

    def extends(self, older: Vocabulary) -> bool:
        """True when this vocabulary keeps every id of `older` (the append-only rule)."""
        return self.tokens[: len(older.tokens)] == older.tokens
