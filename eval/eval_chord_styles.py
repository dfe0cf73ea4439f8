"""Do the chord styles differ?  What each style's chart looks like on the held-out Nottingham tunes.

    python -m tunesmith.eval.eval_chord_styles [--tunes 0] [--styles folk,pop,jazz-lite,bach-chorale]

Each held-out tune (the split of eval_chords_folk; nothing is tuned on it) is written to MIDI, read
back as `tunesmith chords FILE` reads it and harmonized once per `--style` (STYLE:SCORER forces a
scorer: pop:rules is pop as it was before chord_styles.toml); in the same run the
tunes' own chords (what folk accompanists played) and the diatonic baseline are described the
same way.  Per chart, as shares of chord time unless said otherwise (means over tunes):
  root / exact   agreement with the tunes' own chords over time (eval_chords_folk.compare)
  sevenths       chords with a seventh (V7, maj7, m7, ø7 ...)
  I IV V vi ii   chords on each key-relative root (vi: the sixth degree, bVI in minor keys; ii: a
                 minor or half-diminished chord on the second degree, not V/V)
  ii-V           changes from a ii chord to a V chord, per 8 bars
  loop           changes that are moves of the four-chord loop (I-V, V-vi, vi-IV, IV-I), share of changes
  per bar        chords per bar
Then the same figures (but agreement) for the progressions each style suggests without a melody
(tools/chords/progressions.py: 3 progressions of 8 bars in each of the 24 major and minor keys).
Writes eval/results/chord_styles.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..finetune.harmony.folk_data import DEFAULT_DATA, SOURCE, folk_tunes
from ..tokenization.music import ChordEvent, KeySpec, Song
from ..tools.chords.recommend import recommend_chords
from ..tools.errors import ToolError
from ..tools.theory.key import estimate_key
from .eval_chords_folk import as_midi, chord_parts, compare, diatonic_bars, read_back

ROOT = Path(__file__).resolve().parents[1]
STYLES = ("folk", "pop", "pop:rules", "jazz-lite", "bach-chorale")  # pop:rules = pop before chord_styles.toml
DEGREES = {"I": 0, "ii": 2, "IV": 5, "V": 7}
LOOP = ((0, 7), (7, 9), (9, 5), (5, 0))  # I-V, V-vi, vi-IV, IV-I (vi read as bVI in minor)
FIGURES = ("root", "exact", "sevenths", "I", "IV", "V", "vi", "ii", "ii-V", "loop", "per bar")


def describe(events: Sequence[ChordEvent], key: KeySpec, *, bars: int) -> dict[str, float]:
    """Shares of chord time by kind and degree, ii-V per 8 bars, loop moves and chords per bar.

    >>> got = describe([ChordEvent("Dm7", 0, 4), ChordEvent("G7", 4, 4), ChordEvent("C", 8, 8)],
    ...                KeySpec("C", "major"), bars=4)
    >>> got["sevenths"], got["ii"], got["I"], got["ii-V"], got["per bar"], got["loop"]
    (0.5, 0.25, 0.5, 2.0, 0.75, 0.0)
    """
    minor = key.mode in ("minor", "dorian", "phrygian", "aeolian", "locrian")
    sixth = 8 if minor else 9
    total = sum(e.duration for e in events) or 1.0
    rels, time_on = [], {name: 0.0 for name in ("sevenths", *DEGREES, "vi")}
    for event in events:
        parts = chord_parts(event.symbol)
        if parts is None:
            rels.append(None)
            continue
        rel = (parts[0] - key.pitch_class) % 12
        time_on["sevenths"] += event.duration if len(parts[1]) >= 4 else 0.0
        minor_third = (parts[0] + 3) % 12 in parts[1]
        rels.append(-1 if rel == 2 and not minor_third else rel)  # ii means a minor ii, not V/V
        for name, degree in (*DEGREES.items(), ("vi", sixth)):
            time_on[name] += event.duration if rel == degree and (name != "ii" or minor_third) else 0.0
    moves = [(a, b) for a, b in zip(rels, rels[1:]) if a is not None and b is not None and a != b]
    loop = {(a if a != 9 else sixth, b if b != 9 else sixth) for a, b in LOOP}
    return {**{name: on / total for name, on in time_on.items()},
            "ii-V": 8 * sum(m == (2, 7) for m in moves) / max(bars, 1),
            "loop": sum(m in loop for m in moves) / len(moves) if moves else 0.0,
            "per bar": len(events) / max(bars, 1)}


def run(tunes, *, styles: Sequence[str]) -> dict:
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in ("own chords", "baseline", *styles)}
    failed: dict[str, str] = {}
    seconds: dict[str, list[float]] = {s: [] for s in styles}
    with tempfile.TemporaryDirectory() as tmp:
        for tune in tunes:
            try:
                song = replace(read_back(as_midi(tune.song.melody), ".mid", Path(tmp)), chords=())
            except Exception:  # counted by eval_chords_folk's skipped list; not this eval's concern
                continue
            key = tune.song.melody.key or estimate_key(tune.song.melody)[0]
            bars = max(tune.song.melody.bars, 1)
            charts = {"own chords": tune.song.chords, "baseline": diatonic_bars(song)}
            for style in styles:
                if style in failed:
                    continue
                started = time.perf_counter()
                name, _, scorer = style.partition(":")
                try:
                    charts[style] = recommend_chords(song, style=name, scorer=scorer or None).song.chords
                except ToolError as err:  # a style the harmonizer does not know is a figure too
                    failed[style] = str(err).splitlines()[0]
                    continue
                seconds[style].append(time.perf_counter() - started)
            for name, chart in charts.items():
                agreement = compare(tune.song, replace(song, chords=chart) if name != "own chords" else tune.song)
                rows[name].append({"root": agreement["root"], "exact": agreement["exact"],
                                   **describe(chart, key, bars=bars)})
    return {"styles": {name: {f: round(statistics.mean(r[f] for r in got), 4) for f in FIGURES}
                       for name, got in rows.items() if got},
            "failed": failed, "median_seconds": {s: round(statistics.median(v), 4) for s, v in seconds.items() if v},
            "tunes": len(rows["own chords"])}


def progression_figures(styles: Sequence[str]) -> dict[str, dict[str, float]]:
    """Mean figures of the progressions each style suggests in every major and minor key."""
    from ..tokenization.pitch import MAJOR_KEY_NAMES
    from ..tools.chords.progressions import progressions

    out = {}
    for style in dict.fromkeys(s.partition(":")[0] for s in styles):
        rows = []
        for tonic in MAJOR_KEY_NAMES:
            for mode in ("major", "minor"):
                key = KeySpec(tonic, mode)
                rows += [describe(p.chords, key, bars=8) for p in progressions(key, style=style, bars=8, k=3)]
        out[style] = {f: round(statistics.mean(r[f] for r in rows), 4) for f in FIGURES if f not in ("root", "exact")}
    return out


def print_table(report: dict) -> None:
    print(f"Nottingham {report['split']} tunes from MIDI: {report['tunes']}; shares of chord time")
    print(f"  {'':<13}" + "".join(f"{f:>9}" for f in FIGURES))
    for name, got in report["styles"].items():
        print(f"  {name:<13}" + "".join(f"{got[f]:>9.3f}" for f in FIGURES))
    for style, why in report["failed"].items():
        print(f"  {style:<13} not run: {why}")
    shown = [f for f in FIGURES if f not in ("root", "exact")]
    print("Progressions without a melody (24 keys, 3 each):")
    print(f"  {'':<13}" + "".join(f"{f:>9}" for f in shown))
    for name, got in report["progressions"].items():
        print(f"  {name:<13}" + "".join(f"{got[f]:>9.3f}" for f in shown))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tunes", type=int, default=0, help="at most this many tunes (0: all)")
    parser.add_argument("--split", default="heldout", choices=("heldout", "dev"))
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "chord_styles.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tunes = folk_tunes(data=args.data, split=args.split, limit=args.tunes or None)
    styles = tuple(s.strip() for s in args.styles.split(",") if s.strip())
    report = {"generated": time.strftime("%Y-%m-%d %H:%M"), "data": SOURCE, "split": args.split,
              **run(tunes, styles=styles), "progressions": progression_figures(styles)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.split == "heldout" and not args.tunes:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print_table(report)


if __name__ == "__main__":
    main()
