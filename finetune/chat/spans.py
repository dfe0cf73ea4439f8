"""Where a theme may begin and end in a message: the phrase edges a copied theme keeps to.

Why: the chat adapter copies a lyric theme from the message, and its spans stopped short or ran
on ("a summer" for "a summer road trip", "the ocean in" for "about the ocean in English", "故乡的"
for "故乡的秋天").  A theme is a phrase: it starts after a word that introduces one ("about",
"of", 关于, 是, 写) or a punctuation mark, and ends before a break ("in", "with", a comma, the end)
and never on a word that needs more ("the", "of", 的).  The adapter still picks the span; these
edges only rule out the ones no person would mean.
"""

from __future__ import annotations

import re

from .mentions import near

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+|[\u3400-\u9fff]|[^\sA-Za-z\d\u3400-\u9fff]")
_INTRO_EN = frozenset("about abt on called titled is re regarding around for theme topic describing featuring "
                      "celebrating remembering".split())  # and "of" after theme, topic, subject
_NO_START_EN = frozenset("about abt of on for with in to and or is it this that please write lyrics words song "
                         "some something anything me you could can would theme topic subject called titled".split())
_BARRIERS_EN = frozenset("theme topic subject melody tune lyrics".split())  # no theme runs across these
_BREAK_EN = frozenset("in with for and but so please pls thanks thx using rhyme rhyming that which to as "
                      "written would could should is are".split())
_NO_END_EN = frozenset("a an the my your our his her their its this that some and or of about with for to in at "
                       "by from it melody tune song piece lyrics words verse english chinese mandarin".split())
_INTRO_ZH = frozenset("是写于个首段为以讲说唱述达颂绘关词题：")
_NO_START_ZH = frozenset("的了是写为给帮我你把用关于个首段词歌主题押韵吧呢啊请来填配一讲说唱能要想")
_NO_END_ZH = frozenset("的了是和与在把给为关写个首吗词律曲歌")  # nor on 歌词, 旋律, 曲子: the song, not its theme
_AFTER_ZH = frozenset("的吧呢啊呀哦了歌词曲吗主")


def _intro(word: str) -> bool:
    """A word that introduces a theme, typos of the longer ones too ("abuot", "abut", "toic").

    >>> _intro("About"), _intro("abuot"), _intro("aout"), _intro("abode")
    (True, True, True, False)
    """
    return near(word, _INTRO_EN) is not None


def _kind(token: str) -> str:
    if re.match(r"[A-Za-z]", token):
        return "latin"
    if re.match(r"[\u3400-\u9fff]", token):
        return "han"
    return "digit" if token.isdigit() else "mark"


def phrase_edges(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """(byte offsets where a theme may start, byte offsets where it may end) in text's UTF-8.

    >>> def spans(text):
    ...     starts, ends = phrase_edges(text)
    ...     data = text.encode()
    ...     return sorted(data[s:e].decode() for s in starts for e in ends if e > s and len(data[s:e]) < 30)
    >>> spans("lyrics about the ocean in English")
    ['the ocean']
    >>> spans("主题是故乡的秋天"), spans("写妈妈的")
    (['故乡的秋天'], ['妈妈'])
    """
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    byte = [len(text[:i].encode()) for i in range(len(text) + 1)]
    starts, ends = set(), set()
    for i, (start, end, token) in enumerate(tokens):
        kind, low = _kind(token), token.lower()
        before = tokens[i - 1][2] if i else None
        after = tokens[i + 1][2] if i + 1 < len(tokens) else None
        before_kind = _kind(before) if before is not None else "mark"
        after_kind = _kind(after) if after is not None else "mark"
        if kind in ("latin", "digit"):
            before_of = (tokens[i - 2][2].lower() if i > 1 else "") in ("theme", "topic", "subject")
            intro = _intro(before or "") or ((before or "").lower() == "of" and before_of)
            if low not in _NO_START_EN and (before_kind in ("mark", "han") or intro):
                starts.add(byte[start])
            if low not in _NO_END_EN and (after_kind in ("mark", "han") or (after or "").lower() in _BREAK_EN):
                ends.add(byte[end])
        elif kind == "han":
            if token not in _NO_START_ZH and (before_kind != "han" or before in _INTRO_ZH):
                starts.add(byte[start])
            after_de = tokens[i + 2][2] if i + 2 < len(tokens) else ""
            if token not in _NO_END_ZH and (after_kind != "han" or (after in _AFTER_ZH and (
                    after != "的" or _kind(after_de) != "han" or after_de in "歌词曲"))):
                ends.add(byte[end])  # "妈妈" of 写妈妈的 and 毕业的歌词, not "外婆" of 外婆的厨房
    return frozenset(starts), frozenset(ends)


def phrase_marks(text: str) -> tuple[int, ...]:
    """Byte offsets of the punctuation marks a theme does not run across ("this melody, something
    about ..." is no theme), and of the words it does not run across ("the topic of", "the melody
    about"); apostrophes and hyphens belong to words.

    >>> phrase_marks("sea, sky。")
    (3, 8)
    """
    marks = [m.start() for m in re.finditer(r"[,.!?;:|，。！？；：、()（）]", text)]
    marks += [m.start() for m in _TOKEN.finditer(text) if m.group().lower() in _BARRIERS_EN]
    return tuple(sorted(len(text[:i].encode()) for i in marks))
