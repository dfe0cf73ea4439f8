"""Find the bar lines of a melody that starts on time 0 with no pickup marked (what MIDI gives).

Most folk tunes start with an anacrusis, and a MIDI file does not say so: read as it is, every
bar line falls in the wrong place and the chords change off the beat.  The folk HMM knows where
accompanists' chord tones fall (on the downbeat, on a beat, off it), so each possible pickup
length (a multiple of an eighth note, shorter than a bar) is tried and the one whose best chord
path scores highest per beat wins, plus a metrical-accent term (long notes on strong beats; see
`accent`) and a bonus when the last note then ends on a bar line;
'no pickup' gets a head start, and each pickup length its log-frequency in that meter; all fitted on the development tunes (folk_fit.tune_pickup).
"""

from __future__ import annotations

from dataclasses import replace

from ...tokenization.music import KeySpec, Melody
from ..theory.key import beat_length
from .folk import FolkTables, FolkWeights, folk_scores
from .score import make_slots
from .search import kbest_paths

STEP = 0.5  # pickup lengths tried: multiples of an eighth note


def shifted(melody: Melody, shift: float) -> Melody:
    """The melody moved later by `shift` quarter lengths (bars recounted)."""
    if shift <= 0:
        return melody
    notes = tuple(replace(n, onset=n.onset + shift) for n in melody.notes)
    return replace(melody, notes=notes, bars=0)


def pickup_scores(melody: Melody, key: KeySpec, *, tables: FolkTables, weights: FolkWeights,
                  prior: dict[str, dict[str, float]]) -> dict[float, float]:
    """Best-path score per beat of the melody for every shift (0 = as it is), with the accent,
    last-bar and pickup-length-prior terms (prior: meter -> shift -> log-probability)."""
    logp = prior.get(str(melody.meter), {})
    beats = sum(n.duration for n in melody.notes) or 1.0
    out = {}
    for i in range(max(1, round(melody.bar_length / STEP))):
        shift = i * STEP
        moved = shifted(melody, shift)
        slots = make_slots(moved, "half")
        unary, transition = folk_scores(moved, slots, key, "half", tables=tables, weights=weights)
        end = moved.notes[-1].end / moved.bar_length
        out[shift] = (kbest_paths(unary, transition, 1)[0][0] / beats + weights.accent * accent(moved)
                      + weights.ends_on_bar * (abs(end - round(end)) < 1e-6)
                      + weights.prior * logp.get(f"{shift:g}", 0.0))
    return out


def accent(melody: Melody) -> float:
    """How much of the melody's time starts on strong places: long notes on downbeats score most.

    Strength 1 on the downbeat, 1/2 on the middle of an even bar, 1/4 on other beats, 0 off the beat
    (Longuet-Higgins and Lee's observation that long notes begin on strong beats).
    >>> from tunesmith.tokenization.music import Note
    >>> accent(Melody(notes=(Note(60, 0.0, 3.0), Note(62, 3.0, 1.0))))
    0.8125
    """
    bar, beat = melody.bar_length, beat_length(melody)
    beats = max(1, round(bar / beat))
    total = strong = 0.0
    for note in melody.notes:
        place = note.onset % bar
        on_beat = abs(place / beat - round(place / beat)) < 1e-6
        if place < 1e-6 or bar - place < 1e-6:
            weight = 1.0
        elif beats % 2 == 0 and abs(place - bar / 2) < 1e-6:
            weight = 0.5
        else:
            weight = 0.25 if on_beat else 0.0
        strong += weight * note.duration
        total += note.duration
    return strong / total if total else 0.0


def find_pickup(melody: Melody, key: KeySpec, *, tables: FolkTables, weights: FolkWeights,
                prior: dict[str, dict[str, float]]) -> float:
    """How much later the melody should start so its bar lines fall where the accents say (0: as it is).

    A melody that already starts after time 0 was placed by its file (MusicXML and ABC keep
    their pickup) and is left alone."""
    if not melody.notes or melody.notes[0].onset > 1e-9 or len(melody.notes) < 8:
        return 0.0
    scores = pickup_scores(melody, key, tables=tables, weights=weights, prior=prior)
    scores[0.0] += weights.stay
    return max(scores, key=lambda s: (scores[s], -s))
