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

import functools
import re
from collections.abc import Iterable

from ...tokenization.pitch import mode_word, tonic_name

_ACCIDENTAL = r"(#|♯|b|♭|-?sharp|-?flat| sharp| flat)?"
_UPPER = re.compile(r"(?<![A-Za-z降升#♯♭])([A-G])" + _ACCIDENTAL + r"(?:m(?![a-z]))?(?![A-Za-z#♯♭])")
_MODE_WORD = r"(?i:major|minor|maj|min|dorian|mixolydian|ionian|aeolian)\b"
_LOWER = re.compile(r"(?<![A-Za-z降升#♯♭])([a-g])" + _ACCIDENTAL
                    + r"(?:[- ]?" + _MODE_WORD + r"|m(?![a-z])| ?(?=[\u4e00-\u9fff]))")
_LOWER_SIGNED = re.compile(r"(?<![A-Za-z])([a-g])(#|♯|♭|-sharp|-flat| sharp| flat)(?![a-z])")  # "e♭", "f-sharp"
_AFTER = re.compile(r"(?<![A-Za-z'])([a-g])(?=\s*(?:[.,!?;:)]|$))")  # "in the key of d.", "settings: c,"
_PREFIXED = re.compile(r"(?<![A-Za-z])([#♯b♭])([A-G])(?![A-Za-z])")  # "#C", "bE" (a Chinese habit)
_ZH = re.compile(r"([降升])\s?([A-Ga-g])")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "twenty": 20, "twenty-four": 24, "thirty-two": 32,
          "sixty-four": 64, "a couple of": 2, "a pair of": 2, "a dozen": 12}
_EN_NUMBER = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True)) + r")\b", re.I)
_HAN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN_NUMBER = re.compile(r"[零一二两三四五六七八九十百]+")


def named_keys(text: str) -> set[str]:
    """Tonics the text names ("Bb", "F#", "E"): capital letters on their own, lower-case ones
    before a mode word or a Chinese mode, and 降/升 + letter (flat/sharp).  A sentence that starts
    with the article "A" names A too; an extra candidate only widens the choice."""
    keys = {tonic_name(m.group(1), m.group(2)) for m in _UPPER.finditer(text)}
    keys |= {tonic_name(m.group(1), m.group(2)) for m in _LOWER.finditer(text)}
    keys |= {tonic_name(m.group(1), m.group(2)) for m in _LOWER_SIGNED.finditer(text)}
    keys |= {tonic_name(m.group(1), None) for m in _AFTER.finditer(text)}
    keys |= {tonic_name(m.group(2), m.group(1)) for m in _PREFIXED.finditer(text)}
    keys |= {tonic_name(m.group(2), m.group(1)) for m in _ZH.finditer(text)}
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


# ---- values a message states outright ---------------------------------------------------------
# Why: the adapter often leaves out a value the person said ("in E minor at 90 bpm" came back
# without the key) or swaps it for a neighbour ("calmer" -> happy).  What a message states in so
# many words is found here, and the grammar makes a call carry exactly that (chat_format).
Mention = tuple[int, int, str, "str | int"]  # (start, end, field, value)
_NUM = r"(\d+|[零一二两三四五六七八九十百]+|" + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True)) + r")"
_ACC = r"(#|♯|b|♭|-sharp|-flat| sharp| flat)?"
_KEY_EN = re.compile(r"(?<![A-Za-z])([A-Ga-g])" + _ACC + r"[ -]?(?i:(major|minor|maj|min|dorian|mixolydian))(?![a-z])"
                     r"(?!(?i:[ -]?(?:key|mode|scale|tonality|chord|third|sixth|seventh|second|change|tweak|fix|edit|"
                     r"detail|issue|problem|mistake)s?\b))"
                     r"|(?<![A-Za-z])([A-G]|[a-g](?=[#♯]))" + _ACC + r"(m)(?![a-z])")
_KEY_OF = re.compile(r"(?i:key of|key:|key to|key is) ([A-Ga-g])" + _ACC
                     + r"(?:[ -]?(?i:(major|minor|maj|min|m)))?(?![A-Za-z])")
_KEY_IN = re.compile(r"\b(?:in|use|set) ([A-Ga-g])" + _ACC + r"(m)?(?=\s*(?:$|[,.!?;:)]|\s(?:please|pls|plz|for|with|and|at|or|in|"
                     r"using|time|thanks|thx|from|now)\b))")
_KEY_ZH = re.compile(r"(?<![A-Za-z])([降升#b♭♯]?)([A-Ga-g])([#b♭♯]?)\s?(大调|小调|多利亚|混合利底亚|调)"
                     r"|(?<![A-Za-z])([降升#b♭♯]?)([A-G])([#♯]?)(m)(?![a-z])(?=[\u3400-\u9fff，。])")
_MODE_ONLY = re.compile(r"(?i:\b(?:a|in|the)\s+(major|minor)\s+(?:key|mode)\b|\bin (major|minor)\b|\b(major|minor)-key\b"
                        r"|\b(dorian|mixolydian)\b)|(大调|小调|多利亚|混合利底亚)(?:调式|式)?")
_TEMPO = re.compile(r"(?i:(\d{2,3})\s*(?:bpm|beats (?:per|a) minute)|tempo (?:of |at |to |around |about )?(\d{2,3})\b"
                    r"|♩\s*=\s*(\d{2,3}))|速度[^\d，。,]{0,4}?(\d{2,3}|[一二三四五六七八九十百]+)"
                    r"|每分钟\s*(\d{2,3}|[一二三四五六七八九十百]+)\s*拍|(\d{2,3})\s*拍每分钟")
_BARS = re.compile(r"(?i:\b" + _NUM + r"[\s-]*(?:(?:more|extra|additional|new)\s+)?(?:bars?|measures?)\b)|"
                   + _NUM + r"\s*个?小节")
_NOT_BARS = re.compile(r"(?i:(?:first|last|opening|final|closing)\s+$)|[第到至前后\-–]\s*$")
_K = re.compile(r"(?i:\b" + _NUM + r"\s+(?:(?:different|more|alternative|other|possible)\s+)?(?:chord\s+)?"
                r"(?:options|alternatives|versions|choices|harmoni[sz]ations|progressions|variants|ideas)\b)"
                r"|" + _NUM + r"\s*[个种套][^，。,.!！?？]{0,8}?(?:方案|版本|选择|配法)")
_SEED = re.compile(r"(?i:\bseed\s*(?:=|:|of|is|number)?\s*(\d+))|种子\s*(?:是|为|用)?\s*(\d+)")
_PER = (("half", re.compile(r"(?i:\b(?:two|2)\s+(?:chords?\s+)?(?:per|a|each|every|in each)\s+(?:bar|measure)"
                             r"|\bhalf[- ]?(?:a[- ])?(?:bar|measure))|半小节|每小节两个|一小节两个")),
        ("beat", re.compile(r"(?i:\b(?:per|each|every|on the|on each|on every)\s+beat)|每一?拍|一拍一个")),
        ("bar", re.compile(r"(?i:\b(?:per|each|every|a|in each)\s+(?:bar|measure)\b)|每个?小节|一小节一个|一个小节一个")))
_METER = re.compile(r"(?<![\d/])(\d{1,2})\s?/\s?(\d{1,2})(?![\d/])")
_FORMATS = {"midi": r"midi|\.mid\b|\bmid file", "musicxml": r"musicxml|music ?xml|\bxml\b|\bmxl\b",
            "abc": r"\babc\b|abc谱", "wav": r"\bwav\b|\baudio\b|\bmp3\b|音频", "svg": r"\bsvg\b",
            "png": r"\bpng\b|\bimage\b|\bpicture\b|图片", "all": r"all (?:the )?formats|every format|所有格式|全部格式"}
_VOICES = {"soprano": r"soprano|女高音", "alto": r"\balto\b|女低音|女中音", "tenor": r"tenor|男高音",
           "bass": r"\bbass(?:[- ]singer|[- ]voice)?\b(?![- ]?(?:line|guitar|ist|note|part))|男低音"}
_STYLES = {"irish-folk": r"\birish folk\b", "lorraine-folk": r"\blorraine\b|洛林", "german-folk": r"\bgerman folk\b",
           "luxembourg-folk": r"\bluxembourg(?:ish)?\b|卢森堡", "lead-sheet": r"\blead[- ]?sheet\b",
           "scottish-air": r"\bscottish folk\b|苏格兰民歌"}  # besides chat_slots' aliases
_MOODS = {"hopeful": r"有希望", "calm": r"\bcalm(?:er|ing)?\b", "sad": r"\bsadder\b", "happy": r"\bhappier\b"}
_LANGS = {"en": r"英文|英语", "zh": r"中文|汉语|普通话|国语"}  # Latin names: _LANG_WORDS, typos too
_LANG_WORDS = {"english": "en", "chinese": "zh", "mandarin": "zh"}


_EDGE = r"(?:(?<![A-Za-z])(?=[A-Za-z])|(?<=[A-Za-z])(?![A-Za-z]))"  # a word edge that Chinese does not end


_RHYME = re.compile(r"(?<![A-Za-z])([A-DX]{4})(?![A-Za-z])|(?<![A-Za-z])([A-DX]{2,3})(?=\s*(?:rhyme|押韵|韵))")
_RANGE = re.compile(r"(?<![A-Za-z])([A-G][#b]?\d)\s*(?:-|–|to|到|至)\s*([A-G][#b]?\d)(?![\d])")
_RANGE_VOICE = re.compile(r"(?i:\b(soprano|alto|tenor|bass)\b(?![- ]?(?:line|guitar|ist|note|part)))"
                          r"|(女高音|女低音|男高音|男低音)")
_VOICE_ZH = {"女高音": "soprano", "女低音": "alto", "男高音": "tenor", "男低音": "bass"}


def has_han(text: str) -> bool:
    """Whether a text has Chinese characters.

    >>> has_han("导出成MIDI文件"), has_han("Export it")
    (True, False)
    """
    return re.search(r"[\u3400-\u9fff]", text) is not None


def _alias(text: str) -> str:
    """A pattern for one alias: Latin ones whole words (comparatives too), Chinese as they are."""
    if has_han(text):
        return re.escape(text)
    body = r"[\s-]?".join(re.escape(w) for w in re.split(r"[\s-]+", text))
    return r"(?<![A-Za-z])" + body + r"(?:er|r|est|ly|s)?(?![A-Za-z])"


@functools.cache
def _alias_table() -> list[tuple[re.Pattern[str], str, str]]:
    from . import slots as S
    from .words import FORMAT_EN, FORMAT_ZH

    table: list[tuple[re.Pattern[str], str, str]] = []
    for name, groups in (("style", (S.STYLE_EN, S.STYLE_ZH, S.GENRE_EN, S.GENRE_ZH, S.CHORD_STYLE_EN,
                                    S.CHORD_STYLE_ZH)), ("mood", (S.MOOD_EN, S.MOOD_ZH)),
                         ("meter", (S.METER_WORDS_EN, S.METER_WORDS_ZH)), ("format", (FORMAT_EN, FORMAT_ZH))):
        for group in groups:
            table += [(re.compile(_alias(a), re.I), name, value) for value, aliases in group.items() for a in aliases]
    for name, group in (("format", _FORMATS), ("voice", _VOICES), ("lang", _LANGS), ("style", _STYLES),
                        ("mood", _MOODS)):
        table += [(re.compile(pattern.replace(r"\b", _EDGE), re.I), name, value) for value, pattern in group.items()]
    return table


def near(word: str, targets: Iterable[str]) -> str | None:
    """The target that `word` is, or is a typo of (two letters swapped, one left out), for
    targets of four letters or more; None when it is none of them.

    >>> near("Chiense", ["chinese"]), near("mandrin", ["mandarin"]), near("abode", ["about"])
    ('chinese', 'mandarin', None)
    """
    word = word.lower()
    for target in targets:
        if word == target:
            return target
        if len(target) < 4:
            continue
        if len(word) == len(target) and sorted(word) == sorted(target) and sum(a != b for a, b in zip(word, target)) == 2:
            return target
        if len(word) == len(target) - 1 and any(target[:i] + target[i + 1:] == word for i in range(len(target))):
            return target
    return None


def _number(text: str) -> int | None:
    text = text.lower()
    return int(text) if text.isdigit() else _WORDS.get(text, han_number(text))


def _mentions(text: str) -> list[Mention]:
    found: list[Mention] = [(m.start(), m.end(), name, value) for pattern, name, value in _alias_table()
                            for m in pattern.finditer(text)]
    for m in _KEY_EN.finditer(text):
        letter, accidental, mode = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        if letter.islower() and mode.lower() == "m" and not accidental:
            continue  # "am", "em": words, not keys
        found += [(m.start(), m.end(), "key", tonic_name(letter, accidental)),
                  (m.start(), m.end(), "mode", mode_word(mode))]
    for m in _KEY_IN.finditer(text):
        if m.group(1) == "a" and not (m.group(2) or m.group(3)):
            continue  # "in a, ..." is an article more often than A
        found.append((m.start(), m.end(), "key", tonic_name(m.group(1), m.group(2))))
        if m.group(3):
            found.append((m.start(), m.end(), "mode", "minor"))
    for m in _KEY_OF.finditer(text):
        found.append((m.start(), m.end(), "key", tonic_name(m.group(1), m.group(2))))
        if m.group(3):
            found.append((m.start(), m.end(), "mode", mode_word(m.group(3))))
    for m in _KEY_ZH.finditer(text):
        before, letter, after, mode = m.group(1, 2, 3, 4) if m.group(2) else m.group(5, 6, 7, 8)
        found.append((m.start(), m.end(), "key", tonic_name(letter, before or after)))
        if mode_word(mode):  # "调" names the tonic only
            found.append((m.start(), m.end(), "mode", mode_word(mode)))
    for m in _MODE_ONLY.finditer(text):
        word = next(g for g in m.groups() if g)
        found.append((m.start(), m.end(), "mode", mode_word(word)))
    for m in _METER.finditer(text):
        found.append((m.start(), m.end(), "meter", f"{int(m.group(1))}/{int(m.group(2))}"))
    for m in _TEMPO.finditer(text):
        if (n := _number(next(g for g in m.groups() if g))) is not None and 30 <= n <= 300:
            found.append((m.start(), m.end(), "tempo", n))
    for m in _BARS.finditer(text):
        if not _NOT_BARS.search(text[max(0, m.start() - 10):m.start()]):
            if (n := _number(next(g for g in m.groups() if g))) is not None:
                found.append((m.start(), m.end(), "bars", n))
    for m in _SEED.finditer(text):
        found.append((m.start(), m.end(), "seed", int(m.group(1) or m.group(2))))
    for m in _K.finditer(text):
        if (n := _number(next(g for g in m.groups() if g))) is not None:
            found.append((m.start(), m.end(), "k", n))
    for m in re.finditer(r"[A-Za-z]{6,}", text):
        if (word := near(m.group(), _LANG_WORDS)) is not None:
            found.append((m.start(), m.end(), "lang", _LANG_WORDS[word]))
    for m in _RHYME.finditer(text):
        found.append((m.start(), m.end(), "rhyme", m.group(1) or m.group(2)))
    for m in _RANGE.finditer(text):
        found.append((m.start(), m.end(), "range", f"{m.group(1)}-{m.group(2)}"))
    for m in _RANGE_VOICE.finditer(text):
        found.append((m.start(), m.end(), "range", m.group(1).lower() if m.group(1) else _VOICE_ZH[m.group(2)]))
    for value, pattern in _PER:
        found += [(m.start(), m.end(), "per", value) for m in pattern.finditer(text)]
    return found


def stated(text: str) -> dict[str, list[str | int]]:
    """The argument values a message states outright, by field; a mention inside a longer one
    counts only as part of it ("slip jig" is no "jig", "Chinese folk song" names no language).

    >>> stated("a slow Irish air in E minor, calmer, 6/8 at 70 bpm, 16 bars")
    {'style': ['irish-air'], 'mood': ['calm'], 'key': ['E'], 'mode': ['minor'], 'meter': ['6/8'], 'tempo': [70], 'bars': [16]}
    >>> stated("每小节两个和弦，给我三个方案，降B大调")
    {'key': ['Bb'], 'mode': ['major'], 'k': [3], 'per': ['half']}
    >>> stated("lyrics in English about a Chinese folk song, AABB")
    {'style': ['chinese-han'], 'lang': ['en'], 'rhyme': ['AABB']}
    """
    found = _mentions(text)
    kept = [m for m in found if not any(o[0] <= m[0] and m[1] <= o[1] and o[1] - o[0] > m[1] - m[0] for o in found)]
    out: dict[str, list[str | int]] = {}
    for _, _, name, value in kept:
        if value not in out.setdefault(name, []):
            out[name].append(value)
    if "style" in out:  # "Chinese folk ... xiaodiao": the more specific style
        out["style"] = [v for v in out["style"] if not any(str(o).startswith(f"{v}-") for o in out["style"])]
    return out
