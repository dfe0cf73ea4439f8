"""One unit of corpus work: parse a few pieces with music21 and turn each into a record.

This runs in worker processes.  A unit is a slice of one ABC opus file (tunes start..stop)
or a group of single-piece files; each piece is parsed on its own, so one broken tune
never costs its file.  Every piece passes the same checks (one meter, regular bars, sane
length after its repeats are written out: corpus_bars) or is skipped with a reason.
"""

from __future__ import annotations

import copy
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...tokenization.errors import MusicValueError
from ...tokenization.m21 import stream_to_melody
from ...tokenization.music import KeySpec, Song, parse_key, parse_meter, spell_pitch_class
from ...tokenization.records import song_to_record
from .abc import read_abc_text, split_abc
from .bars import align_measures, imply_start_repeats, irregular_bar
from .sources import Labels, chorale_title, label_tune

BUILDER_VERSION = 3  # bump whenever a change here would change the records (invalidates caches)
MAX_BARS = 128
MAX_NOTES = 1500
_VERSE_NUMBER = re.compile(r"^\d+\.\s*")


@dataclass(frozen=True, slots=True)
class Unit:
    """Work for one task: (path, first piece, stop piece) items of one source."""

    source: str
    items: tuple[tuple[str, int, int], ...]

    @property
    def pieces(self) -> int:
        return sum(stop - start for _, start, stop in self.items)


class Skip(Exception):
    """A piece left out of the corpus, with a short reason used for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def parse_unit(unit: Unit) -> dict[str, Any]:
    """Records and skips of every piece in a unit, in piece order."""
    started = time.process_time()
    records: list[dict[str, Any]] = []
    skips: list[list[str]] = []
    realigned = 0
    for path_text, start, stop in unit.items:
        for record_id, build in _pieces(unit.source, Path(path_text), start, stop):
            try:
                record, moved = build()
                records.append(record)
                realigned += moved
            except Skip as skip:
                skips.append([record_id, skip.reason, skip.detail[:200]])
            except Exception as err:  # noqa: BLE001 - music21 raises many types; one piece never stops the build
                skips.append([record_id, "failed", f"{type(err).__name__}: {err}"[:200]])
    return {"records": records, "skips": skips, "realigned": realigned,
            "cpu_seconds": round(time.process_time() - started, 3)}


def _pieces(source: str, path: Path, start: int, stop: int):
    """(id, thunk) for each piece of a file slice; the thunk parses and converts it."""
    rel = f"{path.parent.name}/{path.name}"
    if source == "bach":
        labels = Labels(title=path.stem, styles=("bach-chorale",), tempo_default=80)
        yield f"bach/{path.stem}", lambda: _chorale_record(path, f"bach/{path.stem}", rel, labels)
        return
    tunes = split_abc(read_abc_text(path, source=source))
    for tune in tunes[start:stop]:
        record_id = f"{source}/{path.stem}" if len(tunes) == 1 else f"{source}/{path.stem}/{tune.index + 1:04d}"
        yield record_id, (lambda tune=tune, record_id=record_id:
                          _abc_record(tune.text, record_id, rel, label_tune(source, path.stem, tune.fields),
                                      declared=tune.meters))


def _abc_record(text: str, record_id: str, rel: str, labels: Labels, *,
                declared: frozenset[str]) -> tuple[dict[str, Any], bool]:
    from music21 import abcFormat
    from music21.abcFormat import translate

    free = sorted(m for m in declared if not re.fullmatch(r"\d+/\d+", m))
    if free:
        raise Skip("no meter", f"M:{free[0]}")
    if len(declared) > 1:
        raise Skip("meter change", ", ".join(sorted(declared)))
    try:
        handler = abcFormat.ABCHandler()
        handler.process(text)
        with _no_beaming():
            score = translate.abcToStreamScore(handler)
    except Exception as err:  # noqa: BLE001 - music21's ABC reader raises assorted errors
        raise Skip("parse error", f"{type(err).__name__}: {err}") from err
    part = score.parts[0] if score.parts else score
    return _record(part, score, record_id=record_id, rel=rel, labels=labels, declared=declared)


@contextmanager
def _no_beaming():
    """Skip the beaming music21's ABC reader does on every part: beams never reach a record,
    and they cost 60 % of the ABC parse.  The method is restored on the way out."""
    from music21 import stream

    original = stream.Stream.makeBeams
    stream.Stream.makeBeams = lambda self, *args, **kwargs: None
    try:
        yield
    finally:
        stream.Stream.makeBeams = original


def _chorale_record(path: Path, record_id: str, rel: str, labels: Labels) -> tuple[dict[str, Any], bool]:
    from music21 import converter

    try:
        score = converter.parse(str(path), forceSource=True)
    except Exception as err:  # noqa: BLE001
        raise Skip("parse error", f"{type(err).__name__}: {err}") from err
    parts = list(score.parts)
    if not parts:
        raise Skip("no notes", "the file has no parts")
    named = [p for p in parts if "soprano" in f"{p.partName or ''} {p.id or ''}".lower()]
    meta = score.metadata
    given = [t for t in (meta.title, meta.movementName) if t and t != path.name] if meta else []
    title = chorale_title(path.stem) or (given[0] if given else labels.title)
    return _record(named[0] if named else parts[0], score, record_id=record_id, rel=rel,
                   labels=replace(labels, title=title))


def _record(part, score, *, record_id: str, rel: str, labels: Labels,
            declared: frozenset[str] = frozenset()) -> tuple[dict[str, Any], bool]:
    """The checks and conversions every piece goes through; raises Skip with the reason.

    `declared` are the meters the ABC text names: a signature music21 adds beyond them
    comes from splitting an overfull bar, which is a transcription error, not a meter change.
    """
    from music21 import meter as m21meter

    signatures = list(part.recurse().getElementsByClass(m21meter.TimeSignature))
    ratios = sorted({ts.ratioString for ts in signatures})
    if not ratios:
        raise Skip("no meter")
    if declared and set(ratios) - declared:
        raise Skip("overfull bar", f"music21 split a bar into {', '.join(sorted(set(ratios) - declared))}")
    if len(ratios) > 1:
        raise Skip("meter change", ", ".join(ratios))
    try:
        bar_length = parse_meter(ratios[0]).bar_length
    except MusicValueError as err:
        raise Skip("unsupported meter", ratios[0]) from err
    if not part.recurse().notes:
        raise Skip("no notes")
    _unshare(part, signatures)
    irregular = irregular_bar(list(part.getElementsByClass("Measure")), bar_length)
    if irregular:
        raise Skip("irregular bars", irregular)
    expanded = _expand(part, bar_length)
    moved = align_measures(expanded, bar_length)
    measures = list(expanded.getElementsByClass("Measure"))
    end = measures[-1].offset + measures[-1].duration.quarterLength if measures else expanded.highestTime
    if end / bar_length > MAX_BARS + 1 or len(expanded.recurse().notes) > MAX_NOTES * 2:
        raise Skip("too long", f"{float(end) / bar_length:.0f} bars after expanding repeats")
    _pick_verses(expanded)
    try:
        melody = stream_to_melody(expanded)
    except MusicValueError as err:
        raise Skip("invalid melody", str(err)) from err
    if not melody.notes:
        raise Skip("no notes")
    if melody.bars > MAX_BARS or len(melody.notes) > MAX_NOTES:
        raise Skip("too long", f"{melody.bars} bars, {len(melody.notes)} notes")
    melody = replace(melody, key=labels.key or analysed_key(score), tempo=_tempo(part) or labels.tempo_default)
    song = Song(melody=melody, title=labels.title, style=labels.styles[0])
    extra = {"region": labels.region} if labels.region else {}
    return song_to_record(song, record_id=record_id, source=rel, styles=list(labels.styles), **extra), moved


def _unshare(part, signatures) -> None:
    """music21's ABC reader reuses one TimeSignature when a meter returns; give each measure its own."""
    seen: set[int] = set()
    for ts in signatures:
        if id(ts) in seen and ts.activeSite is not None:
            ts.activeSite.replace(ts, copy.deepcopy(ts))
        seen.add(id(ts))


def _expand(part, bar_length: float):
    """The part with repeats written out; raises Skip('bad repeats') when music21 cannot."""
    from music21 import bar, repeat

    measures = list(part.getElementsByClass("Measure"))
    marks = [b for m in measures for b in (m.leftBarline, m.rightBarline) if isinstance(b, bar.Repeat)]
    if not marks and not part.recurse().getElementsByClass(repeat.RepeatExpression):
        return part
    imply_start_repeats(measures, bar_length)
    try:
        return part.expandRepeats()
    except Exception as err:  # noqa: BLE001 - ExpanderException, StreamException, IndexError...
        raise Skip("bad repeats", f"{type(err).__name__}: {err}") from err


def _pick_verses(part) -> None:
    """On the k-th pass through a repeated bar put verse k's lyric first; drop '1. ' verse numbers."""
    passes: dict[int, int] = {}
    for measure in part.getElementsByClass("Measure"):
        passes[measure.number] = passes.get(measure.number, 0) + 1
        verse = passes[measure.number]
        for element in measure.recurse().notes:
            if not element.lyrics:
                continue
            chosen = [ly for ly in element.lyrics if ly.number == verse] if verse > 1 else []
            if chosen:
                element.lyrics = chosen + [ly for ly in element.lyrics if ly.number != verse]
            first = element.lyrics[0]
            if first.text and _VERSE_NUMBER.match(first.text):
                first.text = _VERSE_NUMBER.sub("", first.text) or first.text


def analysed_key(stream) -> KeySpec:
    """music21's key estimate, as analyze('key') gives it (Essen writes only the major signature).

    AardenEssen.process is what analyze('key') runs, minus building 23 alternative Key
    objects, which took a third of the whole parse time.
    """
    from music21.analysis.discrete import AardenEssen

    (tonic, mode, _), _ = AardenEssen().process(stream.flatten())
    mode = mode if mode in ("major", "minor") else "major"
    try:
        return parse_key(tonic.name, mode=mode)
    except MusicValueError:
        return KeySpec(spell_pitch_class(tonic.pitchClass, mode=mode), mode)


def _tempo(part) -> int | None:
    from music21 import tempo

    for mark in part.recurse().getElementsByClass(tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm:
            return int(round(min(max(bpm, 20), 400)))
    return None
