"""Lyrics for a melody: slots → drafts → fitter → a Song with one syllable per note.

A drafter proposes lines; the fitter of the language (`lyrics_en.fit_line`, `lyrics_zh.fit_line`)
decides, and only lines that fit are kept: one syllable per slot, stress on the strong beats
and no function word on a downbeat (English), tones that follow the melody (Mandarin), and the
requested rhyme.  A line that cannot rhyme with its partner makes the partner be re-drafted
with another ending; when that fails too the tool raises ToolError instead of returning a line
that does not fit.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from ...tokenization.music import Melody, Song, Syllable
from . import en
from . import zh
from ..budget import Budget
from ..errors import ToolError
from .drafters import Drafter, LexiconDrafter
from .lexicon import match_themes
from .slots import Phrase, melody_phrases

LANGS = ("en", "zh")
MAX_RESTARTS = 3
MAX_LINES = 64      # lines one lyric drafts (four long verses); a longer melody's later phrases stay wordless
VERSE_CONTEXT = 8   # earlier lines a drafter reads: a stanza, so a long lyric's prompts do not grow without end


def scheme_groups(rhyme: str, lines: int) -> list[str | None]:
    """The rhyme group of each line: the scheme repeats with fresh rhymes; 'X' is unrhymed.

    >>> scheme_groups("AABB", 6)
    ['A0', 'A0', 'B0', 'B0', 'A1', 'A1']
    >>> scheme_groups("XAXA", 4)
    [None, 'A0', None, 'A0']
    """
    letters = (rhyme or "").strip().upper()
    if letters in ("", "NONE", "FREE"):
        letters = "X"
    if not re.fullmatch(r"[A-Z]{1,16}", letters):
        raise ToolError(f"rhyme scheme {rhyme!r} should be letters such as AABB, ABAB or ABCB (X = no rhyme)")
    return [None if letters[i % len(letters)] == "X" else f"{letters[i % len(letters)]}{i // len(letters)}"
            for i in range(lines)]


@dataclass(frozen=True, slots=True)
class LineResult:
    """One fitted line: its text, its syllables in slot order, and how well it sits."""

    text: str
    syllables: tuple[tuple[str, str], ...]  # (text, syllabic) per slot
    group: str | None
    rhyme_with: str | None
    score: float  # English: stress–beat share; Mandarin: tone–melody agreement
    fit: en.LineFit | zh.ZhLineFit


@dataclass(frozen=True, slots=True)
class LyricsResult:
    """The song with lyrics plus what the person and the eval need to judge them."""

    song: Song
    phrases: tuple[Phrase, ...]
    lines: tuple[LineResult, ...]
    lang: str
    theme: str
    rhyme: str
    seed: int
    drafter: str
    drafts: int
    seconds: float
    warnings: tuple[str, ...] = ()

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def as_dict(self) -> dict:
        return {"lang": self.lang, "theme": self.theme, "rhyme": self.rhyme, "seed": self.seed,
                "drafter": self.drafter, "drafts": self.drafts, "seconds": round(self.seconds, 3),
                "warnings": list(self.warnings),
                "lines": [{"text": ln.text, "syllables": len(ln.syllables), "group": ln.group,
                           "score": round(ln.score, 3)} for ln in self.lines]}


def _syllables_en(fit: en.LineFit) -> tuple[tuple[str, str], ...]:
    out = []
    for word in fit.words:
        parts = word.syllables
        for k, part in enumerate(parts):
            kind = "single" if len(parts) == 1 else "begin" if k == 0 else "end" if k == len(parts) - 1 else "middle"
            out.append((part, kind))
    return tuple(out)


def check_line(text: str, phrase: Phrase, lang: str, rhyme_with: str | None) -> LineResult | None:
    """The line as fitted to the phrase, or None when the fitter refuses it (or it misses the rhyme)."""
    if lang == "en":
        fit = en.fit_line(text, phrase)
        if not fit.ok or (rhyme_with and not en.rhymes(fit.last_word, rhyme_with)):
            return None
        return LineResult(text, _syllables_en(fit), None, rhyme_with, fit.stress_score, fit)
    fit = zh.fit_line(text, phrase)
    if not fit.ok or (rhyme_with and not (zh.zh_rhymes(text, rhyme_with) and fit.last_word != rhyme_with[-1])):
        return None
    return LineResult("".join(fit.chars), tuple((c, "single") for c in fit.chars), None, rhyme_with,
                      fit.agreement, fit)


def default_drafter(lang: str) -> Drafter:
    """The non-neural drafters (the action layer passes the pretrained LM's drafter as `drafter`
    when it is installed)."""
    if lang == "en":
        return LexiconDrafter()
    from .drafter_zh import PoetryDrafter

    return PoetryDrafter()


def draft_fitted(drafter: Drafter, phrase: Phrase, *, theme: str, lang: str, rhyme_with: str | None, seed: int,
                 previous: str, verse: tuple[str, ...], max_drafts: int,
                 keep: Callable[[LineResult], bool] | None = None) -> tuple[LineResult | None, int]:
    """The best-fitting line of up to `max_drafts` rounds of drafts for one phrase (round k drafts
    with `seed + 13 k`); only lines the fitter accepts, and `keep` when given, count.
    (the line or None, the rounds used)."""
    for attempt in range(max_drafts):
        try:
            texts = drafter.draft_line(theme=theme, syllables=phrase.syllables, stress_pattern=phrase.stress_pattern(),
                                       rhyme_with=rhyme_with, lang=lang, seed=(seed + attempt * 13) % (1 << 63),
                                       contour=phrase.contour(), previous=previous, verse=verse)
        except ValueError as err:
            raise ToolError(f"the drafter {getattr(drafter, 'name', '?')} failed: {err}") from err
        fitted = [r for r in (check_line(t, phrase, lang, rhyme_with) for t in texts)
                  if r is not None and (keep is None or keep(r))]
        if fitted:
            return max(fitted, key=lambda r: r.score), attempt + 1
    return None, max_drafts


def theme_warnings(theme: str, lang: str, drafter: Drafter) -> list[str]:
    if match_themes(theme) or (lang == "zh" and zh.han_chars(theme)):
        return []
    if lang == "en" and getattr(drafter, "reads_theme", False):
        return []  # the model is prompted with the theme's own words
    if lang == "zh":
        return [f"theme {theme!r} has no Chinese characters or known theme words, so the drafts ignore it"]
    return [f"theme {theme!r} matches none of the drafter's themes; its own words are used as nouns"]


def apply_lines(melody: Melody, phrases: tuple[Phrase, ...], lines: list[LineResult]) -> Melody:
    """The melody with one syllable on the first note of every slot and melisma extenders."""
    notes = [replace(n, lyric=None) for n in melody.notes]
    for phrase, line in zip(phrases, lines):
        for slot, (text, syllabic) in zip(phrase.slots, line.syllables):
            first = slot.notes[0]
            notes[first] = replace(notes[first], lyric=Syllable(text, syllabic, extend=len(slot.notes) > 1))
    return replace(melody, notes=tuple(notes))


def write_lyrics(melody_or_song: Melody | Song, *, theme: str, lang: str = "en", rhyme: str = "AABB",
                 seed: int | None = None, drafter: Drafter | None = None,
                 melisma: bool | str | Collection[int] = False,
                 max_drafts: int = 12, max_syllables: int = 12) -> LyricsResult:
    """Write lyrics on a theme that fit the melody, one line per phrase.

    The drafter: `drafter` when given (the pretrained LM, a bigger LLM), else the non-neural drafters.
    Raises ToolError when a line cannot be fitted after `max_drafts` drafts and
    re-drafting its rhyme partner `MAX_RESTARTS` times."""
    started = time.perf_counter()
    if lang not in LANGS:
        raise ToolError(f"language {lang!r} is not supported; use en (English) or zh (Mandarin)")
    song = melody_or_song if isinstance(melody_or_song, Song) else Song(melody=melody_or_song)
    every = melody_phrases(song.melody, melisma=melisma, max_syllables=max_syllables)
    phrases, notes = every[:MAX_LINES], []
    if len(every) > MAX_LINES:
        last = song.melody.notes[phrases[-1].slots[-1].notes[-1]]
        bar = int(last.onset // song.melody.bar_length) + 1
        notes.append(f"the melody has {len(every)} phrases: lyrics were written for the first {MAX_LINES} "
                     f"(to bar {bar}); the rest has no words")
    groups = scheme_groups(rhyme, len(phrases))
    seed = random.Random().randrange(1 << 31) if seed is None else int(seed)
    drafter = drafter or default_drafter(lang)
    lines: list[LineResult | None] = [None] * len(phrases)
    restarts: Counter = Counter()
    banned: dict[str, set[str]] = defaultdict(set)
    drafts, i = 0, 0
    budget = Budget.start("lyrics")
    while i < len(phrases):
        budget.check(f"line {i + 1}")
        phrase, group = phrases[i], groups[i]
        head = groups.index(group) if group else i
        rhyme_with = lines[head].fit.last_word if group and head < i else None
        fresh = (lambda r, taken=banned[group]: r.fit.last_word.lower() not in taken) if group and head == i else None
        chosen, used = draft_fitted(drafter, phrase, theme=theme, lang=lang, rhyme_with=rhyme_with,
                                    seed=seed * 7919 + i * 104729 + restarts[group] * 100003,
                                    previous=lines[i - 1].text if i and lines[i - 1] else "",
                                    verse=tuple(line.text for line in lines[max(0, i - VERSE_CONTEXT):i]
                                                if line is not None),
                                    max_drafts=max_drafts, keep=fresh)
        drafts += used
        if chosen is not None:
            lines[i] = replace(chosen, group=group)
            i += 1
        elif rhyme_with is not None and restarts[group] < MAX_RESTARTS:
            banned[group].add(rhyme_with.lower())
            restarts[group] += 1
            i = head  # the partner takes another ending, and the lines after it are redone
        else:
            need = f", rhyming with '{rhyme_with}'" if rhyme_with else ""
            raise ToolError(f"could not fit line {i + 1} ({phrase.syllables} notes{need}) after {drafts} drafts; "
                            "try another seed, another rhyme scheme or --melisma")
    done = [line for line in lines if line is not None]
    melody = apply_lines(song.melody, phrases, done)
    return LyricsResult(song=replace(song, melody=melody), phrases=phrases, lines=tuple(done), lang=lang,
                        theme=theme, rhyme=rhyme, seed=seed, drafter=getattr(drafter, "name", type(drafter).__name__),
                        drafts=drafts, seconds=time.perf_counter() - started,
                        warnings=tuple(notes + theme_warnings(theme, lang, drafter)))
