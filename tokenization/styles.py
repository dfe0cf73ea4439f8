"""The styles and moods tunesmith knows, read from styles.toml: the one table of them.

A style is a lowercase slug.  Genres hang under their parent (`chinese-han-xiaodiao` is
a `chinese-han`).  The corpus builder assigns these labels; the codec makes one control
token per label; the CLI accepts the slugs and their aliases; the chat takes the words
people use for them (English and Chinese).  A mood word fills in what a person did not say:
a mode, a tempo factor and the colour of a chord progression.  Adding a style or a mood is
one entry in styles.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources

from .errors import MusicValueError

TABLE_FILE = "styles.toml"


@dataclass(frozen=True, slots=True)
class Style:
    """One style label, what it usually sounds like and what people call it."""

    name: str
    description: str
    meter: str
    tempo: int  # quarter notes a minute (from beat_tempo beats of `beat`)
    beat: str = "1/4"  # the note musicians count the tempo in: "1/2", "3/8" (a dotted quarter)
    beat_tempo: int = 0  # the tempo as musicians count it: beats of `beat` a minute
    label_tempo: int = field(default=0, repr=False)  # the corpus's quarter tempo for tunes without one
    parent: str | None = None
    aliases: tuple[str, ...] = field(default=(), repr=False)  # other names get_style accepts
    en: tuple[str, ...] = field(default=(), repr=False)  # chat words (a genre's words name the genre)
    zh: tuple[str, ...] = field(default=(), repr=False)
    chat_rank: int | None = field(default=None, repr=False)  # place in the chat dialogues' draw
    chat_weight: int = field(default=2, repr=False)
    swing: str | None = None  # how its written even pairs are played and then written: "dotted" (3:1)
    swing_span: str = "1/4"  # the length of one swung pair, as a fraction of the bar


SWINGS: dict[str, Fraction] = {"dotted": Fraction(3, 4)}  # the long note's share of its pair


@dataclass(frozen=True, slots=True)
class ChordStyle:
    """A harmony style `recommend_chords` takes besides the corpus styles, and its chat words."""

    name: str
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mood:
    """A mood word: the mode and tempo factor it suggests for a melody, the colour it asks of a
    chord progression (bright, dark, tense, calm), and its chat words (none: not a chat mood)."""

    name: str
    mode: str | None = None
    tempo: float = 1.0
    chord: str | None = None
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def in_chat(self) -> bool:
        return bool(self.en or self.zh)


def _rows(kind, rows: list[dict]) -> tuple:
    return tuple(kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}) for row in rows)


def _load() -> dict[str, list[dict]]:
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MusicValueError(f"cannot read {TABLE_FILE}: {err}") from err


def _style(row: dict) -> dict:
    """A [[style]] row with its tempo in quarter notes: the one place a musician's beat is converted."""
    beat = row.get("beat", "1/4")
    try:
        quarters = Fraction(beat) * 4
    except (ValueError, ZeroDivisionError) as err:
        raise MusicValueError(f"{TABLE_FILE}: style {row.get('name')!r} has beat {beat!r}, not a note value like 3/8") from err
    tempo = round(row["tempo"] * quarters)
    if row.get("swing") is not None and row["swing"] not in SWINGS:
        raise MusicValueError(f"{TABLE_FILE}: style {row.get('name')!r} has swing {row['swing']!r}; known: {', '.join(SWINGS)}")
    try:
        span = Fraction(row.get("swing_span", "1/4"))
    except (ValueError, ZeroDivisionError) as err:
        raise MusicValueError(f"{TABLE_FILE}: style {row.get('name')!r} has swing_span {row.get('swing_span')!r}, not a fraction like 1/4") from err
    if not 0 < span <= 1:
        raise MusicValueError(f"{TABLE_FILE}: style {row.get('name')!r} has swing_span {span}, not in (0, 1]")
    return row | {"beat": beat, "beat_tempo": row["tempo"], "tempo": tempo, "label_tempo": row.get("label_tempo", tempo)}


_TABLE = _load()
STYLES: tuple[Style, ...] = _rows(Style, [_style(row) for row in _TABLE["style"]])
STYLE_NAMES: tuple[str, ...] = tuple(s.name for s in STYLES)
CHORD_STYLES: tuple[ChordStyle, ...] = _rows(ChordStyle, _TABLE["chord_style"])
CHORD_STYLE_NAMES: tuple[str, ...] = tuple(s.name for s in CHORD_STYLES)
MOODS: tuple[Mood, ...] = _rows(Mood, _TABLE["mood"])
CHAT_MOODS: tuple[str, ...] = tuple(m.name for m in MOODS if m.in_chat)  # what the chat offers
# Chat styles in the order the synthetic dialogues draw them; genres keep the table's order.
CHAT_STYLES: tuple[Style, ...] = tuple(sorted((s for s in STYLES if s.chat_rank is not None),
                                              key=lambda s: s.chat_rank))
GENRES: tuple[Style, ...] = tuple(s for s in STYLES if s.parent is not None)
_BY_NAME = {s.name: s for s in STYLES}
_ALIASES = {alias: s.name for s in STYLES for alias in s.aliases}
_MOODS = {m.name: m for m in MOODS}


def get_style(name: str) -> Style:
    """Look a style up by slug or alias.

    >>> get_style("Jig").name
    'irish-jig'
    >>> get_style("polka")
    Traceback (most recent call last):
    tunesmith.tokenization.errors.MusicValueError: unknown style 'polka'; known styles: german-folk, lorraine-folk, luxembourg-folk, irish-folk, chinese-han, chinese-han-xiaodiao, chinese-han-shange, chinese-han-haozi, chinese-han-erge, chinese-han-wuge, irish-reel, irish-jig, irish-slip-jig, irish-hornpipe, irish-air, scottish-strathspey, scottish-air, fiddle-tune, american-fife, bach-chorale
    """
    slug = name.strip().lower().replace(" ", "-").replace("_", "-")
    found = _BY_NAME.get(_ALIASES.get(slug, slug))
    if found is None:
        raise MusicValueError(f"unknown style {name!r}; known styles: {', '.join(STYLE_NAMES)}")
    return found


def model_tempo(style: str | None, tempo: int) -> int:
    """The tempo to give the melody model's tempo control for a tune of `style` at `tempo`
    (quarter bpm): the model learned the corpus's labels (label_tempo), so a style's usual tempo
    maps to its label and other tempos keep their ratio to it.  A style it does not know: as is.

    >>> model_tempo("irish-reel", 224), model_tempo("irish-reel", 258), model_tempo("bach-chorale", 80)
    (112, 129, 80)
    """
    found = _BY_NAME.get(_ALIASES.get(style or "", style or ""))
    if found is None or found.label_tempo == found.tempo:
        return tempo
    return max(1, round(tempo * found.label_tempo / found.tempo))


def mood_of(word: str) -> Mood:
    """The table's entry for a mood word (as written, lower case), or a neutral Mood for a word
    it does not know (no mode, tempo factor 1, no chord colour).

    >>> mood_of("sad").mode, mood_of("sad").tempo, mood_of("sad").chord, mood_of("whatever").tempo
    ('minor', 0.8, 'dark', 1.0)
    """
    return _MOODS.get(word) or Mood(word)
