"""Reference bands: what the melody metrics look like on real held-out tunes, per style.

Generated melodies are judged against these bands, never against a fixed threshold: a
reel and a chorale differ more than a good and a bad chorale.  Two controls per style show
what a metric can tell apart: the same rhythm with the pitches shuffled, and with uniform
random chromatic pitches within the tune's range (anchors-and-metrics.md §3.4).

    python -m tunesmith.eval.bands [--corpus data/corpus] [--out eval/reference_bands.json]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import multiprocessing
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..tokenization.errors import MusicValueError, TokenizationError
from ..tokenization.music import Melody
from ..tokenization.records import record_to_song
from ..tokenization.styles import STYLE_NAMES, get_style

from . import metrics as m

BANDS_PATH = Path(__file__).with_name("reference_bands.json")
DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
HELD_OUT = ("test", "valid")
VARIANTS = ("real", "shuffled", "random")
HEADLINE = {
    "step_ratio": "step", "mean_abs_interval": "|Δ|", "interval_4gram_repeat_share": "4gram",
    "ends_on_tonic": "tonic", "in_key_ratio": "inkey", "pitch_class_entropy": "PCE", "key_clarity": "clar",
}


def read_records(corpus: Path, *, splits: Sequence[str] = HELD_OUT) -> list[dict[str, Any]]:
    """The records of the named splits (`<split>.jsonl` files of a built corpus)."""
    from ..finetune.corpus.build import read_split

    return [record for split in splits for record in read_split(corpus, split)]


def style_groups(record: dict[str, Any]) -> list[str]:
    """The record's styles plus the parent of every genre (a xiaodiao also counts as chinese-han)."""
    groups: list[str] = []
    for name in record.get("styles") or []:
        try:
            parent = get_style(name).parent
        except MusicValueError:
            parent = None
        groups.extend(g for g in (name, parent) if g and g not in groups)
    return groups


def shuffled_pitches(melody: Melody, rng: np.random.Generator) -> Melody:
    """Same rhythm, the same pitches in a random order."""
    order = rng.permutation(len(melody.notes))
    pitches = [melody.notes[i].pitch for i in order]
    return replace(melody, notes=tuple(replace(n, pitch=int(p)) for n, p in zip(melody.notes, pitches)))


def random_pitches(melody: Melody, rng: np.random.Generator) -> Melody:
    """Same rhythm, uniform random chromatic pitches between the tune's lowest and highest note."""
    low = min(n.pitch for n in melody.notes)
    high = max(n.pitch for n in melody.notes)
    pitches = rng.integers(low, high + 1, size=len(melody.notes))
    return replace(melody, notes=tuple(replace(n, pitch=int(p)) for n, p in zip(melody.notes, pitches)))


def piece_metrics(record: dict[str, Any], *, seed: int = 0) -> dict[str, Any] | None:
    """Metrics and histograms of one record and its two controls; None when it has under 2 notes."""
    melody = record_to_song(record).melody
    if len(melody.notes) < 2:
        return None
    rng = np.random.default_rng([seed, int(record.get("hash", "0")[:12] or "0", 16)])
    variants = {"real": melody, "shuffled": shuffled_pitches(melody, rng), "random": random_pitches(melody, rng)}
    return {
        "groups": style_groups(record),
        "source": str(record.get("source", "unknown")).split("/")[0],
        "metrics": {name: m.melody_metrics(v) for name, v in variants.items()},
        "pitch": {name: m.pitch_histogram(v).tolist() for name, v in variants.items()},
        "duration": m.duration_histogram(melody),
    }


def _worker(args: tuple[dict[str, Any], int]) -> dict[str, Any] | None:
    record, seed = args
    try:
        return piece_metrics(record, seed=seed)
    except (TokenizationError, KeyError):  # an unreadable record is counted as skipped
        return None


def summarise(values: Iterable[float]) -> dict[str, float]:
    """Mean and p10/p50/p90 over the defined (non-NaN) values.

    >>> summarise([0.0, 1.0, float("nan")])["mean"]
    0.5
    """
    data = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if data.size == 0:
        return {"mean": None, "p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(data, [10, 50, 90])
    return {k: round(float(v), 4) for k, v in
            {"mean": data.mean(), "p10": p10, "p50": p50, "p90": p90}.items()}


def _overlaps(pieces: list[dict[str, Any]]) -> list[dict[str, dict[str, float]]]:
    """Pitch/duration OA of every piece (and its controls) against the group's other real pieces."""
    total_pitch = np.sum([p["pitch"]["real"] for p in pieces], axis=0)
    total_duration: Counter = sum((Counter(p["duration"]) for p in pieces), Counter())
    result, count = [], len(pieces)
    for piece in pieces:
        if count < 2:
            result.append({v: {"pitch_oa": math.nan, "duration_oa": math.nan} for v in VARIANTS})
            continue
        ref_pitch = (total_pitch - np.asarray(piece["pitch"]["real"])) / (count - 1)
        ref_duration = {k: (total_duration[k] - piece["duration"].get(k, 0.0)) / (count - 1) for k in total_duration}
        duration_oa = m.overlap(piece["duration"], ref_duration)  # controls keep the rhythm
        result.append({v: {"pitch_oa": m.overlap(np.asarray(piece["pitch"][v]), ref_pitch),
                           "duration_oa": duration_oa} for v in VARIANTS})
    return result


def _group_bands(pieces: list[dict[str, Any]]) -> dict[str, Any]:
    overlaps = _overlaps(pieces)
    band: dict[str, Any] = {"n": len(pieces)}
    for variant in VARIANTS:
        rows = [{**p["metrics"][variant], **o[variant]} for p, o in zip(pieces, overlaps)]
        band[variant] = {name: summarise(r[name] for r in rows) for name in rows[0]}
    duration: Counter = sum((Counter(p["duration"]) for p in pieces), Counter())
    band["reference"] = {
        "pitch": [round(float(v), 5) for v in np.mean([p["pitch"]["real"] for p in pieces], axis=0)],
        "duration": {k: round(v / len(pieces), 5) for k, v in sorted(duration.items(), key=lambda kv: -kv[1])
                     if v / len(pieces) >= 1e-5},
    }
    return band


def compute_bands(records: Sequence[dict[str, Any]], *, processes: int = 2, seed: int = 0,
                  progress: bool = True) -> dict[str, Any]:
    """Bands per style and per corpus source from records; skips records that cannot be read."""
    from tqdm import tqdm

    import music21.analysis.discrete  # noqa: F401 - import once here; forked workers inherit it
    jobs = [(record, seed) for record in records]
    if processes > 1:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            results = list(tqdm(pool.imap(_worker, jobs, chunksize=16), total=len(jobs),
                                desc="bands", disable=not progress))
    else:
        results = [_worker(job) for job in tqdm(jobs, desc="bands", disable=not progress)]
    pieces = [r for r in results if r is not None]
    by_style: dict[str, list] = defaultdict(list)
    by_source: dict[str, list] = defaultdict(list)
    for piece in pieces:
        for group in piece["groups"]:
            by_style[group].append(piece)
        by_source[piece["source"]].append(piece)
    return {
        "records": len(records), "skipped": len(records) - len(pieces), "seed": seed,
        "styles": {name: _group_bands(group) for name, group in sorted(by_style.items())},
        "sources": {name: _group_bands(group) for name, group in sorted(by_source.items())},
    }


def compact_json(data: Any) -> str:
    """Indented JSON with every innermost object or list on one line, so diffs stay readable.

    >>> print(compact_json({"a": {"mean": 1, "p10": 0}, "b": [1, 2]}), end="")
    {
     "a": {"mean": 1, "p10": 0},
     "b": [1, 2]
    }
    """
    text = json.dumps(data, indent=1, ensure_ascii=False)
    inline = re.compile(r"([\[{])\n\s*([^\[\]{}]*?)\n\s*([\]}])")
    return inline.sub(lambda m: m.group(1) + re.sub(r",\n\s*", ", ", m.group(2)) + m.group(3), text) + "\n"


def load_bands(path: Path | None = None) -> dict[str, Any]:
    """The committed reference bands (or another bands file)."""
    path = Path(path) if path else BANDS_PATH
    if not path.exists():
        raise MusicValueError(f"{path} is missing; run `python -m tunesmith.eval.bands`")
    return json.loads(path.read_text(encoding="utf-8"))


def style_band(style: str, metric: str, *, bands: dict[str, Any] | None = None, variant: str = "real",
               min_n: int = 20) -> dict[str, float | None]:
    """mean/p10/p50/p90 of a metric for a style (slug or alias).

    A genre with fewer than `min_n` held-out tunes borrows its parent's band (a held-out
    erge band rests on two songs; chinese-han has 76).
    """
    bands = bands if bands is not None else load_bands()
    styles = bands["styles"]
    name = style if style in styles else get_style(style).name
    if name not in styles:
        raise MusicValueError(f"no reference band for style {style!r}")
    parent = get_style(name).parent if name in STYLE_NAMES else None
    if styles[name]["n"] < min_n and parent in styles:
        name = parent
    stats = styles[name][variant].get(metric)
    if stats is None:
        raise MusicValueError(f"unknown metric {metric!r}; known: {', '.join(styles[name][variant])}")
    return stats


def reference_histograms(style: str, *, bands: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, float]]:
    """A style's held-out pitch and duration histograms, the reference for `metrics.distribution_overlap`."""
    bands = bands if bands is not None else load_bands()
    name = style if style in bands["styles"] else get_style(style).name
    if name not in bands["styles"]:
        raise MusicValueError(f"no reference band for style {style!r}")
    reference = bands["styles"][name]["reference"]
    return np.asarray(reference["pitch"]), dict(reference["duration"])


def within_band(style: str, metric: str, value: float | None, *, bands: dict[str, Any] | None = None,
                low: str = "p10", high: str = "p90", min_n: int = 20) -> bool:
    """Whether one piece's value lies in the style's real-data band [p10, p90].

    Meant for graded metrics; for 0/1 metrics such as ends_on_tonic compare a set's mean instead.
    """
    stats = style_band(style, metric, bands=bands, min_n=min_n)
    if value is None or math.isnan(value) or stats[low] is None:
        return False
    return stats[low] - 1e-9 <= value <= stats[high] + 1e-9


def print_table(bands: dict[str, Any], *, section: str = "styles", console=None) -> None:
    """Headline metric means, real vs shuffled vs random pitches, one block of rows per group."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if not console.is_terminal:
        console.width = max(console.width, 100)
    table = Table(title=f"headline metric means by {section[:-1]}", box=box.SIMPLE_HEAD, pad_edge=False)
    for label in (section[:-1], "n", "pitches", *HEADLINE.values()):
        table.add_column(label, justify="left" if label in (section[:-1], "pitches") else "right")
    for name, band in bands[section].items():
        for variant in VARIANTS:
            cells = [_mean(band[variant][metric]) for metric in HEADLINE]
            first = variant == "real"
            table.add_row(name if first else "", str(band["n"]) if first else "", variant, *cells,
                          end_section=variant == "random")
    console.print(table)


def _mean(stats: dict[str, float | None]) -> str:
    return "-" if stats["mean"] is None else f"{stats['mean']:.2f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.eval.bands", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="built corpus folder")
    parser.add_argument("--out", type=Path, default=BANDS_PATH, help="bands JSON to write")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    records = read_records(args.corpus)
    stats = args.corpus / "stats.json"
    result = compute_bands(records, processes=args.processes, seed=args.seed)
    bands = {
        "generated": datetime.date.today().isoformat(),
        "corpus_stats_hash": hashlib.sha1(stats.read_bytes()).hexdigest() if stats.exists() else None,
        "splits": list(HELD_OUT),
        **result,
    }
    args.out.write_text(compact_json(bands), encoding="utf-8")
    print_table(bands, section="styles")
    print_table(bands, section="sources")
    print(f"{result['records'] - result['skipped']} of {result['records']} records -> {args.out}")


if __name__ == "__main__":
    main()
