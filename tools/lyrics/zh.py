"""Mandarin words against a melody: one character per note, tones from pypinyin, rhyme by final.

Tone–melody agreement follows the ReLyMe heuristic (arXiv 2207.05688 §3): between two sung
syllables the melody should move the way the tones do.  Each tone gets a pitch height —
tone 1 high level (4), tone 4 high falling (4), tone 2 mid rising (3), tone 3 low (1) — and a
pair agrees when the melody goes up for a higher next tone, down for a lower one, and stays
within two semitones for an equal one (a falling tone 4 may also step down, a rising tone 2
step up).  Pairs with a neutral tone (5) are not scored; a neutral tone on a downbeat or a
long note is a problem of its own.  Rhyme uses the traditional thirteen rhyme classes
(十三辙) of the line's last final.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .slots import Phrase

HEIGHT = {1: 4, 2: 3, 3: 1, 4: 4}
MIN_AGREEMENT = 0.6
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RHYME_CLASS = {
    "a": "发花", "ia": "发花", "ua": "发花",
    "o": "梭波", "e": "梭波", "uo": "梭波",
    "ie": "乜斜", "ve": "乜斜", "ue": "乜斜", "ê": "乜斜",
    "i": "一七", "v": "一七", "er": "一七",
    "u": "姑苏",
    "ai": "怀来", "uai": "怀来",
    "ei": "灰堆", "ui": "灰堆", "uei": "灰堆",
    "ao": "遥条", "iao": "遥条",
    "ou": "油求", "iu": "油求", "iou": "油求",
    "an": "言前", "ian": "言前", "uan": "言前", "van": "言前",
    "en": "人辰", "in": "人辰", "un": "人辰", "uen": "人辰", "vn": "人辰",
    "ang": "江阳", "iang": "江阳", "uang": "江阳",
    "eng": "中东", "ing": "中东", "ong": "中东", "iong": "中东", "ueng": "中东",
}


def han_chars(text: str) -> list[str]:
    """The Chinese characters of a text, in order.

    >>> han_chars("离家, 远行!")
    ['离', '家', '远', '行']
    """
    return _HAN.findall(text)


def tones(text: str) -> list[int]:
    """Tone 1-5 (5 = neutral) of each character, polyphones read in context by pypinyin.

    >>> tones("我爱你的")
    [3, 4, 3, 5]
    """
    from pypinyin import Style, lazy_pinyin

    chars = "".join(han_chars(text))
    return [int(p[-1]) if p[-1:].isdigit() else 5
            for p in lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)]


def rhyme_class(char: str) -> str:
    """The 十三辙 rhyme class of a character's final ('' when unknown).

    >>> rhyme_class("家"), rhyme_class("花"), rhyme_class("光"), rhyme_class("乡")
    ('发花', '发花', '江阳', '江阳')
    """
    from pypinyin import Style, lazy_pinyin

    finals = lazy_pinyin(char, style=Style.FINALS, strict=True)
    return _RHYME_CLASS.get(finals[0], "") if finals else ""


def zh_rhymes(a: str, b: str) -> bool:
    """Same rhyme class of the last characters of two lines.

    >>> zh_rhymes("床前明月光", "低头思故乡"), zh_rhymes("春眠不觉晓", "夜来风雨声")
    (True, False)
    """
    ca, cb = han_chars(a)[-1:], han_chars(b)[-1:]
    return bool(ca and cb) and rhyme_class(ca[0]) != "" and rhyme_class(ca[0]) == rhyme_class(cb[0])


def pair_agrees(tone_a: int, tone_b: int, interval: int) -> bool | None:
    """Whether the melody's move from syllable a to b follows the tones (None: not scored).

    >>> pair_agrees(3, 1, 4), pair_agrees(1, 3, 4), pair_agrees(4, 1, -2), pair_agrees(1, 5, 3)
    (True, False, True, None)
    """
    if tone_a not in HEIGHT or tone_b not in HEIGHT:
        return None
    diff = HEIGHT[tone_b] - HEIGHT[tone_a]
    if diff > 0:
        return interval > 0
    if diff < 0:
        return interval < 0
    return abs(interval) <= 2 or (tone_a == 4 and interval < 0) or (tone_a == 2 and interval > 0)


def tone_agreement(line_tones: list[int], pitches: list[int]) -> float:
    """Share of scored adjacent pairs that agree (1.0 when nothing can be scored)."""
    votes = [pair_agrees(a, b, q - p) for a, b, p, q in zip(line_tones, line_tones[1:], pitches, pitches[1:])]
    scored = [v for v in votes if v is not None]
    return sum(scored) / len(scored) if scored else 1.0


@dataclass(frozen=True, slots=True)
class ZhLineFit:
    """A Mandarin line checked against a phrase."""

    text: str
    chars: tuple[str, ...]
    tones: tuple[int, ...]
    slots: int
    agreement: float
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def last_word(self) -> str:
        return self.chars[-1] if self.chars else ""


def fit_line(text: str, phrase: Phrase, *, min_agreement: float = MIN_AGREEMENT) -> ZhLineFit:
    """One character per slot, tones that follow the melody, no neutral tone on a strong long note."""
    chars = han_chars(text)
    line_tones = tones("".join(chars)) if chars else []
    pitches = [s.pitch for s in phrase.slots]
    problems = []
    if len(chars) != phrase.syllables:
        problems.append(f"{len(chars)} characters for {phrase.syllables} notes")
        agreement = 0.0
    else:
        agreement = tone_agreement(line_tones, pitches)
        if agreement < min_agreement:
            problems.append(f"tones follow the melody on {agreement:.0%} of steps (need {min_agreement:.0%})")
        median = sorted(s.duration for s in phrase.slots)[len(phrase.slots) // 2]
        for char, tone, slot in zip(chars, line_tones, phrase.slots):
            if tone == 5 and (slot.downbeat or slot.duration > median):
                problems.append(f"neutral-tone '{char}' on a strong or long note")
    return ZhLineFit(text, tuple(chars), tuple(line_tones), phrase.syllables, agreement, tuple(problems))
