"""One-line reasons a songwriter understands: why this chord, and what an alternative changes.

The reason names the relationship between the two chords (relative minor, added seventh,
borrowed dominant, same function), then what happens to the melody note (still a chord
tone, or now a colour note), e.g. "vi instead of I: same melody note E, darker colour".
"""

from __future__ import annotations

from ...tokenization.music import KeySpec
from .vocab import Chord
from ..theory.key import pitch_name

_FUNCTION_WORDS = {"T": "home (tonic)", "S": "moving away (subdominant)", "D": "pulling home (dominant)",
                   "A": "borrowed dominant", "?": "colour"}
_SEVENTHS = {"7", "m7", "maj7", "hdim7", "dim7"}
_TRIAD_OF = {"7": "maj", "maj7": "maj", "m7": "min", "hdim7": "dim", "dim7": "dim"}


def _job(chord: Chord) -> str:
    """The chord's role in a few words; only the tonic itself is 'home'.

    >>> from tunesmith.tools.chords.vocab import make_chord
    >>> from tunesmith.tokenization.music import KeySpec
    >>> _job(make_chord(KeySpec("C"), 0, "maj")), _job(make_chord(KeySpec("C"), 9, "min"))
    ('home (tonic)', 'stand-in for home (tonic family)')
    """
    if chord.function == "T" and chord.rel != 0:
        return "stand-in for home (tonic family)"
    return _FUNCTION_WORDS[chord.function]


def melody_names(weights: tuple[float, ...], key: KeySpec, *, limit: int = 3) -> str:
    """The slot's main melody pitch classes, heaviest first: 'E G'."""
    ranked = sorted((w, pc) for pc, w in enumerate(weights) if w > 1e-9)[::-1][:limit]
    return " ".join(pitch_name(pc, key) for _, pc in ranked) or "rest"


def _main_pc(weights: tuple[float, ...]) -> int | None:
    best = max(range(12), key=lambda pc: weights[pc])
    return best if weights[best] > 1e-9 else None


def _names(pcs, key: KeySpec) -> str:
    return " ".join(pitch_name(pc, key) for pc in sorted(pcs))


def _relation(alt: Chord, chosen: Chord, key: KeySpec) -> str:
    """What the alternative changes about the chosen chord, in a few words."""
    if alt.root == chosen.root:
        if alt.quality in _SEVENTHS and _TRIAD_OF.get(alt.quality) == chosen.quality:
            seventh = sorted(alt.pcs - chosen.pcs)
            extra = pitch_name(seventh[0], key) if seventh else ""
            return (f"adds the 7th ({extra}) for a stronger pull" if alt.quality in ("7", "dim7", "hdim7")
                    else f"adds the 7th ({extra}) for a softer, richer colour")
        if chosen.quality in _SEVENTHS and _TRIAD_OF.get(chosen.quality) == alt.quality:
            return "the plain triad: simpler, less pull"
        if alt.quality == "sus4":
            return "suspended 4th: open sound that wants to resolve"
        if alt.dark != chosen.dark:
            return "same root, minor: sadder" if alt.dark else "same root, major: brighter"
    if alt.function == "A":
        target = alt.roman.split("/", 1)[1]
        return f"borrowed dominant, leans towards {target}"
    shared = alt.pcs & chosen.pcs
    colour = ""
    if alt.dark != chosen.dark:
        colour = "darker colour" if alt.dark else "brighter colour"
    if alt.quality in ("dim", "dim7"):
        colour = "tenser"
    if len(shared) >= 2:
        common = f"shares {_names(shared, key)}"
        return f"{common}, {colour}" if colour else common
    if alt.function == chosen.function:
        return f"same job ({_job(alt)})" + (f", {colour}" if colour else "")
    return f"{_job(alt)} instead of {_job(chosen)}"


def _melody_part(chord: Chord, weights: tuple[float, ...], key: KeySpec) -> str:
    main = _main_pc(weights)
    if main is None:
        return ""
    name = pitch_name(main, key)
    return f"melody note {name} is a chord tone" if main in chord.pcs else f"melody {name} becomes a colour note"


def alternative_reason(alt: Chord, chosen: Chord, weights: tuple[float, ...], key: KeySpec) -> str:
    """'vi instead of I: same melody note E, darker colour' style line."""
    relation = _relation(alt, chosen, key)
    main = _main_pc(weights)
    if main is not None and main in alt.pcs and main in chosen.pcs:
        tail = f"same melody note {pitch_name(main, key)}"
    else:
        tail = _melody_part(alt, weights, key)
    body = f"{tail}, {relation}" if tail else relation
    return f"{alt.roman} instead of {chosen.roman}: {body}"


def chosen_reason(chord: Chord, weights: tuple[float, ...], key: KeySpec, *, final: bool, phrase_end: bool,
                  fit: float) -> str:
    """Why the chosen chord: its job in the key, the cadence, how the melody sits on it."""
    if final and chord.rel == 0:
        job = "home chord to end on"
    elif phrase_end and chord.function == "D":
        job = "half cadence: the phrase ends open"
    elif phrase_end and chord.rel == 0:
        job = "phrase comes home"
    else:
        job = _job(chord)
        if chord.function == "A":
            job += f" towards {chord.roman.split('/', 1)[1]}"
    sounding = [pc for pc in range(12) if weights[pc] > 1e-9]
    inside = [pitch_name(pc, key) for pc in sounding if pc in chord.pcs]
    if not sounding:
        return f"{job}; no melody here"
    if len(inside) == len(sounding):
        return f"{job}; every melody note is a chord tone"
    if inside:
        return f"{job}; {' '.join(inside)} in the chord (fit {fit:.2f})"
    return f"{job}; melody notes pass over it"
