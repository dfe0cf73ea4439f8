"""Find what music_knowledge answers: a style card or a theory note for a free topic string.

The words come from the data: every style's name, aliases and chat words (tokenization/styles.toml),
each card's and note's own aliases (cards.toml, theory.toml), in English and Chinese, and the titles
of the cards' example tunes.  A topic is
matched whole, then without question words ("what is a …", "什么是…"), then as two topics compared
("jig vs reel", "吉格和里尔的区别"), then by a known word inside it, then by a close spelling
(difflib), so small typos still find their card.  What cannot be found is one ToolError that names
a few topics that can.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources

from ...tokenization.styles import STYLES
from ..errors import ToolError
from .render import Card, Note, card_lines, compare_lines, note_lines

LANGS = ("en", "zh")
_HAN = re.compile(r"[\u3400-\u9fff]")
_FILLERS_EN = re.compile(r"^(?:(?:please|tell me|explain|describe|what|whats|what's|is|are|about|how|does|do|a|an|the|"
                         r"me|of|on|info|information|some|facts)\s+)+")
_TAILS_EN = re.compile(r"(?:\s+(?:music|tunes?|songs?|style|dances?|mean|means|is|are|work|works|please))+$")
_FILLERS_ZH = re.compile(r"^(?:请|请问|介绍一下|介绍|讲讲|说说|讲一下|说一下|什么是|什么叫|关于)+|(?:是什么|是什么意思|怎么用|吗|呢|的特点|特点)+$")
_WRAP_EN = re.compile(r"^(?:the\s+)?(?:differences?|difference)\s+between\s+|^compare\s+|\s+differ(?:ence)?s?$")
_WRAP_ZH = re.compile(r"(?:的区别|区别|的不同|有什么不同|有什么区别|哪里不同|比较|对比)$|^(?:比较|对比)")
_SPLIT_EN = re.compile(r"\s+(?:vs|versus|compared to|compared with|differ from|differs from|or|and|from)\s+")
_SPLIT_ZH = re.compile(r"\s*(?:和|与|跟|同|对比|比较|还是|vs)\s*")
CUTOFF = 0.8  # difflib ratio a misspelt topic needs


def normal(text: str) -> str:
    """Lower case, no punctuation, hyphens as spaces, one space between words.

    >>> normal("  What's a Slip-Jig?! "), normal("吉格，和里尔？")
    ("what's a slip jig", '吉格 和里尔')
    """
    text = unicodedata.normalize("NFKC", text or "").lower().replace("’", "'")
    text = re.sub(r"[-_–—]", " ", text)
    text = re.sub(r"[^\w'/\s]", " ", text)
    return " ".join(text.split())


def topic_lang(text: str, lang: str | None) -> str:
    """The language asked for, else Chinese for a topic in Chinese characters, else English."""
    if lang:
        chosen = lang.strip().lower()
        if chosen not in LANGS:
            raise ToolError(f"lang takes en or zh, not {lang!r}")
        return chosen
    return "zh" if _HAN.search(text or "") else "en"


@dataclass(frozen=True, slots=True)
class Answer:
    """What music_knowledge says: the topic found, its kind (style, theory, compare) and the lines."""

    topic: str
    kind: str
    lang: str
    title: str
    lines: tuple[str, ...]

    def text(self) -> str:
        return "\n".join((self.title, *self.lines))


@dataclass(frozen=True)
class Library:
    """The cards and notes and every word that finds one: normalised word -> ('style' | 'note', name)."""

    cards: dict[str, Card]
    notes: dict[str, Note]
    words: dict[str, tuple[str, str]]
    beats_zh: dict[str, str]
    voices_zh: dict[str, str]
    labels: dict[str, dict[str, str]]


def _read(name: str) -> dict:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ToolError(f"cannot read {name}: {err}") from err


@functools.lru_cache(maxsize=1)
def library() -> Library:
    """cards.toml and theory.toml, read once, with the index of the words that find them."""
    card_data, note_data = _read("cards.toml"), _read("theory.toml")
    cards = {row["style"]: Card.from_row(row) for row in card_data["card"]}
    notes = {row["key"]: Note.from_row(row) for row in note_data["note"]}
    words: dict[str, tuple[str, str]] = {}
    for note in notes.values():  # theory words first: 'minor' is the minor key, not a style
        for word in (note.key, *note.title.values(), *note.aliases):
            words.setdefault(normal(word), ("note", note.key))
    for style in STYLES:
        card = cards.get(style.name)
        extra = (*card.aliases, *card.title.values()) if card else ()
        for word in (style.name, *style.aliases, *style.en, *style.zh, *extra):
            words.setdefault(normal(word), ("style", style.name))
    for card in cards.values():  # an example tune finds its style's card, last of all
        for example in card.examples:
            for word in (example.title, example.zh or ""):
                words.setdefault(normal(word), ("style", card.style))
    words.pop("", None)
    return Library(cards=cards, notes=notes, words=words, beats_zh=dict(card_data["beats_zh"]),
                   voices_zh=dict(note_data["voices_zh"]), labels={lang: dict(card_data["labels"][lang]) for lang in LANGS})


def _strip(text: str) -> str:
    """The topic without question words around it ('what is a plagal cadence' -> 'plagal cadence')."""
    text = _TAILS_EN.sub("", _FILLERS_EN.sub("", text)).strip()
    return _FILLERS_ZH.sub("", text).strip()


def _contained(text: str, words: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The longest known word inside the text (whole words for Latin letters); a style wins a tie."""
    found = []
    for word, target in words.items():
        if _HAN.search(word):
            hit = word in text
        else:
            hit = re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", text) is not None
        if hit:
            found.append((len(word), target[0] == "style", target))
    return max(found)[2] if found else None


def _close(text: str, words: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """A known word spelt a little differently: the whole topic, else one of its words."""
    match = difflib.get_close_matches(text, list(words), n=1, cutoff=CUTOFF)
    if match:
        return words[match[0]]
    single = [w for w in words if " " not in w and not _HAN.search(w) and len(w) >= 4]
    for part in sorted(text.split(), key=len, reverse=True):
        if len(part) >= 4:
            match = difflib.get_close_matches(part, single, n=1, cutoff=CUTOFF)
            if match:
                return words[match[0]]
    return None


def _one(text: str, lib: Library) -> tuple[str, str] | None:
    """One topic for a text, or None."""
    for candidate in (text, _strip(text)):
        if candidate in lib.words:
            return lib.words[candidate]
    stripped = _strip(text) or text
    return _contained(stripped, lib.words) or _close(stripped, lib.words)


def _pair(text: str, lib: Library) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """Two topics compared ('jig vs reel', 'the difference between a jig and a reel', '吉格和里尔的区别')."""
    for wrap, split in ((_WRAP_EN, _SPLIT_EN), (_WRAP_ZH, _SPLIT_ZH)):
        bare = wrap.sub("", _strip(text)).strip()
        parts = split.split(bare, maxsplit=1)
        if len(parts) == 2 and all(p.strip() for p in parts):
            found = [_one(p.strip(), lib) for p in parts]
            if found[0] and found[1]:
                return found[0], found[1]
    return None


def find_topic(text: str, lang: str | None = None) -> Answer:
    """The card, note or comparison a free topic string asks for, in `lang` (default: Chinese for a
    topic in Chinese characters, else English); ToolError naming some known topics when none fits."""
    lang = topic_lang(text, lang)
    lib = library()
    clean = normal(text)
    if not clean:
        raise ToolError(_unknown(text, lang, lib))
    whole = lib.words.get(clean) or lib.words.get(_strip(clean))
    pair = None if whole else _pair(clean, lib)
    if pair and pair[0] != pair[1]:
        return _answer_pair(pair, lang, lib)
    target = whole or (pair[0] if pair else None) or _one(clean, lib)
    if target is None:
        raise ToolError(_unknown(text, lang, lib))
    return _answer(target, lang, lib)


def _answer(target: tuple[str, str], lang: str, lib: Library) -> Answer:
    kind, name = target
    if kind == "style":
        card = _card(name, lib)
        return Answer(topic=name, kind="style", lang=lang, title=card.heading(lang),
                      lines=card_lines(card, lang, labels=lib.labels[lang], beats_zh=lib.beats_zh))
    note = lib.notes[name]
    if note.compare:
        a, b = (_card(s, lib) for s in note.compare)
        lines = (*note_lines(note, lang, voices_zh=lib.voices_zh),
                 *compare_lines(a, b, lang, labels=lib.labels[lang], beats_zh=lib.beats_zh))
        return Answer(topic=name, kind="compare", lang=lang, title=note.title[lang], lines=lines)
    return Answer(topic=name, kind="theory", lang=lang, title=note.title[lang],
                  lines=note_lines(note, lang, voices_zh=lib.voices_zh))


def _answer_pair(pair: tuple[tuple[str, str], tuple[str, str]], lang: str, lib: Library) -> Answer:
    """Two styles side by side (with the note that compares them, if there is one); else both answers."""
    (kind_a, a), (kind_b, b) = pair
    if kind_a == kind_b == "style":
        for note in lib.notes.values():
            if note.compare and set(note.compare) == {a, b}:
                return _answer(("note", note.key), lang, lib)
        card_a, card_b = _card(a, lib), _card(b, lib)
        word = " vs " if lang == "en" else "与"
        title = f"{card_a.title[lang]}{word}{card_b.title[lang]}"
        lines = compare_lines(card_a, card_b, lang, labels=lib.labels[lang], beats_zh=lib.beats_zh)
        return Answer(topic=f"{a} vs {b}", kind="compare", lang=lang, title=title, lines=lines)
    first, second = _answer(pair[0], lang, lib), _answer(pair[1], lang, lib)
    return Answer(topic=f"{first.topic} vs {second.topic}", kind="compare", lang=lang,
                  title=first.title, lines=(*first.lines, second.title, *second.lines))


def _card(style: str, lib: Library) -> Card:
    if style not in lib.cards:
        raise ToolError(f"the style {style!r} has no card in tools/knowledge/cards.toml yet")
    return lib.cards[style]


def known_topics(lang: str = "en") -> tuple[str, ...]:
    """A few topics to suggest: the dance styles, then the theory notes."""
    lib = library()
    styles = [lib.cards[s].title[lang] for s in ("irish-jig", "irish-reel", "irish-hornpipe", "chinese-han",
                                                 "bach-chorale") if s in lib.cards]
    return (*styles, *(n.title[lang].split(":")[0].split("：")[0] for n in lib.notes.values()))


def _unknown(text: str, lang: str, lib: Library) -> str:
    some = known_topics(lang)[:12]
    if lang == "zh":
        return f"不知道“{text}”这个话题；可以问一种风格或乐理话题，例如：{'、'.join(some)}"
    return f"unknown topic {text!r}; ask about a style or a theory topic, e.g. {', '.join(some)}"
