"""Where the corpus comes from: the music21 collections, how their text is read and labelled.

Plain text work (no music21 import at module level), so planning a build is cheap: the
files of each collection are listed, and each ABC tune's header fields (`T: O: R: K: B:`,
read by corpus_abc) give its title, style labels, region and, when named, its mode.
The style slugs come from tokenization/styles.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...tokenization.music import KeySpec
from ...tokenization.styles import get_style
from ..errors import CorpusError

SOURCE_NAMES = ("essen", "oneill", "ryan", "aird", "fife", "bach")
_DIRS = {"essen": "essenFolksong", "oneill": "oneills1850", "ryan": "ryansMammoth",
         "aird": "airdsAirs", "fife": "miscFolk"}
_ESSEN_SKIP = ("test0", "test1", "testd", "teste")  # music21's own parser test files
_ESSEN_STYLE = {"lot": "lorraine-folk", "lux": "luxembourg-folk", "irl": "irish-folk",
                "han1": "chinese-han", "han2": "chinese-han"}
_HAN_GENRES = {"xiaodiao": "xiaodiao", "xiaodao": "xiaodiao", "shange": "shange", "haozi": "haozi",
               "erge": "erge", "kinderlied": "erge", "wuge": "wuge", "tanzlied": "wuge"}
_DANCES = {"reel": "irish-reel", "jig": "irish-jig", "doublejig": "irish-jig", "slipjig": "irish-slip-jig",
           "hornpipe": "irish-hornpipe", "air": "irish-air", "strathspey": "scottish-strathspey"}
# O'Neill's 1850 is ordered by section; tunes without R: take their section's dance type
# (ranges read off the tunes that carry R: labels).  Checked against the meter below.
_ONEILL_SECTIONS = ((1, 625, "irish-air"), (626, 700, "fiddle-tune"), (701, 1115, "irish-jig"),
                    (1116, 1175, "irish-slip-jig"), (1176, 1555, "irish-reel"),
                    (1556, 1780, "irish-hornpipe"), (1781, 1850, "fiddle-tune"))
_DANCE_METERS = {"irish-jig": ("6/8", "12/8"), "irish-slip-jig": ("9/8",),
                 "irish-reel": ("C", "C|", "2/2", "4/4", "2/4"), "irish-hornpipe": ("C", "C|", "2/2", "4/4", "2/4")}
_KEY_RE = re.compile(r"^\s*([A-G])([#b]?)\s*([A-Za-z]*)")
_MODE_WORDS = {"m": "minor", "min": "minor", "aeo": "minor", "maj": "major", "ion": "major",
               "dor": "dorian", "mix": "mixolydian"}


@dataclass(frozen=True, slots=True)
class Source:
    """A named collection (its name picks the labelling rules) and the files it reads."""

    name: str
    files: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Labels:
    """What the corpus says about a piece besides its notes."""

    title: str
    styles: tuple[str, ...]
    region: str | None = None
    key: KeySpec | None = None  # only when the K: field names a mode
    tempo_default: int = 100


def music21_corpus_root() -> Path:
    """The corpus folder inside the installed music21 package."""
    import importlib.util

    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.origin:
        raise CorpusError("music21 is not installed; install the project's dependencies first")
    return Path(spec.origin).parent / "corpus"


def default_sources(names: tuple[str, ...] | list[str] | None = None, *, root: Path | None = None) -> list[Source]:
    """The named collections (all of SOURCE_NAMES by default) with their files, in a fixed order."""
    chosen = list(names) if names else list(SOURCE_NAMES)
    unknown = [n for n in chosen if n not in SOURCE_NAMES]
    if unknown:
        raise CorpusError(f"unknown corpus source {', '.join(unknown)}; known: {', '.join(SOURCE_NAMES)}")
    root = root or music21_corpus_root()
    sources = []
    for name in SOURCE_NAMES:
        if name not in chosen:
            continue
        if name == "bach":
            files = _chorale_files(root)
        else:
            files = tuple(p for p in sorted((root / _DIRS[name]).glob("*.abc")) if p.stem not in _ESSEN_SKIP)
        if not files:
            raise CorpusError(f"no files for corpus source {name!r} under {root}")
        sources.append(Source(name, files))
    return sources


def _chorale_files(root: Path) -> tuple[Path, ...]:
    """The distinct files behind music21's chorale iterator (371 numbers, 350 files)."""
    from music21.corpus import chorales

    found: dict[Path, None] = {}
    for name in chorales.Iterator(returnType="filename"):
        for ext in (".mxl", ".xml", ".musicxml", ".krn"):
            path = root / f"{name}{ext}"
            if path.exists():
                found[path] = None
                break
    return tuple(sorted(found))


def abc_key(field: str | None) -> KeySpec | None:
    """The key when the K: field names a mode (Dmix, Ador, Gm, EMinor); None for a bare tonic.

    >>> abc_key("Ador"), abc_key("GMinor"), abc_key("Bb"), abc_key("Aphr")
    (KeySpec(tonic='A', mode='dorian'), KeySpec(tonic='G', mode='minor'), None, None)
    """
    match = _KEY_RE.match(field or "")
    if not match or not match.group(3):
        return None
    mode = _MODE_WORDS.get(match.group(3).lower()[:3]) or _MODE_WORDS.get(match.group(3).lower())
    return KeySpec(match.group(1) + match.group(2), mode) if mode else None


def chorale_title(stem: str) -> str | None:
    """The chorale's hymn title from music21's BWV list ('bwv269' -> 'Aus meines Herzens Grunde')."""
    from music21.corpus import chorales

    entry = chorales.ChoraleListRKBWV().byBWV.get(stem.removeprefix("bwv"))
    return entry["title"] if entry else None


def _first(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def _region(origin: str) -> str | None:
    """'Europa, Mitteleuropa, Deutschland, Hessen' -> 'Deutschland, Hessen'."""
    parts = [p.strip() for p in origin.split(",") if p.strip()]
    while parts and parts[0].lower() in ("europa", "mitteleuropa"):
        parts.pop(0)
    return ", ".join(parts) or None


def han_genre(rhythm: str) -> str | None:
    """The genre slug of a Han song's R: field ('Xiaodiao, Erge' is a children's song).

    >>> han_genre("Xiaodiao, Erge]"), han_genre("Shange. Xin minge"), han_genre("Qingge")
    ('chinese-han-erge', 'chinese-han-shange', None)
    """
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", rhythm)]
    if "erge" in words or "kinderlied" in words:
        return "chinese-han-erge"
    genre = _HAN_GENRES.get(words[0]) if words else None
    return f"chinese-han-{genre}" if genre else None


def dance_style(rhythm: str, *, title: str = "") -> str | None:
    """The style of a fiddle tune from its R: field, else from a dance word in its title.

    >>> dance_style("double jig"), dance_style("Slipjig"), dance_style("clog"), dance_style("", title="Miss Lyall's Strathspey")
    ('irish-jig', 'irish-slip-jig', 'fiddle-tune', 'scottish-strathspey')
    """
    key = re.sub(r"[^a-z]", "", rhythm.lower())
    if key:
        return _DANCES.get(key, "fiddle-tune")
    words = re.findall(r"[a-z]+", title.lower())
    for first, second in zip(words, words[1:] + [""]):
        if first == "slip" and second == "jig":
            return "irish-slip-jig"
        if first in _DANCES and first not in ("air", "doublejig"):
            return _DANCES[first]
    return None


def _oneill_section(number: int, meter: str) -> str:
    for lo, hi, style in _ONEILL_SECTIONS:
        if lo <= number <= hi:
            allowed = _DANCE_METERS.get(style)
            return style if allowed is None or meter.replace(" ", "") in allowed else "fiddle-tune"
    return "fiddle-tune"


def label_tune(source: str, stem: str, fields: dict[str, list[str]]) -> Labels:
    """Title, styles, region and named key of one ABC tune of a source."""
    title = _first(fields, "T") or "Untitled"
    origin, rhythm = _first(fields, "O"), _first(fields, "R")
    region = _region(origin) if origin else None
    if source == "essen":
        style = _ESSEN_STYLE.get(stem, "german-folk")
        styles: tuple[str, ...] = (style,)
        if style == "chinese-han":
            genre = han_genre(rhythm)
            styles = (style, genre) if genre else styles
            parts = [p.strip() for p in origin.split(",")]
            region = parts[1] if len(parts) > 1 and parts[1] else region
    elif source in ("oneill", "ryan"):
        style = dance_style(rhythm, title=title)
        if style is None and source == "oneill":
            number = re.search(r"\d+", _first(fields, "B") or _first(fields, "X"))
            style = _oneill_section(int(number.group()), _first(fields, "M")) if number else "fiddle-tune"
        styles = (style or "fiddle-tune",)
    elif source == "aird":
        styles = ("scottish-air",)
    elif source == "fife":
        styles = ("american-fife",)
    else:
        raise CorpusError(f"no labelling rules for corpus source {source!r}")
    return Labels(title=title, styles=styles, region=region, key=abc_key(_first(fields, "K")),
                  tempo_default=get_style(styles[-1]).tempo)
