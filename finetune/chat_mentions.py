"""The keys and numbers a message names, so the chat grammar can keep a call to what was said.

Why: the embedded chat adapter picks the right tool far more often than the right key or
number (it wrote key=F for "Bb major" and bars=32 for 八小节).  A tonic or a count that the
person never said has no business in a call, so the grammar offers a key or integer argument
only with a value the message names (see chat_format.CallGrammar).  Moods and styles are not
restricted: "soft" rightly becomes mood=gentle.

    >>> sorted(named_keys("a jig in Bb major, or maybe e minor; 降B大调 or 升f小调"))
    ['Bb', 'E', 'F#']
    >>> sorted(named_keys("give me a tune in A, not in Am")), sorted(named_keys("#C 大调, bE, key of g."))
    (['A'], ['C#', 'Eb', 'G'])
    >>> sorted(named_numbers("16 bars at 120 bpm, three options, 十六小节, 两个, 三十二"))
    [2, 3, 16, 32, 120]
"""

from __future__ import annotations

import re

_ACCIDENTAL = r"(#|♯|b|♭|-?sharp|-?flat| sharp| flat)?"
_UPPER = re.compile(r"(?<![A-Za-z降升#♯♭])([A-G])" + _ACCIDENTAL + r"(?:m(?![a-z]))?(?![A-Za-z#♯♭])")
_MODE_WORD = r"(?i:major|minor|maj|min|dorian|mixolydian|ionian|aeolian)\b"
_LOWER = re.compile(r"(?<![A-Za-z降升#♯♭])([a-g])" + _ACCIDENTAL
                    + r"(?:[- ]?" + _MODE_WORD + r"|m(?![a-z])| ?(?=[\u4e00-\u9fff]))")
_LOWER_SIGNED = re.compile(r"(?<![A-Za-z])([a-g])(#|♯|♭|-sharp|-flat| sharp| flat)(?![a-z])")  # "e♭", "f-sharp"
_AFTER = re.compile(r"(?<![A-Za-z'])([a-g])(?=\s*(?:[.,!?;:)]|$))")  # "in the key of d.", "settings: c,"
_PREFIXED = re.compile(r"(?<![A-Za-z])([#♯b♭])([A-G])(?![A-Za-z])")  # "#C", "bE" (a Chinese habit)
_ZH = re.compile(r"([降升])\s?([A-Ga-g])")
_SHARP, _FLAT = ("#", "♯", "-sharp", "sharp", " sharp"), ("b", "♭", "-flat", "flat", " flat")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "twenty": 20, "twenty-four": 24, "thirty-two": 32,
          "sixty-four": 64, "a couple of": 2, "a pair of": 2, "a dozen": 12}
_EN_NUMBER = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True)) + r")\b", re.I)
_HAN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN_NUMBER = re.compile(r"[零一二两三四五六七八九十百]+")


def _key(letter: str, accidental: str | None) -> str:
    sign = "#" if accidental in _SHARP else "b" if accidental in _FLAT else ""
    return letter.upper() + sign


def named_keys(text: str) -> set[str]:
    """Tonics the text names ("Bb", "F#", "E"): capital letters on their own, lower-case ones
    before a mode word or a Chinese mode, and 降/升 + letter (flat/sharp).  A sentence that starts
    with the article "A" names A too; an extra candidate only widens the choice."""
    keys = {_key(m.group(1), m.group(2)) for m in _UPPER.finditer(text)}
    keys |= {_key(m.group(1), m.group(2)) for m in _LOWER.finditer(text)}
    keys |= {_key(m.group(1), m.group(2)) for m in _LOWER_SIGNED.finditer(text)}
    keys |= {_key(m.group(1), None) for m in _AFTER.finditer(text)}
    keys |= {_key(m.group(2), m.group(1)) for m in _PREFIXED.finditer(text)}
    keys |= {_key(m.group(2), "b" if m.group(1) == "降" else "#") for m in _ZH.finditer(text)}
    return keys


_NOT_A_KEY = re.compile(r"(?<![A-Za-z])([HJ-Zhj-z][#b]?)[ -]?(major|minor|dur|moll)\b|([HJ-Z])(大调|小调)", re.I)


def unknown_keys(text: str) -> list[str]:
    """Key names a person may write that are no key ("H major": German for B major), so the chat
    can say so instead of quietly writing some other key.

    >>> unknown_keys("a jig in H major"), unknown_keys("X小调"), unknown_keys("in a major key, or Bb minor")
    (['H major'], ['X小调'], [])
    """
    return [m.group(0) for m in _NOT_A_KEY.finditer(text)]


def han_number(text: str) -> int | None:
    """The value of a Chinese numeral up to 999 (None when it is not one).

    >>> han_number("十六"), han_number("三十二"), han_number("一百二十"), han_number("两")
    (16, 32, 120, 2)
    """
    total, digit = 0, None
    for char in text:
        if char in _HAN_DIGITS:
            digit = _HAN_DIGITS[char]
        elif char == "十":
            total += (digit if digit is not None else 1) * 10
            digit = None
        elif char == "百":
            total += (digit if digit is not None else 1) * 100
            digit = None
        else:
            return None
    return total + (digit or 0)


def named_numbers(text: str) -> set[int]:
    """Whole numbers the text names: digits, English number words, Chinese numerals."""
    numbers = {int(m) for m in re.findall(r"\d+", text)}
    numbers |= {_WORDS[m.group(1).lower()] for m in _EN_NUMBER.finditer(text)}
    numbers |= {n for m in _HAN_NUMBER.finditer(text) if (n := han_number(m.group())) is not None}
    return numbers
