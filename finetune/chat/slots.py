"""Slot fillers for the chat dialogues: one argument value and a surface form of it (EN or ZH).

Each filler takes a random.Random and gives (text, args): the words a person would type
and the canonical argument values they stand for, in the vocabularies the chat decoder
is constrained to (tonic names, modes, METERS, STYLE_NAMES, MOODS, integers).
"""

from __future__ import annotations

import random

from ...tokenization import styles as _table
from ...tokenization.pitch import MODE_NAMES_ZH, MODES, TONICS, tonic_zh  # noqa: F401 (MODES, TONICS re-exported)
from ...tokenization.styles import STYLE_NAMES

Args = dict[str, str | int]

# The chat's vocabularies and words come from the one styles/moods table (tokenization/styles.toml).
_TONIC_WEIGHTS = (9, 3, 2, 9, 1, 5, 6, 8, 5, 1, 9, 1, 3, 9, 1, 6, 3)  # per TONICS entry
MOODS: tuple[str, ...] = _table.CHAT_MOODS
# Moods tools/chords/progressions.py understands (a progression's mood must be one of these).
CHORD_MOODS: tuple[str, ...] = tuple(m.name for m in _table.MOODS if m.in_chat and m.chord)
CHORD_STYLES: tuple[str, ...] = _table.CHORD_STYLE_NAMES
MOOD_EN: dict[str, tuple[str, ...]] = {m.name: m.en for m in _table.MOODS if m.in_chat}
MOOD_ZH: dict[str, tuple[str, ...]] = {m.name: m.zh for m in _table.MOODS if m.in_chat}
# Style aliases; a Chinese genre word gives chinese-han (or its genre slug with genres=True).
STYLE_EN: dict[str, tuple[str, ...]] = {s.name: s.en for s in _table.CHAT_STYLES}
STYLE_ZH: dict[str, tuple[str, ...]] = {s.name: s.zh for s in _table.CHAT_STYLES}
_STYLE_WEIGHTS = {s.name: s.chat_weight for s in _table.CHAT_STYLES}
GENRE_EN: dict[str, tuple[str, ...]] = {s.name: s.en for s in _table.GENRES}
GENRE_ZH: dict[str, tuple[str, ...]] = {s.name: s.zh for s in _table.GENRES}
CHORD_STYLE_EN: dict[str, tuple[str, ...]] = {s.name: s.en for s in _table.CHORD_STYLES}
CHORD_STYLE_ZH: dict[str, tuple[str, ...]] = {s.name: s.zh for s in _table.CHORD_STYLES}
METER_WEIGHTS: dict[str, int] = {"2/4": 6, "3/4": 8, "4/4": 8, "6/8": 8, "9/8": 2, "12/8": 2, "2/2": 2,
                                 "5/4": 1, "7/8": 1, "3/8": 1, "6/4": 1, "5/8": 1}
METER_WORDS_EN = {"3/4": ("waltz time", "three-four time"), "4/4": ("common time", "four-four"),
                  "2/2": ("cut time",), "6/8": ("six-eight time",), "2/4": ("two-four time",)}
METER_WORDS_ZH = {"2/4": ("四二拍",), "3/4": ("四三拍", "三拍子"), "4/4": ("四四拍",), "6/8": ("八六拍",),
                  "3/8": ("八三拍",), "9/8": ("八九拍",)}
EN_NUM = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen")
EN_BIG = {20: "twenty", 24: "twenty-four", 32: "thirty-two", 48: "forty-eight", 64: "sixty-four"}
ZH_DIGIT = "零一二三四五六七八九"


def en_number(n: int) -> str:
    """'eight', 'twenty-four'; digits for numbers without a word here.

    >>> en_number(8), en_number(32), en_number(17)
    ('eight', 'thirty-two', '17')
    """
    return EN_NUM[n] if n < len(EN_NUM) else EN_BIG.get(n, str(n))


def zh_number(n: int, *, count: bool = False) -> str:
    """Chinese numerals up to 99; `count` says 两 for 2 before a measure word.

    >>> zh_number(16), zh_number(2, count=True), zh_number(32), zh_number(10)
    ('十六', '两', '三十二', '十')
    """
    if n == 2 and count:
        return "两"
    if n < 10:
        return ZH_DIGIT[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGIT[tens]) + "十" + (ZH_DIGIT[ones] if ones else "")


def pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def tonic(rng: random.Random) -> str:
    return rng.choices(TONICS, weights=_TONIC_WEIGHTS)[0]


def _tonic_en(rng: random.Random, name: str) -> str:
    accidental = {"#": (" sharp", "-sharp", "#", "#", "♯"), "b": (" flat", "-flat", "b", "b", "♭")}
    if len(name) == 1:
        return name.lower() if rng.random() < 0.12 else name
    return name[0] + pick(rng, accidental[name[1]])


def _tonic_zh(rng: random.Random, name: str) -> str:
    if len(name) == 1:
        return name.lower() if rng.random() < 0.15 else name
    if rng.random() < 0.6:
        return tonic_zh(name)
    return name if rng.random() < 0.7 else ("b" + name[0] if name[1] == "b" else "#" + name[0])


def key_en(rng: random.Random, *, modes=("major", "minor", "minor", "major", "dorian", "mixolydian"),
           tonic_only: float = 0.2, phrase: bool = True) -> tuple[str, Args]:
    """'in D minor', 'key of Dm', 'F sharp minor', 'in A' (no mode)."""
    t = tonic(rng)
    tt = _tonic_en(rng, t)
    if rng.random() < tonic_only:
        args: Args = {"key": t}
        noun = tt
    else:
        mode = pick(rng, modes)
        args = {"key": t, "mode": mode}
        if mode == "minor" and rng.random() < 0.25 and " " not in tt and "-" not in tt:
            noun = tt + "m"
        else:
            word = {"major": ("major", "major", "Major", "maj"), "minor": ("minor", "minor", "Minor", "min"),
                    "dorian": ("dorian", "Dorian"), "mixolydian": ("mixolydian", "Mixolydian")}[mode]
            noun = tt + pick(rng, (" ", " ", " ", "-")) + pick(rng, word)
    if not phrase:
        return noun, args
    return pick(rng, ("in {}", "in {}", "in {}", "in the key of {}", "key of {}", "{}")).format(noun), args


def key_zh(rng: random.Random, *, modes=("major", "minor", "minor", "major", "dorian", "mixolydian"),
           tonic_only: float = 0.2, phrase: bool = True) -> tuple[str, Args]:
    """'D小调', '降B大调', '升F小调', 'G调' (no mode)."""
    t = tonic(rng)
    tt = _tonic_zh(rng, t)
    if rng.random() < tonic_only:
        args: Args = {"key": t}
        noun = tt + "调"
    else:
        mode = pick(rng, modes)
        args = {"key": t, "mode": mode}
        if mode == "minor" and rng.random() < 0.15:
            noun = t + "m"
        else:
            noun = tt + pick(rng, ("", "", "", " ")) + pick(rng, MODE_NAMES_ZH[mode])
    if not phrase:
        return noun, args
    return pick(rng, ("{}", "{}", "{}", "用{}", "调性是{}", "调是{}")).format(noun), args


def mode_only(rng: random.Random, lang: str) -> tuple[str, Args]:
    mode = pick(rng, ("minor", "major", "minor", "dorian", "mixolydian"))
    if lang == "en":
        text = {"minor": ("in a minor key", "in minor", "minor-key"), "major": ("in a major key", "in major"),
                "dorian": ("in dorian mode", "in the dorian mode"),
                "mixolydian": ("in mixolydian mode", "in the mixolydian mode")}[mode]
    else:
        text = {"minor": ("小调式",), "major": ("大调式",), "dorian": ("多利亚调式",), "mixolydian": ("混合利底亚调式",)}[mode]
    return pick(rng, text), {"mode": mode}


def meter(rng: random.Random, lang: str) -> tuple[str, Args]:
    m = rng.choices(tuple(METER_WEIGHTS), weights=tuple(METER_WEIGHTS.values()))[0]
    words = (METER_WORDS_EN if lang == "en" else METER_WORDS_ZH).get(m, ())
    if words and rng.random() < 0.3:
        return pick(rng, words), {"meter": m}
    if lang == "en":
        form = ("in {}", "{} time", "in {} time", "time signature {}", "{}", "{} meter")
        return pick(rng, form).format(m), {"meter": m}
    return pick(rng, ("{}拍", "{}拍子", "拍号{}", "{} 拍", "{}的节拍")).format(m), {"meter": m}


def tempo(rng: random.Random, lang: str) -> tuple[str, Args]:
    n = rng.choice((60, 66, 70, 72, 76, 80, 84, 88, 90, 92, 96, 100, 104, 108, 110, 112, 116, 120, 126, 132, 140,
                    144, 150, 160, 168, 180, 50, 56, 200))
    if lang == "en":
        form = ("at {} bpm", "{} bpm", "tempo {}", "around {} bpm", "at about {} bpm", "at {}bpm",
                "{} beats per minute",
                "at tempo {}", "♩={}", "around {}")
    else:
        form = ("速度{}", "{} bpm", "每分钟{}拍", "速度大概{}", "{}拍每分钟", "速度{}左右", "{}bpm")
    return pick(rng, form).format(n), {"tempo": n}


def bars(rng: random.Random, lang: str, *, adj: bool = False, most: int = 64) -> tuple[str, Args]:
    n = rng.choices((2, 4, 6, 8, 12, 16, 24, 32, 64), weights=(1, 6, 1, 10, 3, 7, 1, 3, 1))[0]
    n = min(n, most)
    if lang == "en":
        word = en_number(n) if rng.random() < 0.45 else str(n)
        if n == 12 and rng.random() < 0.3:
            return ("dozen-bar" if adj else "a dozen bars"), {"bars": n}
        if adj:
            return word + pick(rng, ("-bar", "-bar", " bar", "-measure")), {"bars": n}
        return word + pick(rng, (" bars", " bars", " measures")), {"bars": n}
    word = zh_number(n) if rng.random() < 0.55 else str(n)
    return word + pick(rng, ("小节", "小节", "个小节")), {"bars": n}


def mood(rng: random.Random, lang: str, *, moods=MOODS) -> tuple[str, Args]:
    m = pick(rng, moods)
    return pick(rng, (MOOD_EN if lang == "en" else MOOD_ZH)[m]), {"mood": m}


def style(rng: random.Random, lang: str, *, genres: bool = False) -> tuple[str, Args]:
    """A style alias; Chinese genre words give chinese-han (or the genre slug with genres=True)."""
    table, genre_table = (STYLE_EN, GENRE_EN) if lang == "en" else (STYLE_ZH, GENRE_ZH)
    if rng.random() < 0.12:
        slug = pick(rng, tuple(genre_table))
        return pick(rng, genre_table[slug]), {"style": slug if genres else "chinese-han"}
    slug = rng.choices(tuple(table), weights=[_STYLE_WEIGHTS[s] for s in table])[0]
    assert slug in STYLE_NAMES
    return pick(rng, table[slug]), {"style": slug}


def chord_style(rng: random.Random, lang: str) -> tuple[str, Args]:
    table = CHORD_STYLE_EN if lang == "en" else CHORD_STYLE_ZH
    s = pick(rng, CHORD_STYLES)
    return pick(rng, table[s]), {"style": s}
