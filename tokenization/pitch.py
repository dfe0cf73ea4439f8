"""Pitch names, spellings, scales, modes and keys: the music knowledge every package reads, once.

Why one module: copies of these tables had spread over six packages and could drift apart
(an 'Ab' in one, a 'G#' in another).  Each spelling a caller prints is named here
(SHARP_NAMES, FLAT_NAMES, PLAIN_NAMES, NOTE_NAMES, MAJOR_KEY_NAMES), every scale and mode fact
comes from SCALE_STEPS and MODE_FIFTHS, and keys are parsed here, so "H major" fails the same
way everywhere.  tests/test_knowledge.py fails when another module defines such a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import MusicValueError

LETTERS = "CDEFGAB"
PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}  # the natural notes
ALTERATION = {"": 0, "#": 1, "b": -1}
ALTERATION_NAMES = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
# The twelve pitch classes (0 = C) in each spelling a caller prints.
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
PLAIN_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")  # usual in C major / A minor
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")  # a keyboard's black keys
MAJOR_KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")  # fewest accidentals
# Every tonic name a key may have (sharp and flat spellings of each black key), C first.
TONICS: tuple[str, ...] = tuple(dict.fromkeys(n for pair in zip(SHARP_NAMES, FLAT_NAMES) for n in pair))
# Accidentals as people write them: '-' is music21's flat; 升/降 are Chinese sharp/flat.
ACCIDENTALS = {"#": "#", "♯": "#", "sharp": "#", "升": "#", "b": "b", "♭": "b", "-": "b", "flat": "b", "降": "b"}
_ZH_ACCIDENTALS = {"#": "升", "b": "降"}

MODES = ("major", "minor", "dorian", "mixolydian")
SCALE_STEPS: dict[str, tuple[int, ...]] = {  # semitones above the tonic
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}
RAISED_SIXTH, LEADING_TONE = 9, 11  # the steps melodic and harmonic minor add above a minor tonic
MODE_FIFTHS = {"major": 0, "minor": -3, "dorian": -2, "mixolydian": -1}  # signature vs. the major key
MODE_ALIASES = {
    "": "major", "maj": "major", "major": "major", "ionian": "major", "dur": "major",
    "m": "minor", "min": "minor", "minor": "minor", "aeolian": "minor", "moll": "minor",
    "dor": "dorian", "dorian": "dorian", "mix": "mixolydian", "mixolydian": "mixolydian",
}
MODE_NAMES_ZH = {"major": ("大调",), "minor": ("小调",), "dorian": ("多利亚调式", "多利亚"),
                 "mixolydian": ("混合利底亚调式", "混合利底亚")}  # the full name first
_MODE_WORDS = {**MODE_ALIASES, **{w: mode for mode, words in MODE_NAMES_ZH.items() for w in words}}
# The keys tunes are most often written in: per mode (a default key is drawn from them by the
# seed), and the tonics the chat's made-up tool results use.
COMMON_TONICS = {"major": ("G", "D", "C", "F", "A"), "minor": ("A", "D", "E", "G", "B"),
                 "dorian": ("D", "A", "E"), "mixolydian": ("G", "D", "A")}
EVERYDAY_TONICS = ("C", "D", "E", "F", "G", "A", "Bb", "Eb")
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_SHARP_ORDER = "FCGDAEB"
# A note outside the scale, by its interval above the tonic: +1 = sharpen the scale note
# below it (raised 4th, 6th, 7th, major 3rd in minor), -1 = flatten the one above.
_CHROMATIC = {1: -1, 3: -1, 4: 1, 6: 1, 8: -1, 9: 1, 10: -1, 11: 1}
_KEY_RE = re.compile(r"^\s*([A-Ga-g])\s*(#|b|♯|♭|-|sharp|flat)?\s*(.*?)\s*$")


def relative_major(mode: str) -> int:
    """Semitones from a mode's tonic up to the tonic of the major key with its signature.

    >>> relative_major("minor"), relative_major("dorian"), relative_major("mixolydian")
    (3, 10, 5)
    """
    return MODE_FIFTHS[mode] * 7 % 12


def parallel_mode(mode: str) -> str:
    """The major or minor a mode sounds like (by its third).

    >>> parallel_mode("dorian"), parallel_mode("mixolydian")
    ('minor', 'major')
    """
    return "minor" if 3 in SCALE_STEPS[mode] else "major"


def triad_quality(mode: str, degree: int) -> str:
    """The triad on a scale degree (0-based) in chord-symbol spelling: '', 'm' or 'dim'.

    >>> [triad_quality("major", d) for d in range(7)]
    ['', 'm', 'm', '', '', 'm', 'dim']
    """
    steps = SCALE_STEPS[mode]
    third = (steps[(degree + 2) % 7] - steps[degree]) % 12
    fifth = (steps[(degree + 4) % 7] - steps[degree]) % 12
    return {(4, 7): "", (3, 7): "m", (3, 6): "dim"}[third, fifth]


def name_pitch_class(name: str) -> int:
    """Pitch class of a note name with at most one # or b.

    >>> name_pitch_class("Bb"), name_pitch_class("C#"), name_pitch_class("E")
    (10, 1, 4)
    """
    return (PITCH_CLASS[name[0]] + ALTERATION[name[1:]]) % 12


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A key: tonic spelled for people ("Bb", "F#") and a mode."""

    tonic: str
    mode: str = "major"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise MusicValueError(f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
        if not re.fullmatch(r"[A-G][#b]?", self.tonic):
            raise MusicValueError(f"unknown tonic {self.tonic!r}; use a letter A-G with # or b")

    @property
    def pitch_class(self) -> int:
        """Tonic pitch class, 0 = C.

        >>> KeySpec("Bb").pitch_class
        10
        """
        return name_pitch_class(self.tonic)

    @property
    def m21_tonic(self) -> str:
        """The tonic in music21's spelling, which writes flats as '-'."""
        return self.tonic.replace("b", "-") if len(self.tonic) == 2 else self.tonic

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


def tonic_name(letter: str, accidental: str | None = None) -> str:
    """A tonic in KeySpec spelling from a letter and an accidental as people write it.

    >>> tonic_name("f", "sharp"), tonic_name("B", "-flat"), tonic_name("e", "♭"), tonic_name("B", "降"), tonic_name("a")
    ('F#', 'Bb', 'Eb', 'Bb', 'A')
    """
    word = (accidental or "").strip()
    if len(word) > 1 and word.startswith("-"):
        word = word[1:]
    return letter.upper() + ACCIDENTALS.get(word, "")


def tonic_zh(tonic: str) -> str:
    """A tonic as Chinese writes it (降B, 升F).

    >>> tonic_zh("Bb"), tonic_zh("F#"), tonic_zh("D")
    ('降B', '升F', 'D')
    """
    return tonic if len(tonic) == 1 else _ZH_ACCIDENTALS[tonic[1]] + tonic[0]


def mode_word(word: str) -> str | None:
    """The mode a word names (English abbreviations and Chinese names too); None for none.

    >>> mode_word("Min"), mode_word("多利亚"), mode_word("调")
    ('minor', 'dorian', None)
    """
    return _MODE_WORDS.get(word.strip().lower())


def parse_key(text: str, *, mode: str | None = None) -> KeySpec:
    """Parse a key the way people write it.

    >>> parse_key("D minor")
    KeySpec(tonic='D', mode='minor')
    >>> parse_key("f#m")
    KeySpec(tonic='F#', mode='minor')
    >>> parse_key("B-")
    KeySpec(tonic='Bb', mode='major')
    >>> parse_key("A", mode="dorian")
    KeySpec(tonic='A', mode='dorian')
    >>> parse_key("H major")
    Traceback (most recent call last):
    tunesmith.tokenization.errors.MusicValueError: unknown key 'H major': write a letter A-G, optional # or b, then major, minor, dorian or mixolydian (e.g. 'F# minor')
    """
    match = _KEY_RE.match(text or "")
    rest = (match.group(3) if match else "").lower().replace(" ", "")
    if not match or rest not in MODE_ALIASES:
        raise MusicValueError(
            f"unknown key {text!r}: write a letter A-G, optional # or b, then major, minor, "
            "dorian or mixolydian (e.g. 'F# minor')"
        )
    chosen = MODE_ALIASES[rest] if (mode is None or match.group(3)) else mode
    return KeySpec(tonic=tonic_name(match.group(1), match.group(2)), mode=MODE_ALIASES.get(chosen, chosen))


def spell_pitch_class(pc: int, *, mode: str = "major") -> str:
    """The usual tonic name of a pitch class in a mode (the spelling with the simpler signature);
    a modal tonic is spelled from its signature's major scale.

    >>> spell_pitch_class(1), spell_pitch_class(1, mode="minor"), spell_pitch_class(8, mode="minor")
    ('Db', 'C#', 'G#')
    >>> spell_pitch_class(2, mode="dorian"), spell_pitch_class(7, mode="mixolydian")
    ('D', 'G')
    """
    major = MAJOR_KEY_NAMES[(pc + relative_major(mode)) % 12]
    if mode == "major":
        return major
    degree = SCALE_STEPS["major"].index(-relative_major(mode) % 12)
    letter = LETTERS[(LETTERS.index(major[0]) + degree) % 7]
    shift = (pc - PITCH_CLASS[letter] + 6) % 12 - 6
    if abs(shift) > 1:
        raise MusicValueError(f"cannot spell pitch class {pc} in {mode}")
    return letter + ALTERATION_NAMES[shift]


def key_fifths(key: KeySpec | None) -> int:
    """Sharps (+) or flats (-) in the signature of a key, modes included.

    >>> key_fifths(KeySpec("A", "dorian")), key_fifths(KeySpec("D", "minor")), key_fifths(KeySpec("Bb"))
    (1, -1, -2)
    """
    if key is None:
        return 0
    return _LETTER_FIFTHS[key.tonic[0]] + 7 * ALTERATION[key.tonic[1:]] + MODE_FIFTHS[key.mode]


def key_signature(fifths: int) -> dict[str, int]:
    """Alteration of each letter under a signature.

    >>> key_signature(-2)["B"], key_signature(-2)["E"], key_signature(-2)["A"]
    (-1, -1, 0)
    """
    altered = _SHARP_ORDER[:fifths] if fifths > 0 else _SHARP_ORDER[::-1][:-fifths]
    return {letter: (1 if fifths > 0 else -1) * (letter in altered) for letter in LETTERS}


def notation_key(key: KeySpec | None) -> KeySpec:
    """The key to notate: C major for none, respelled when its signature needs over 7 accidentals.

    >>> notation_key(KeySpec("D#")), notation_key(None).tonic
    (KeySpec(tonic='Eb', mode='major'), 'C')
    """
    if key is None:
        return KeySpec("C")
    if abs(key_fifths(key)) > 7:
        return KeySpec(spell_pitch_class(key.pitch_class, mode=key.mode), key.mode)
    return key


def spell(pitch: int, key: KeySpec) -> tuple[str, int, int]:
    """(letter, alteration, octave) of a MIDI pitch in a key; chromatic notes follow `_CHROMATIC`.

    >>> spell(68, KeySpec("A", "minor")), spell(70, KeySpec("C")), spell(65, KeySpec("A", "dorian"))
    (('G', 1, 4), ('B', -1, 4), ('F', 0, 4))
    """
    signature = key_signature(key_fifths(key))
    by_pc = {(PITCH_CLASS[letter] + alter) % 12: (letter, alter) for letter, alter in signature.items()}
    pc = pitch % 12
    if pc in by_pc:
        letter, alter = by_pc[pc]
    else:
        step = _CHROMATIC[(pc - key.pitch_class) % 12]
        if (pc - step) % 12 not in by_pc:
            step = -step
        letter, alter = by_pc[(pc - step) % 12]
        alter += step
    return letter, alter, (pitch - PITCH_CLASS[letter] - alter) // 12 - 1


def pitch_name(pc: int, key: KeySpec) -> str:
    """Spell a pitch class the way the key's signature leans (sharps or flats; C major's usual names).

    >>> pitch_name(6, KeySpec("C")), pitch_name(6, KeySpec("Bb")), pitch_name(3, KeySpec("D", "minor"))
    ('F#', 'Gb', 'Eb')
    >>> pitch_name(10, KeySpec("D", "dorian")), pitch_name(10, KeySpec("E"))
    ('Bb', 'A#')
    """
    fifths = key_fifths(KeySpec(MAJOR_KEY_NAMES[(key.pitch_class + relative_major(key.mode)) % 12]))
    names = PLAIN_NAMES if fifths == 0 else FLAT_NAMES if fifths < 0 else SHARP_NAMES
    return names[pc % 12]


def note_name(midi: int) -> str:
    """MIDI number to a name people read (C#, Eb, F#, Ab, Bb for the black keys).

    >>> note_name(60), note_name(70), note_name(21)
    ('C4', 'Bb4', 'A0')
    """
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def degree_name(tonic: str, mode: str, degree: int) -> str:
    """The scale note on a degree (0-based), spelled from the tonic's letter.

    >>> degree_name("D", "minor", 5), degree_name("Bb", "major", 3), degree_name("F#", "minor", 2)
    ('Bb', 'Eb', 'A')
    """
    letter = LETTERS[(LETTERS.index(tonic[0]) + degree) % 7]
    shift = ((name_pitch_class(tonic) + SCALE_STEPS[mode][degree]) - PITCH_CLASS[letter] + 6) % 12 - 6
    return letter + ALTERATION_NAMES[shift]


def scale_pitch_classes(key: KeySpec, *, minor_raised: Iterable[int] = ()) -> frozenset[int]:
    """Pitch classes of a key's scale; in minor, `minor_raised` adds steps (RAISED_SIXTH, LEADING_TONE).

    >>> sorted(scale_pitch_classes(KeySpec("A", "minor"), minor_raised=(RAISED_SIXTH, LEADING_TONE)))
    [0, 2, 4, 5, 6, 7, 8, 9, 11]
    >>> sorted(scale_pitch_classes(KeySpec("G")))
    [0, 2, 4, 6, 7, 9, 11]
    """
    steps = set(SCALE_STEPS[key.mode]) | (set(minor_raised) if key.mode == "minor" else set())
    return frozenset((key.pitch_class + step) % 12 for step in steps)
