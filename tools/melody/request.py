"""What a melody request is, how loose controls become one, and bar slicing for prefixes."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from ...tokenization.errors import MusicValueError
from ...tokenization.music import KeySpec, Melody, Meter, parse_key, parse_meter, slice_bars, snap
from ...tokenization.pitch import ALTERATION, COMMON_TONICS, PITCH_CLASS
from ...tokenization.styles import get_style
from ..errors import ToolError

MAX_BARS = 64
VOICE_RANGES = {"soprano": (60, 81), "alto": (53, 74), "tenor": (48, 69), "bass": (40, 64)}
DEFAULT_RANGE = (57, 81)  # A3-A5: comfortable for most instruments and a trained voice
FIDDLE_RANGE = (55, 86)  # G3-D6: fiddle tunes run higher and wider
FIDDLE_STYLES = ("irish-", "scottish-", "fiddle-tune", "american-fife")
_NOTE_RE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")


def parse_pitch(text: str) -> int:
    """A MIDI number from 'C4', 'Bb3', 'F#5' or '60'.

    >>> parse_pitch("C4"), parse_pitch("Bb3"), parse_pitch("72")
    (60, 58, 72)
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _NOTE_RE.match(text)
    if not match:
        raise ToolError(f"cannot read the pitch {text!r}; write it like C4, F#3 or Bb5")
    pc = PITCH_CLASS[match.group(1).upper()] + ALTERATION[match.group(2)]
    return pc + 12 * (int(match.group(3)) + 1)


def parse_range(text: str) -> tuple[int, int]:
    """A pitch range from 'C4-A5', '60-81' or a voice name.

    >>> parse_range("C4-A5"), parse_range("alto")
    ((60, 81), (53, 74))
    """
    name = text.strip().lower()
    if name in VOICE_RANGES:
        return VOICE_RANGES[name]
    parts = re.split(r"\s*(?:-|–|to|\.\.)\s*", text.strip(), maxsplit=1)
    if len(parts) != 2:
        raise ToolError(f"cannot read the range {text!r}; write it like C4-A5 or name a voice (soprano, alto, tenor, bass)")
    low, high = parse_pitch(parts[0]), parse_pitch(parts[1])
    if not 21 <= low < high <= 108 or high - low < 7:
        raise ToolError(f"the range {text!r} must span at least a fifth inside A0-C8")
    return low, high


@dataclass(frozen=True, slots=True)
class MelodyRequest:
    """Everything that decides a melody; defaults are filled by `build_request`."""

    key: KeySpec
    meter: Meter
    tempo: int
    bars: int
    low: int
    high: int
    style: str | None = None
    seed: int = 0
    temperature: float = 0.9
    top_p: float = 0.95
    attempts: int = 3  # rounds of sampling before giving up
    # melodies sampled together per round (one batched pass).  2, not 4: end to end over 10 styles x 5
    # (eval/bench_sampling.py) p50/p90 CPU 0.30/0.78 s vs 0.47/1.15 s with 4; rounds 1.04 vs 1.00, key 100%.
    candidates: int = 2
    scale: str = "strict"
    adapter: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.bars <= MAX_BARS:
            raise ToolError(f"{self.bars} bars is outside 1-{MAX_BARS}")
        if not 20 <= self.tempo <= 400:
            raise ToolError(f"tempo {self.tempo} bpm is outside 20-400")
        if not 21 <= self.low < self.high <= 108:
            raise ToolError(f"pitch range {self.low}-{self.high} is not inside MIDI 21-108")
        if not 0.1 <= self.temperature <= 2.0:
            raise ToolError(f"temperature {self.temperature} is outside 0.1-2.0")

    @property
    def style_token(self) -> str | None:
        """The style given to the model; user-trained styles are adapters, not control tokens."""
        return None if self.adapter and self.style == self.adapter else self.style


def build_request(*, style: str | None = None, key: str | KeySpec | None = None, mode: str | None = None,
                  meter: str | Meter | None = None, tempo: int | None = None, bars: int = 8,
                  range_: str | tuple[int, int] | None = None, seed: int | None = None,
                  temperature: float = 0.9, adapters: tuple[str, ...] = ()) -> MelodyRequest:
    """Turn loose controls into a request: style defaults for meter, tempo and range; a seeded key choice."""
    try:
        style_name, adapter = None, None
        if style and style in adapters:
            style_name, adapter = style, style
        elif style:
            style_name = get_style(style).name
        if seed is None:
            seed = random.SystemRandom().randrange(1, 10**6)
        if isinstance(key, str):
            key_spec = parse_key(key, mode=mode)
        elif key is None:
            key_spec = _default_key(mode=mode, seed=seed)
        else:
            key_spec = key
        if isinstance(meter, str):
            meter = parse_meter(meter)
        style_info = get_style(style_name) if style_name and not adapter else None
        meter = meter or parse_meter(style_info.meter if style_info else "4/4")
        tempo = tempo or (style_info.tempo if style_info else 100)
    except MusicValueError as err:
        raise ToolError(str(err)) from err
    if isinstance(range_, str):
        low, high = parse_range(range_)
    elif range_ is not None:
        low, high = range_
    else:
        fiddle = style_name and style_name.startswith(FIDDLE_STYLES)
        low, high = FIDDLE_RANGE if fiddle else DEFAULT_RANGE
    return MelodyRequest(key=key_spec, meter=meter, tempo=int(tempo), bars=int(bars), low=low, high=high,
                         style=style_name, seed=int(seed), temperature=temperature, adapter=adapter)


def _default_key(*, mode: str | None, seed: int) -> KeySpec:
    """A common key for the mode, chosen by the seed (so the same seed gives the same key)."""
    mode = mode or "major"
    tonics = COMMON_TONICS.get(mode)
    if tonics is None:
        raise ToolError(f"unknown mode {mode!r}; use major, minor, dorian or mixolydian")
    return KeySpec(tonics[random.Random(seed).randrange(len(tonics))], mode)


def melody_spec(request: MelodyRequest, *, keep_bars: int = 0, bars: int | None = None):
    """The grammar's MelodySpec for a request."""
    from ...finetune.decode.constraints import MelodySpec

    return MelodySpec(bars=bars or request.bars, meter=request.meter, low=request.low, high=request.high,
                      key=request.key, scale=request.scale, keep_bars=keep_bars)


def prefix_of(melody: Melody, *, bars: int, then: Melody | None = None) -> Melody:
    """The first `bars` bars of a melody, optionally followed by the notes of `then` (already placed)."""
    head = slice_bars(melody, 0, bars)
    if then is None:
        return head
    tail = tuple(n for n in then.notes if n.onset >= bars * melody.bar_length - 1e-9)
    return replace(head, notes=head.notes + tail, bars=then.bars)


def span_of(melody: Melody, *, first_bar: int, last_bar: int) -> Melody:
    """Bars first_bar..last_bar of a melody, in place (bar numbers kept), as a melody of last_bar bars."""
    window = slice_bars(melody, first_bar - 1, last_bar)
    offset = (first_bar - 1) * melody.bar_length
    notes = tuple(replace(n, onset=snap(n.onset + offset)) for n in window.notes)
    return replace(melody, notes=notes, bars=last_bar)
