"""The REMI grammar as a state machine: which token may come next in a melody (pure functions).

It simulates MidiTok's REMI decoder (`Bar` moves to the next bar, `Rest` advances from the end
of the last note and may cross bar lines silently, `Position` is relative to the current bar)
in integer *units* of 1/24 of the meter's beat, and allows only the sequences MidiTok's encoder
would write (a rest is written for any gap of 1/8 beat or more, so a note starts within
`min_rest` of the previous note's end or of the rests' end).  On top of that it enforces the
request: exactly `bars` bars, then EOS; one line (no overlaps); notes never run past the end;
pitches in [low, high] and, with scale="strict", in the key; no silence longer than a bar
(`max_rest_bars`).  A given prefix is only checked against MidiTok's grammar.
In prefix mode, `keep_bars` bars are given and new notes start after them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from ...tokenization.music import KeySpec, Meter
from ...tokenization.pitch import LEADING_TONE, scale_pitch_classes as key_scale
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ...tokenization.codec import MusicCodec

UNITS_PER_BEAT = 24  # the codec's POSITIONS_PER_BEAT: every REMI time value is a whole number of units
MIN_REST_UNITS = 3  # MidiTok writes a Rest for gaps of at least 1/8 beat
SCALE_MODES = ("off", "soft", "strict")


def scale_pitch_classes(key: KeySpec) -> frozenset[int]:
    """Pitch classes allowed with scale="strict": the key's scale; minor also takes its leading tone.

    >>> sorted(scale_pitch_classes(KeySpec("G"))), sorted(scale_pitch_classes(KeySpec("A", "minor")))
    ([0, 2, 4, 6, 7, 9, 11], [0, 2, 4, 5, 7, 8, 9, 11])
    """
    return key_scale(key, minor_raised=(LEADING_TONE,))


@dataclass(frozen=True, slots=True)
class MelodySpec:
    """What a generated melody must satisfy."""

    bars: int
    meter: Meter
    low: int = 48  # lowest MIDI pitch allowed
    high: int = 84  # highest MIDI pitch allowed
    key: KeySpec | None = None
    scale: str = "off"  # "off", "soft" (penalise out-of-key pitches) or "strict" (forbid them)
    keep_bars: int = 0  # prefix mode: new notes start at or after the end of this bar
    max_rest_bars: float | None = 1.0  # longest run of rests, in bars (None = no limit)

    def __post_init__(self) -> None:
        if not 1 <= self.bars <= 256:
            raise ModelError(f"bars must be 1-256, not {self.bars}")
        if not 0 <= self.low <= self.high <= 127:
            raise ModelError(f"pitch range {self.low}-{self.high} is empty or outside MIDI 0-127")
        if self.scale not in SCALE_MODES:
            raise ModelError(f"scale must be one of {SCALE_MODES}, not {self.scale!r}")
        if self.scale != "off" and self.key is None:
            raise ModelError("a scale constraint needs a key")
        if not 0 <= self.keep_bars < self.bars:
            raise ModelError(f"keep_bars {self.keep_bars} must be below bars {self.bars}")

    @property
    def bar_units(self) -> int:
        return self.meter.numerator * UNITS_PER_BEAT

    @property
    def total_units(self) -> int:
        return self.bars * self.bar_units


@dataclass(frozen=True, slots=True)
class GrammarState:
    """Where the decoder is: phase, bar, times in units, and what the canonical encoding allows next."""

    phase: str = "start"  # start | timesig | free | pitch | duration | done
    bar: int = -1  # current bar, 0-based (-1 before the first Bar token)
    bar_start: int = 0  # units at the start of the current bar
    tick: int = 0  # decoder time cursor
    prev_end: int = 0  # end of the latest note
    anchor: int = 0  # where the next onset must begin (within MIN_REST_UNITS) unless a rest comes
    rest_run: int = 0  # units of consecutive rests so far
    rest_cap: int = 0  # most units of consecutive rests allowed (0 = one bar)
    last: str = ""  # kind of the last event: timesig | rest | duration
    notes: int = 0


@dataclass(frozen=True)
class Grammar:
    """Token tables of one codec plus one MelodySpec; `allowed` and `advance` are pure."""

    spec: MelodySpec
    bar_id: int
    eos_id: int
    timesig_id: int
    position_units: dict[int, int]
    duration_units: dict[int, int]
    rest_units: dict[int, int]
    pitch_of: dict[int, int]
    allowed_pitches: tuple[int, ...]
    _position_by_unit: dict[int, int] = field(init=False, repr=False)
    _durations: tuple[tuple[int, int], ...] = field(init=False, repr=False)
    _rests: tuple[tuple[int, int], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_position_by_unit", {u: i for i, u in self.position_units.items()})
        object.__setattr__(self, "_durations", tuple(sorted((u, i) for i, u in self.duration_units.items())))
        object.__setattr__(self, "_rests", tuple(sorted((u, i) for i, u in self.rest_units.items())))
        if not self.allowed_pitches:
            raise ModelError(f"no pitch in {self.spec.low}-{self.spec.high} fits the requested scale")
        if max(self._position_by_unit) + 1 < self.spec.bar_units:
            raise ModelError(f"the vocabulary has no positions for a whole bar of {self.spec.meter}")

    # ---- the rules ---------------------------------------------------------------------
    def allowed(self, state: GrammarState) -> list[int]:
        """Ids that may come next (never empty before EOS)."""
        spec = self.spec
        if state.phase == "start":
            return [self.bar_id]
        if state.phase == "timesig":
            return [self.timesig_id]
        if state.phase == "pitch":
            return list(self.allowed_pitches)
        if state.phase == "duration":
            room = spec.total_units - state.tick
            return [i for _, i in self._durations[: bisect.bisect_right(self._durations, (room, 1 << 30))]]
        if state.phase == "done":
            return []
        return self._allowed_free(state)

    def _allowed_free(self, state: GrammarState) -> list[int]:
        spec = self.spec
        cursor = max(state.prev_end, state.tick)
        bar_end = state.bar_start + spec.bar_units
        floor = spec.keep_bars * spec.bar_units
        ids: list[int] = []
        first = max(cursor, floor)
        for onset in range(first, min(state.anchor + MIN_REST_UNITS, bar_end)):
            ids.append(self._position_by_unit[onset - state.bar_start])
        if bar_end - state.anchor < MIN_REST_UNITS and state.bar + 1 < spec.bars:
            ids.append(self.bar_id)
        limit = spec.total_units - cursor - 1
        if spec.max_rest_bars is not None:
            cap = state.rest_cap or int(spec.max_rest_bars * spec.bar_units)
            limit = min(limit, cap - state.rest_run)
        ids.extend(i for _, i in self._rests[: bisect.bisect_right(self._rests, (limit, 1 << 30))])
        if (state.last in ("duration", "timesig") and state.notes
                and state.prev_end > spec.total_units - spec.bar_units and cursor >= floor):
            ids.append(self.eos_id)
        return ids

    def advance(self, state: GrammarState, token_id: int, *, check: bool = True) -> GrammarState:
        """The state after `token_id`; raises ModelError when the token is not allowed.

        The sampler passes check=False for a token it drew from `allowed(state)` itself.
        """
        if check and token_id not in self.allowed(state):
            raise ModelError(f"token id {token_id} is not allowed in state {state}")
        spec = self.spec
        if token_id == self.eos_id:
            return replace(state, phase="done")
        if token_id == self.bar_id:
            bar = state.bar + 1
            start = 0 if bar == 0 else state.bar_start + spec.bar_units
            return replace(state, phase="timesig", bar=bar, bar_start=start, tick=start, rest_run=0)
        if token_id == self.timesig_id:
            return replace(state, phase="free", last="timesig")
        if token_id in self.rest_units:
            tick = max(state.prev_end, state.tick) + self.rest_units[token_id]
            bar = max(state.bar, tick // spec.bar_units)
            return replace(state, tick=tick, bar=bar, bar_start=bar * spec.bar_units, anchor=tick,
                           rest_run=state.rest_run + self.rest_units[token_id], last="rest")
        if token_id in self.position_units:
            return replace(state, phase="pitch", tick=state.bar_start + self.position_units[token_id],
                           rest_run=0, rest_cap=0)
        if token_id in self.pitch_of:
            return replace(state, phase="duration")
        end = state.tick + self.duration_units[token_id]
        prev_end = max(state.prev_end, end)
        return replace(state, phase="free", prev_end=prev_end, anchor=prev_end, last="duration",
                       notes=state.notes + 1)

    def feed(self, token_ids: list[int], state: GrammarState | None = None) -> GrammarState:
        """Advance through a given prefix (raises ModelError at the first illegal token)."""
        state = state or GrammarState()
        given = replace(self, spec=replace(self.spec, keep_bars=0, max_rest_bars=None))
        for token_id in token_ids:
            state = given.advance(state, token_id)
        if self.spec.keep_bars:  # leave room to rest up to the kept bars' end and one bar more
            floor = self.spec.keep_bars * self.spec.bar_units
            cap = int((self.spec.max_rest_bars or 1.0) * self.spec.bar_units)
            state = replace(state, rest_cap=cap + max(0, floor - max(state.prev_end, state.tick)))
        return state

    def pitch_penalty_ids(self) -> list[int]:
        """Pitch ids outside the key (for scale="soft"); empty without a key."""
        if self.spec.key is None:
            return []
        pcs = scale_pitch_classes(self.spec.key)
        return [i for i in self.allowed_pitches if self.pitch_of[i] % 12 not in pcs]


def _units(value: Fraction) -> int:
    units = value * UNITS_PER_BEAT
    if units.denominator != 1:
        raise ModelError(f"time value {value} beats is not a whole number of grammar units")
    return int(units)


def build_grammar(codec: MusicCodec, spec: MelodySpec) -> Grammar:
    """The grammar of one request over a codec's vocabulary."""
    if codec.positions_per_beat != UNITS_PER_BEAT:
        raise ModelError(f"the grammar expects {UNITS_PER_BEAT} positions per beat, "
                         f"the codec has {codec.positions_per_beat}")
    timesig = codec.token_to_id(codec.timesig_token(spec.meter))
    pitches = [i for i, p in sorted(codec.pitch_of.items(), key=lambda kv: kv[1]) if spec.low <= p <= spec.high]
    if spec.scale == "strict" and spec.key is not None:
        pcs = scale_pitch_classes(spec.key)
        pitches = [i for i in pitches if codec.pitch_of[i] % 12 in pcs]
    return Grammar(
        spec=spec, bar_id=codec.token_to_id("Bar_None"), eos_id=codec.eos_id, timesig_id=timesig,
        position_units={i: _units(v) for i, v in codec.position_beats.items()},
        duration_units={i: _units(v) for i, v in codec.duration_beats.items()},
        rest_units={i: _units(v) for i, v in codec.rest_beats.items()},
        pitch_of=dict(codec.pitch_of), allowed_pitches=tuple(pitches),
    )
