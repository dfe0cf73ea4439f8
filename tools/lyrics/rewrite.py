"""One lyric line rewritten on the same notes, the other lines kept as they are.

The song keeps its lyrics on its notes, not as lines, so the lines are found again: the notes
without a syllable after a sung note are its melisma, and `melody_phrases` with that melisma
splits the melody the way `write_lyrics` did.  The new line is drafted and fitted as
`write_lyrics` drafts one (`write.draft_fitted`: same drafters, same fitter: syllables and
stress, or characters and tones), and it must differ from the old line and from every other
line.  It rhymes with the line asked for; without one it keeps the rhyme the old line had with
another line when it can.  The drafter reads the other lines as the verse: the ones after the
line first, then the ones before it, so the new line follows on from the line it comes after.
The song does not keep its theme, so without one the theme comes from the other lines' words.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ...tokenization.music import Melody, Song, Syllable
from ..budget import Budget
from ..errors import ToolError
from . import en, zh
from .drafters import Drafter
from .lexicon import themes
from .slots import Phrase, lyric_slots, melody_phrases
from .write import VERSE_CONTEXT, LineResult, default_drafter, draft_fitted, theme_warnings


@dataclass(frozen=True, slots=True)
class LyricLine:
    """One line of a song's lyrics: the phrase it is sung on and its words."""

    phrase: Phrase
    text: str


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """The song with one line rewritten, and what the summary and the person need."""

    song: Song
    number: int  # the line rewritten, from 1
    old: str
    line: LineResult
    lines: tuple[str, ...]  # every line's text after the rewrite
    rhyme_with: int | None  # the line it rhymes with (asked for, or kept from the old line)
    lang: str
    theme: str
    seed: int
    drafter: str
    drafts: int
    seconds: float
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"line": self.number, "old": self.old, "text": self.line.text, "rhyme_with": self.rhyme_with,
                "lang": self.lang, "theme": self.theme, "seed": self.seed, "drafter": self.drafter,
                "drafts": self.drafts, "seconds": round(self.seconds, 3), "lines": list(self.lines),
                "score": round(self.line.score, 3), "warnings": list(self.warnings)}


def lyrics_lang(melody: Melody) -> str:
    """'zh' when the lyrics have Chinese characters, else 'en'."""
    return "zh" if any(n.lyric is not None and zh.han_chars(n.lyric.text) for n in melody.notes) else "en"


def lyric_lines(melody: Melody) -> tuple[LyricLine, ...]:
    """The lines of the lyrics on a melody: one per phrase that has words."""
    held = {i for slot in lyric_slots(melody) for i in slot.notes[1:]}
    lang = lyrics_lang(melody)
    out = []
    for phrase in melody_phrases(melody, melisma=held):
        sung = [melody.notes[slot.notes[0]].lyric for slot in phrase.slots]
        sung = [s for s in sung if s is not None and s.text.strip()]
        if sung:
            out.append(LyricLine(phrase, _text(sung, lang)))
    return tuple(out)


def _text(syllables: Sequence[Syllable], lang: str) -> str:
    if lang == "zh":
        return "".join(s.text.strip() for s in syllables)
    words, word = [], ""
    for syllable in syllables:
        word += syllable.text.strip()
        if syllable.syllabic in ("single", "end"):
            words.append(word)
            word = ""
    return " ".join(words + ([word] if word else []))


def _same(text: str, lang: str) -> str:
    """What two lines must differ in: their words (characters), not case or punctuation."""
    return "".join(zh.han_chars(text)) if lang == "zh" else " ".join(en.words_of(text)).lower()


def _last(text: str, lang: str) -> str:
    found = zh.han_chars(text) if lang == "zh" else en.words_of(text)
    return found[-1] if found else ""


def _rhymes(a: str, b: str, lang: str) -> bool:
    return zh.zh_rhymes(a, b) if lang == "zh" else en.rhymes(_last(a, lang), _last(b, lang))


def song_theme(lines: Sequence[str], lang: str) -> str:
    """A theme for lines whose song did not keep its own: the word table's themes (English) or
    theme characters (Mandarin) the lines use most, else their most frequent words.

    >>> song_theme(["The old house by the door", "I walked the long road"], "en")
    'home and road'
    >>> song_theme(["明月照家乡", "夜里月光长"], "zh")
    '月明'
    """
    if lang == "zh":
        chars = [c for line in lines for c in zh.han_chars(line)]
        table = {c for row in themes() for c in row.han}
        top = Counter(c for c in chars if c in table).most_common(2) or Counter(chars).most_common(2)
        return "".join(c for c, _ in top)
    words = [w.lower() for line in lines for w in en.words_of(line) if not en.is_function(w)]
    scores = Counter()
    for row in themes():
        vocabulary = {row.name, *row.keywords, *row.nouns, *row.adjectives,
                      *(v for pair in (*row.verbs_intransitive, *row.verbs_transitive) for v in pair)}
        scores[row.name] = sum(w in vocabulary for w in words)
    top = [name for name, score in scores.most_common(2) if score > 0]
    return " and ".join(top or [w for w, _ in Counter(w for w in words if len(w) > 2).most_common(2)])


def _context(texts: Sequence[str], k: int) -> tuple[str, ...]:
    """The other lines nearest line k (0-based), at most VERSE_CONTEXT: those after it, then those before."""
    near = sorted(sorted((j for j in range(len(texts)) if j != k), key=lambda j: (abs(j - k), j))[:VERSE_CONTEXT])
    return tuple(texts[j] for j in near if j > k) + tuple(texts[j] for j in near if j < k)


def _kept_partner(texts: Sequence[str], k: int, lang: str) -> int | None:
    """The nearest other line the old line rhymes with (0-based), or None."""
    end = _last(texts[k], lang).lower()
    partners = [j for j in range(len(texts)) if j != k and _last(texts[j], lang).lower() != end
                and _rhymes(texts[k], texts[j], lang)]
    return min(partners, key=lambda j: (abs(j - k), j)) if partners else None


def _rhyme_word(texts: Sequence[str], j: int, lang: str) -> str:
    word = _last(texts[j], lang)
    if not (zh.rhyme_class(word) if lang == "zh" else en.rhyme_parts(word)):
        raise ToolError(f"line {j + 1} ends on {word!r}, which has no rhyme the fitter knows; pick another line")
    return word


def _sung(melody: Melody, phrase: Phrase, line: LineResult) -> Melody:
    """The melody with the line's syllables on the phrase's slots and nothing else changed."""
    notes = list(melody.notes)
    for slot, (text, syllabic) in zip(phrase.slots, line.syllables):
        notes[slot.notes[0]] = replace(notes[slot.notes[0]], lyric=Syllable(text, syllabic, extend=len(slot.notes) > 1))
        for k in slot.notes[1:]:
            notes[k] = replace(notes[k], lyric=None)
    return replace(melody, notes=tuple(notes))


def checked_lines(song: Song, *, line: int, rhyme_with: int | None = None) -> tuple[LyricLine, ...]:
    """The song's lyric lines, or the ToolError a person can act on (before any model is loaded)."""
    found = lyric_lines(song.melody) if song.has_lyrics else ()
    if not found:
        raise ToolError("the song has no lyrics yet: write lyrics first (write_lyrics)")
    count = len(found)
    for name, number in (("line", line), ("rhyme_with", rhyme_with)):
        if number is not None and not 1 <= number <= count:
            raise ToolError(f"{name} {number} is not a lyric line: the lyrics have {count} line{'s' * (count != 1)}")
    if rhyme_with == line:
        raise ToolError(f"line {line} cannot rhyme with itself: give rhyme_with another line (1-{count})")
    if rhyme_with is not None:
        _rhyme_word([f.text for f in found], rhyme_with - 1, lyrics_lang(song.melody))
    return found


def rewrite_line(song: Song, *, line: int, rhyme_with: int | None = None, theme: str | None = None,
                 seed: int | None = None, drafter: Drafter | None = None, max_drafts: int = 12) -> RewriteResult:
    """Line `line` (from 1) of the song's lyrics rewritten on its notes; ToolError when the song has
    no lyrics, a line number is out of range, or no new line fits after `max_drafts` rounds."""
    started = time.perf_counter()
    found = checked_lines(song, line=line, rhyme_with=rhyme_with)
    lang = lyrics_lang(song.melody)
    texts = [f.text for f in found]
    k, phrase, old = line - 1, found[line - 1].phrase, found[line - 1].text
    others = texts[:k] + texts[k + 1:]
    asked = (theme or "").strip()
    theme = asked or song_theme(others, lang)
    seed = random.Random().randrange(1 << 31) if seed is None else int(seed)
    drafter = drafter or default_drafter(lang)
    taken = {_same(t, lang) for t in texts}
    ends = {_last(t, lang).lower() for t in others}
    partner = rhyme_with - 1 if rhyme_with is not None else _kept_partner(texts, k, lang)
    kept = rhyme_with is None and partner is not None
    # a line ending on another line's last word only when no other ending fits; a kept rhyme gives way last
    tries = [(partner, True), (partner, False)] + ([(None, True), (None, False)] if kept else [])
    notes, drafts, chosen = [], 0, None
    budget = Budget.start("lyrics")
    for target, fresh_end in tries:
        budget.check(f"line {line}")
        word = _rhyme_word(texts, target, lang) if target is not None else None
        chosen, used = draft_fitted(drafter, phrase, theme=theme, lang=lang, rhyme_with=word,
                                    seed=seed * 7919 + k * 104729 + drafts * 100003,
                                    previous=texts[k - 1] if k else "", verse=_context(texts, k),
                                    max_drafts=max_drafts,
                                    keep=lambda r, f=fresh_end: _same(r.text, lang) not in taken
                                    and not (f and r.fit.last_word.lower() in ends))
        drafts += used
        if chosen is not None:
            break
    if chosen is not None and target != partner:
        notes.append(f"no new line kept the rhyme with line {partner + 1}, so line {line} no longer rhymes with it")
        partner = None
    if chosen is None:
        need = f", rhyming with {_last(texts[partner], lang)!r} (line {partner + 1})" if rhyme_with else ""
        raise ToolError(f"could not fit a new line {line} ({phrase.syllables} notes{need}) after {drafts} drafts; "
                        "try another seed" + (" or another line to rhyme with" if rhyme_with else ""))
    texts[k] = chosen.text
    warnings = theme_warnings(theme, lang, drafter) if asked else []
    return RewriteResult(song=replace(song, melody=_sung(song.melody, phrase, chosen)), number=line, old=old,
                         line=chosen, lines=tuple(texts), rhyme_with=None if partner is None else partner + 1,
                         lang=lang, theme=theme, seed=seed, drafter=getattr(drafter, "name", type(drafter).__name__),
                         drafts=drafts, seconds=time.perf_counter() - started, warnings=tuple(notes + warnings))
