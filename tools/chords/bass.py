"""A bass line for chorale-style chords: which chord tone goes in the bass (inversions).

A melody alone does not say where the bass goes, so this pass picks it the way a chorale
bass moves: root position by default, first inversion (or a seventh's inversions) when
that makes the bass move by step, root position at the start and at cadences, no doubled
leading note or third against the melody, no parallel octaves or fifths with the melody.
It is a small Viterbi over (chord tone, octave) per chord.  The result is a slash symbol
("C/E") with the matching Roman figure ("I6"), both spelled by music21.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ...tokenization.m21 import chord_symbol_from_m21, chord_symbol_to_m21
from ...tokenization.music import ChordEvent, KeySpec, Melody
from .vocab import Chord, _roman

LOW, HIGH = 40, 62  # E2 .. D4, a chorale bass
INVERSION_COST = {"root": 0.0, "third": 0.7, "fifth": 3.0, "seventh": 1.0}


def _motion_cost(a: int, b: int) -> float:
    """How natural a bass move is: steps and 4ths/5ths are cheap, big leaps are not."""
    step = abs(a - b)
    return {0: 0.3, 1: 0.0, 2: 0.0, 3: 0.4, 4: 0.4, 5: 0.2, 7: 0.2, 12: 0.6}.get(step, 1.2 if step < 12 else 3.0)


def _tones(chord: Chord) -> dict[str, int]:
    """Chord tones by role: root, third, fifth, seventh (pitch classes)."""
    intervals = sorted((pc - chord.root) % 12 for pc in chord.pcs)
    roles = ("root", "third", "fifth", "seventh")
    return {role: (chord.root + i) % 12 for role, i in zip(roles, intervals)}


def _melody_at(melody: Melody, onset: float) -> int | None:
    for note in melody.notes:
        if note.onset <= onset + 1e-6 < note.end:
            return note.pitch
    return None


def choose_bass(melody: Melody, events: Sequence[ChordEvent], chords: Sequence[Chord]) -> list[int]:
    """The bass MIDI pitch of every chord event (the events carry the chords in `chords`)."""
    states: list[list[tuple[int, float]]] = []  # per event: (bass pitch, own cost)
    last = len(events) - 1
    shortest = min(e.duration for e in events)
    for index, (event, chord) in enumerate(zip(events, chords)):
        top = _melody_at(melody, event.onset)
        options = []
        for role, pc in _tones(chord).items():
            cost = INVERSION_COST[role]
            if role != "root" and (index in (0, last, last - 1) or event.duration >= 2 * shortest):
                cost += 2.0  # start, cadence and long chords in root position
            if role == "third" and top is not None and top % 12 == pc:
                cost += 1.0  # the melody already has the third
            for pitch in range(LOW, HIGH + 1):
                if pitch % 12 == pc and (top is None or pitch < top - 2):
                    options.append((pitch, cost))
        states.append(options or [(LOW + (chord.root - LOW) % 12, 0.0)])
    score = np.array([c for _, c in states[0]], dtype=float)
    back = []
    for t in range(1, len(states)):
        prev_top, top = _melody_at(melody, events[t - 1].onset), _melody_at(melody, events[t].onset)
        matrix = np.empty((len(states[t - 1]), len(states[t])))
        for i, (a, _) in enumerate(states[t - 1]):
            for j, (b, own) in enumerate(states[t]):
                cost = _motion_cost(a, b) + own
                if prev_top is not None and top is not None and a != b and prev_top != top:
                    same_way = (b - a) * (top - prev_top) > 0
                    if same_way and (prev_top - a) % 12 in (0, 7) and (top - b) % 12 == (prev_top - a) % 12:
                        cost += 3.0  # parallel octaves or fifths with the melody
                matrix[i, j] = cost
        total = score[:, None] + matrix
        back.append(total.argmin(axis=0))
        score = total.min(axis=0)
    path = [int(score.argmin())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    path.reverse()
    return [states[t][i][0] for t, i in enumerate(path)]


@functools.lru_cache(maxsize=4096)
def slash_symbol(symbol: str, bass_pc: int) -> str:
    """'C' with bass E -> 'C/E', spelled with the chord's own note name."""
    from music21 import harmony

    names = {p.pitchClass: p.name for p in harmony.ChordSymbol(chord_symbol_to_m21(symbol)).pitches}
    name = names.get(bass_pc)
    return f"{symbol}/{chord_symbol_from_m21(name)}" if name else symbol


def with_bass_line(melody: Melody, events: Sequence[ChordEvent], chords: Sequence[Chord],
                   key: KeySpec) -> tuple[ChordEvent, ...]:
    """The events with inversions: slash symbols and inverted Roman figures where the bass is not the root."""
    basses = choose_bass(melody, events, chords)
    result = []
    tonic, mode = key.m21_tonic, key.mode
    for event, chord, bass in zip(events, chords, basses):
        pc = bass % 12
        if pc == chord.root:
            result.append(event)
            continue
        root_name = _m21_root(chord.symbol)
        roman = _roman(tonic, mode, root_name, chord.quality, pc) or event.roman
        result.append(replace(event, symbol=slash_symbol(chord.symbol, pc), roman=roman))
    return tuple(result)


def _m21_root(symbol: str) -> str:
    """The root of a people's symbol in music21 spelling.

    >>> _m21_root("Bbm7"), _m21_root("Bm"), _m21_root("F#dim")
    ('B-', 'B', 'F#')
    """
    root = symbol[:2] if len(symbol) > 1 and symbol[1] in "#b" else symbol[:1]
    return root.replace("b", "-")
