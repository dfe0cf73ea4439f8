"""Style cards and theory notes as short plain lines, in English or Chinese.

A card's meter and tempo lines take their numbers from tokenization/styles.toml (the style's meter,
its tempo as the meter's beat counts it, via tokenization/view.tempo_text), so the card repeats no
number the table already holds; the tempo range and the prose come from cards.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...tokenization.styles import get_style

FACETS = ("meter", "tempo", "form", "melody", "rhythm", "keys", "kinds", "instruments")
COMPARED = ("meter", "tempo", "rhythm", "form")  # the key facts two cards show side by side
_SOURCES = {"music21": "music21", "nottingham": "Nottingham"}


@dataclass(frozen=True, slots=True)
class Example:
    """A tune in the data: its title (and Chinese title), and 'music21:<folder>/<file>' or 'nottingham:<file>'."""

    title: str
    file: str
    zh: str | None = None

    @property
    def source(self) -> str:
        return self.file.split(":", 1)[0]

    @property
    def path(self) -> str:
        return self.file.split(":", 1)[1]

    def text(self, lang: str) -> str:
        name = f"{self.zh} {self.title}" if lang == "zh" and self.zh else self.title
        where = f"{_SOURCES.get(self.source, self.source)} {self.path}"
        return f"{name}（{where}）" if lang == "zh" else f"{name} ({where})"


@dataclass(frozen=True)
class Card:
    """One style's card (cards.toml): titles, extra aliases, meters in the data, tempo range, lines."""

    style: str
    title: Mapping[str, str]
    aliases: tuple[str, ...]
    meters: tuple[str, ...]
    tempo_range: tuple[int, int] | None
    text: Mapping[str, Mapping[str, str]]
    examples: tuple[Example, ...]

    @classmethod
    def from_row(cls, row: dict) -> Card:
        aliases = row.get("aliases", {})
        low_high = row.get("tempo_range")
        return cls(style=row["style"], title=dict(row["title"]),
                   aliases=tuple(aliases.get("en", ())) + tuple(aliases.get("zh", ())),
                   meters=tuple(row.get("meters", ())), tempo_range=tuple(low_high) if low_high else None,
                   text={lang: dict(row[lang]) for lang in ("en", "zh")},
                   examples=tuple(Example(**e) for e in row.get("example", ())))

    def heading(self, lang: str) -> str:
        return f"{self.title[lang]}（风格 {self.style}）" if lang == "zh" else f"{self.title[lang]} (style {self.style})"

    def pace(self, lang: str) -> str:
        low, high = self.tempo_range or (None, None)
        return self.text[lang]["pace"].format(low=low, high=high)


@dataclass(frozen=True)
class Note:
    """One theory note (theory.toml): title, aliases, the styles it compares (if any), lines."""

    key: str
    title: Mapping[str, str]
    aliases: tuple[str, ...]
    compare: tuple[str, str] | None
    lines: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_row(cls, row: dict) -> Note:
        aliases = row.get("aliases", {})
        return cls(key=row["key"], title=dict(row["title"]),
                   aliases=tuple(aliases.get("en", ())) + tuple(aliases.get("zh", ())),
                   compare=tuple(row["compare"]) if row.get("compare") else None,
                   lines={lang: tuple(row[lang]) for lang in ("en", "zh")})


def tempo_phrase(style_name: str, lang: str, *, beats_zh: Mapping[str, str]) -> str:
    """The style's tempo from styles.toml as a musician counts it: 'dotted quarter = 116' / '附点四分音符 = 116'."""
    from ...tokenization.abc import tempo_beat
    from ...tokenization.music import Melody, parse_meter
    from ...tokenization.view import BEAT_NAMES, tempo_text

    style = get_style(style_name)
    melody = Melody((), meter=parse_meter(style.meter), tempo=style.tempo)
    if lang == "en":
        return tempo_text(melody)
    beat, count = tempo_beat(melody)
    return f"{beats_zh[BEAT_NAMES.get(beat, 'quarter')]} = {count}"


def facet(card: Card, name: str, lang: str, *, beats_zh: Mapping[str, str]) -> str | None:
    """One facet's text without its label (None when the card has none)."""
    style = get_style(card.style)
    if name == "tempo":
        shown = tempo_phrase(card.style, lang, beats_zh=beats_zh)
        return f"tunesmith 用 {shown}；{card.pace(lang)}" if lang == "zh" else f"{shown} in tunesmith; {card.pace(lang)}"
    text = card.text[lang].get(name)
    if text is None:
        return None
    if name == "meter":
        return f"{text}（tunesmith 默认 {style.meter}）" if lang == "zh" else f"{text} (tunesmith writes it in {style.meter})"
    return text


def _line(label: str, text: str, lang: str) -> str:
    return f"{label}：{text}" if lang == "zh" else f"{label}: {text}"


def card_lines(card: Card, lang: str, *, labels: Mapping[str, str], beats_zh: Mapping[str, str]) -> tuple[str, ...]:
    """A card as lines: meter, tempo, form, melody, rhythm, keys, kinds, instruments, examples."""
    lines = []
    for name in FACETS:
        text = facet(card, name, lang, beats_zh=beats_zh)
        if text:
            lines.append(_line(labels[name], text, lang))
    if card.examples:
        joined = ("；" if lang == "zh" else "; ").join(e.text(lang) for e in card.examples)
        lines.append(_line(labels["examples"], joined, lang))
    return tuple(lines)


def compare_lines(a: Card, b: Card, lang: str, *, labels: Mapping[str, str],
                  beats_zh: Mapping[str, str]) -> tuple[str, ...]:
    """Two cards' key facts side by side, one short line per fact: 'Meter: jig: 6/8 …; reel: …'."""
    lines = []
    cut = "；" if lang == "zh" else "; "
    for name in COMPARED:
        parts = []
        for card in (a, b):
            if name == "tempo":
                shown = tempo_phrase(card.style, lang, beats_zh=beats_zh)
                text = f"{shown}（{_bare(card.pace(lang))}）" if lang == "zh" else f"{shown} ({_bare(card.pace(lang))})"
            else:
                text = (card.text[lang].get(name) or "").split(cut)[0]
            parts.append((card.title[lang], text))
        if lang == "zh":
            lines.append(f"{labels[name]}：" + "；".join(f"{who}：{text}" for who, text in parts if text))
        else:
            lines.append(f"{labels[name]}: " + " | ".join(f"{who}: {text}" for who, text in parts if text))
    return tuple(lines)


def _bare(pace: str) -> str:
    """A pace without its sources in brackets: 'dancers' pace 108-127 dotted quarters a minute'."""
    for bracket in (" (", "（"):
        pace = pace.split(bracket)[0]
    return pace


def note_lines(note: Note, lang: str, *, voices_zh: Mapping[str, str]) -> tuple[str, ...]:
    """A note's lines, with {modes} and {voices} filled from the code that uses them."""
    fill = _fill(lang, voices_zh)
    return tuple(line.format_map(fill) if "{" in line else line for line in note.lines[lang])


def _fill(lang: str, voices_zh: Mapping[str, str]) -> dict[str, str]:
    from ...tokenization.pitch import MODE_NAMES_ZH, MODES, note_name
    from ..theory.melody import VOICE_RANGES

    voices = [(name, low, high) for name, (low, high) in VOICE_RANGES.items() if name != "any"]
    if lang == "zh":
        return {"modes": "、".join(MODE_NAMES_ZH[m][0] for m in MODES),
                "voices": "，".join(f"{voices_zh.get(n, n)} {note_name(lo)}-{note_name(hi)}" for n, lo, hi in voices)}
    return {"modes": ", ".join(MODES[:-1]) + f" and {MODES[-1]}",
            "voices": ", ".join(f"{n} {note_name(lo)}-{note_name(hi)}" for n, lo, hi in voices)}
