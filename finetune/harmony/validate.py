"""Check the derived beat chords against the 20 Riemenschneider RomanText analyses in music21.

`bach/choraleAnalyses/riemenschneider001-020.rntxt` analyse the first 20 chorales of
`corpus.chorales.Iterator` (Riemenschneider numbering); the header's BWV is checked against
the file name.  Each derived beat is aligned by (measure, beat) with the analysis chord
sounding there.  Agreement figures:

- root: same root pitch class;
- degree (function): same root interval above the key (ours: the chorale's global key;
  the analysis: its local key), so a V/V is degree 2 in both readings;
- exact: same Roman figure, ours in the global key vs the analysis in its local key;
- exact_in_key: the same, over the beats where the analysis is in our key;
- exact_local_key: our (root, quality, bass) spelled in the analysis's local key equals its
  figure: the chord labelling alone, without the one-key-per-chorale simplification;
- key: our global key equals the analysis's opening key.

"overall_aligned" leaves out chorales whose corpus file does not line up with the analysis
(root agreement under MIN_ALIGNED: bwv277.mxl writes out a repeat the analysis does not).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .cache import DEFAULT_CACHE, Chorale, corpus_chorales, derive_many

ANALYSES = tuple(range(1, 21))
MIN_ALIGNED = 0.6  # below this root agreement the file and the analysis do not line up (see bwv277)
COUNTS = ("beats", "root", "degree", "exact", "in_key_beats", "exact_in_key", "exact_local_key")
_BWV_FILE = re.compile(r"bwv(\d+)(?:\.(\d+))?(?:-(\d+))?")
_BWV_HEADER = re.compile(r"(\d+)(?:\((\d+)\))?(?:\.(\d+))?")


def bwv_matches(header: str, name: str) -> bool:
    """Whether a RomanText BWV header names a corpus file.

    >>> bwv_matches("248(2).12", "bach/bwv248.12-2"), bwv_matches("41.6s", "bach/bwv41.6")
    (True, True)
    >>> bwv_matches("86.6", "bach/bwv153.1")
    False
    """
    head, file = _BWV_HEADER.match(header.strip()), _BWV_FILE.search(name)
    if not head or not file:
        return False
    same_part = head.group(2) is None or file.group(3) is None or head.group(2) == file.group(3)
    return head.group(1) == file.group(1) and (head.group(3) or "") == (file.group(2) or "") and same_part


def normalise_figure(figure: str) -> str:
    """Write a Roman figure one way: '6/5' -> '65', '/o' -> 'ø', a lone '2' -> '42'.

    >>> normalise_figure("vi6/5"), normalise_figure("vii/o7"), normalise_figure("V6/5/V")
    ('vi65', 'viiø7', 'V65/V')
    >>> normalise_figure("V2"), normalise_figure("ii/o2"), normalise_figure("V2/IV"), normalise_figure("V42")
    ('V42', 'iiø42', 'V42/IV', 'V42')
    """
    figure = re.sub(r"(\d)/(\d)", r"\1\2", figure.replace("/o", "ø"))
    return re.sub(r"(?<![\d])2(?=$|/)", "42", figure)


def _timeline(part) -> list[tuple[float, list[tuple[str, str]], int, int, str]]:
    """(melody time, readings, root pc, key tonic pc, "measure/beat") of each Roman numeral of a part."""
    measures = list(part.getElementsByClass("Measure"))
    pad = float(measures[0].paddingLeft or 0.0) if measures else 0.0
    events = []
    for measure in measures:
        for rn in measure.getElementsByClass("RomanNumeral"):
            readings = [rn] + ([rn.pivotChord] if getattr(rn, "pivotChord", None) is not None else [])
            events.append((
                round(float(measure.offset + rn.offset) + pad, 4),
                [(normalise_figure(r.figure), f"{r.key.tonic.name} {r.key.mode}") for r in readings],
                rn.root().pitchClass, rn.key.tonic.pitchClass, f"m{measure.number}b{float(rn.beat):g}",
            ))
    return sorted(events, key=lambda e: e[0])


def read_analysis(number: int) -> dict[str, Any]:
    """Parse one riemenschneiderNNN.rntxt: its BWV header and its chords on a melody-time line,
    as written and with repeats expanded (some corpus files write the repeat out)."""
    from music21 import corpus

    name = f"bach/choraleAnalyses/riemenschneider{number:03d}.rntxt"
    text = Path(str(corpus.getWork(name))).read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^BWV:\s*(\S+)", text, re.MULTILINE)
    part = corpus.parse(name).parts[0]
    timelines = {"as written": _timeline(part)}
    try:
        timelines["repeats expanded"] = _timeline(part.expandRepeats())
    except Exception:  # noqa: BLE001 - music21's repeat expander rejects some layouts; keep the plain one
        pass
    return {"file": name, "bwv": found.group(1) if found else None, "timelines": timelines}


def _pitch_class(tonic: str) -> int:
    from music21 import pitch

    return pitch.Pitch(tonic.replace("b", "-")).pitchClass


def _align(entry: dict[str, Any], events) -> list[tuple[list[Any], Any]]:
    """Pairs (our chord, the analysis event sounding at its onset)."""
    times = [e[0] for e in events]
    pairs = []
    for chord in entry["record"]["chords"]:
        index = bisect.bisect_right(times, chord[1] + 1e-6) - 1
        if index >= 0:
            pairs.append((chord, events[index]))
    return pairs


def compare(entry: dict[str, Any], analysis: dict[str, Any]) -> dict[str, Any]:
    """Agreement of one derived chorale with its analysis (counts and shares).

    The analysis may be of the same chorale in another key or with its repeat written out:
    the timeline and the transposition that agree best on roots are used, and reported.
    """
    from music21 import key as m21key
    from music21 import pitch

    from .chords import roman_figure

    record = entry["record"]
    beats = {c[1]: (root, quality, pos[2]) for c, root, quality, pos in zip(
        record["chords"], record["chord_roots"], record["chord_qualities"], entry["positions"])}
    best = None
    for layout, events in analysis["timelines"].items():
        pairs = _align(entry, events)
        for shift in range(12):
            hits = sum(beats[c[1]][0] == (e[2] + shift) % 12 for c, e in pairs)
            if best is None or hits > best[0]:
                best = (hits, layout, shift, pairs)
    assert best is not None
    _, layout, shift, pairs = best
    tonic = _pitch_class(record["key"])
    key_name = f"{pitch.Pitch(record['key'].replace('b', '-')).name} {record['mode']}"
    counts = dict.fromkeys(COUNTS, 0)
    for chord, (_time, readings, ref_root, ref_tonic, _where) in pairs:
        root, quality, bass = beats[chord[1]]
        counts["beats"] += 1
        counts["root"] += root == (ref_root + shift) % 12
        counts["degree"] += (root - tonic) % 12 == (ref_root - ref_tonic) % 12
        ours = normalise_figure(chord[3])
        counts["exact"] += any(ours == fig for fig, _ in readings)
        in_key = [fig for fig, k in readings if _same_key(k, key_name, shift)]
        counts["in_key_beats"] += bool(in_key)
        counts["exact_in_key"] += ours in in_key
        root_name = pitch.Pitch(re.match(r"[A-G][#b]?", chord[0]).group(0).replace("b", "-"))
        for fig, k in readings:
            ref_tonic_name, ref_mode = k.split()
            local = m21key.Key(_moved(ref_tonic_name, shift), ref_mode)
            if normalise_figure(roman_figure(root_name.name, quality, bass, local, fallback="?")) == fig:
                counts["exact_local_key"] += 1
                break
    events = analysis["timelines"]["as written"]
    first_key = events[0][1][0][1] if events else None
    return {**counts, **_shares(counts), "key": key_name, "analysis_key": first_key,
            "key_agrees": bool(first_key) and _same_key(first_key, key_name, shift),
            "transposed_by": shift, "layout": layout}


def _moved(tonic: str, semitones: int) -> str:
    """A music21 tonic name moved up some semitones (unchanged, spelling included, for 0).

    >>> _moved("A-", 0), _moved("E", 2)
    ('A-', 'F#')
    """
    from music21 import pitch

    if semitones % 12 == 0:
        return tonic
    return pitch.Pitch(tonic).transpose(semitones).simplifyEnharmonic(mostCommon=True).name


def _same_key(reference: str, ours: str, shift: int) -> bool:
    """Whether 'E minor' moved up `shift` semitones is 'F# minor'."""
    ref_tonic, ref_mode = reference.split()
    our_tonic, our_mode = ours.split()
    return ref_mode == our_mode and (_pitch_class(ref_tonic) + shift) % 12 == _pitch_class(our_tonic)


def _shares(counts: Mapping[str, int]) -> dict[str, float | None]:
    beats, in_key = counts["beats"], counts["in_key_beats"]
    return {
        "roman_exact_local_key": round(counts["exact_local_key"] / beats, 4) if beats else None,
        "root_agreement": round(counts["root"] / beats, 4) if beats else None,
        "degree_agreement": round(counts["degree"] / beats, 4) if beats else None,
        "roman_exact": round(counts["exact"] / beats, 4) if beats else None,
        "roman_exact_in_key": round(counts["exact_in_key"] / in_key, 4) if in_key else None,
    }


def validate_against_romantext(entries: Mapping[str, dict[str, Any]] | None = None, *,
                               numbers: Sequence[int] = ANALYSES, jobs: int = 2,
                               cache_dir: str | Path | None = DEFAULT_CACHE, key_method: str = "analyze",
                               pick: str = "longest", progress: bool = True) -> dict[str, Any]:
    """Compare derived chords with the RomanText analyses; per chorale and overall.

    `entries` maps corpus names (bach/bwv269) to derive_many entries; missing ones are
    derived here (with the cache).
    """
    chorales = {c.number: c for c in corpus_chorales(limit=max(numbers))}
    entries = dict(entries or {})
    missing = [chorales[n] for n in numbers if chorales[n].name not in entries]
    for entry, _cached in derive_many(missing, jobs=jobs, cache_dir=cache_dir, key_method=key_method,
                                      pick=pick, progress=progress, description="validation chorales"):
        entries[entry["name"]] = entry
    per_chorale: dict[str, Any] = {}
    for analysis, number in zip(_analyses(numbers, jobs=jobs, progress=progress), numbers):
        chorale: Chorale = chorales[number]
        entry = entries[chorale.name]
        row: dict[str, Any] = {"analysis": analysis["file"], "bwv": analysis["bwv"],
                               "bwv_matches": bwv_matches(analysis["bwv"] or "", chorale.name)}
        if "record" not in entry:
            row["error"] = entry.get("error", "not derived")
        else:
            row.update(compare(entry, analysis))
        per_chorale[chorale.name] = row
    compared = {name: row for name, row in per_chorale.items() if "error" not in row}
    aligned = {name: row for name, row in compared.items() if (row["root_agreement"] or 0) >= MIN_ALIGNED}
    return {
        "analyses": len(per_chorale), "compared": len(compared),
        "skipped": {name: row["error"] for name, row in per_chorale.items() if "error" in row},
        "key_agreement": round(sum(r["key_agrees"] for r in compared.values()) / max(1, len(compared)), 4),
        "overall": _total(compared.values()),
        "overall_aligned": {**_total(aligned.values()), "left_out": sorted(set(compared) - set(aligned))},
        "key_method": key_method, "pick": pick, "per_chorale": per_chorale,
    }


def _total(rows) -> dict[str, Any]:
    totals = dict.fromkeys(COUNTS, 0)
    for row in rows:
        for name in COUNTS:
            totals[name] += row[name]
    return {**totals, **_shares(totals)}


def _analyses(numbers: Sequence[int], *, jobs: int, progress: bool) -> list[dict[str, Any]]:
    """Parse the analyses (slow: seconds each) in `jobs` processes."""
    from tqdm import tqdm

    if jobs <= 1:
        return [read_analysis(n) for n in tqdm(numbers, desc="analyses", disable=not progress)]
    import multiprocessing

    with multiprocessing.Pool(jobs) as pool:
        return list(tqdm(pool.imap(read_analysis, numbers), total=len(numbers), desc="analyses",
                         disable=not progress))
