"""Evaluate chord recommendation: agreement with Bach, harmonization metrics against the real
bands, lead-sheet fit on folk tunes, a diatonic-triad baseline in the same run, and latency.

    python -m tunesmith.eval.eval_chords [--checkpoint checkpoints/default] [--folk 60]

Chorales: the held-out melodies of data/harmony (test + valid), one chord per beat, compared
beat by beat with the Bach-derived chords: same chord (root and quality; enharmonic
spellings count as equal), same root, same Roman-numeral function (T/S/D/applied).
Harmonizers: `baseline` (the diatonic triad that fits each slot best), `rules` (the
scorer without a model), `model` (the harmony adapter's own greedy decoding, restricted to
the style's chords) and `learned` (scorer + adapter, what `tunesmith chords` does).  Folk:
held-out german-folk and irish-* tunes of data/corpus with one chord per bar, CTR and PCS
against the lead-sheet band (anchors-and-metrics.md §3.4).  Writes eval/results/chords.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..tokenization.music import ChordEvent, KeySpec, Song
from ..tokenization.records import record_to_song
from ..tools.chords.recommend import HARMONY_ADAPTER, recommend_chords
from ..tools.chords.score import _CENTROIDS, make_slots
from ..tools.chords.vocab import candidate_chords, make_chord, roman_function
from ..tools.theory.chords import chord_fit, chord_pitch_classes

ROOT = Path(__file__).resolve().parents[1]
# anchors-and-metrics.md §3.4: Bach soprano vs beat chords from the full texture; lead sheet (Nottingham).
BACH_BAND = {"ctr": (0.956, 0.91, 1.0), "ctnctr": (0.998, None, None), "pcs": (0.70, 0.63, 0.78),
             "mctd": (1.18, 1.13, 1.22), "che": (4.0, None, None), "cc": (23, None, None),
             "ctd": (1.12, None, None), "change": (0.825, None, None)}
LEAD_SHEET_BAND = {"ctr": (0.75, 0.70, 0.80), "pcs": (0.50, None, None), "ctnctr": (0.96, None, None),
                   "che": (2.4, None, None), "cc": (8, None, None)}
DIATONIC = {"major": ((0, "maj"), (2, "min"), (4, "min"), (5, "maj"), (7, "maj"), (9, "min"), (11, "dim")),
            "minor": ((0, "min"), (2, "dim"), (3, "maj"), (5, "min"), (7, "maj"), (8, "maj"), (10, "maj"))}


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---- harmonizers ---------------------------------------------------------------------------
def baseline(song: Song, *, per: str, key: KeySpec) -> list[ChordEvent]:
    """Per slot the diatonic triad with the most melody on chord tones (then consonance, then I first)."""
    from ..tools.chords.score import fit_tables, melody_features

    mode = "minor" if key.mode in ("minor", "dorian") else "major"
    chords = [make_chord(KeySpec(key.tonic, mode), rel, q) for rel, q in DIATONIC[mode]]
    tables = fit_tables(chords)
    events = []
    for slot in make_slots(song.melody, per):
        f = melody_features(slot, tables)
        best = int(np.argmax(f["ctr"] + 0.1 * f["pcs"] - 1e-6 * np.arange(len(chords)))) if f["weight"] else 0
        events.append(ChordEvent(chords[best].symbol, slot.onset, slot.duration, chords[best].roman))
    return events


def slot_events(result) -> list[ChordEvent]:
    return [ChordEvent(s.chosen.symbol, s.onset, s.duration, s.chosen.roman) for s in result.slots]


def model_only(song: Song, *, per: str, key: KeySpec, runtime) -> list[ChordEvent]:
    """The adapter's greedy chords, one per slot, restricted to the style's candidates."""
    from dataclasses import replace

    from ..finetune.harmony.model import chord_ids, decode_chords
    from ..tokenization.vocab import chord_token

    chords = candidate_chords(key, "chorale")
    ids = chord_ids(runtime.codec)
    allowed_cols = [ids.index(runtime.codec.token_to_id(chord_token(c.root, c.quality))) for c in chords]
    slots = make_slots(song.melody, per)
    with runtime.session(HARMONY_ADAPTER) as active:
        picked = decode_chords(active.model, active.codec, replace(song.melody, key=key),
                               [(s.onset, s.duration) for s in slots], allowed=[allowed_cols] * len(slots))
    by_label = {(c.root, c.quality): c for c in chords}
    return [ChordEvent(by_label[p].symbol, s.onset, s.duration, by_label[p].roman) for s, p in zip(slots, picked)]


# ---- metrics -------------------------------------------------------------------------------
def _pcs_of(symbol: str) -> frozenset[int]:
    return chord_pitch_classes(symbol) or frozenset()


def harmony_metrics(song: Song, events: list[ChordEvent]) -> dict[str, float]:
    """CTR, CTnCTR, PCS (theory_chords.chord_fit), MCTD, CHE, CC, CTD and change rate (anchors §3.2)."""
    labels = [e.symbol for e in events]
    table = {s: _pcs_of(s) for s in set(labels)}
    fit = chord_fit(Song(melody=song.melody, chords=tuple(events)), table)
    centre = {s: _CENTROIDS[sorted(p)].mean(axis=0) for s, p in table.items() if p}
    onsets = [e.onset for e in events]
    dist = total = 0.0
    for note in song.melody.notes:
        i = int(np.searchsorted(onsets, note.onset + 1e-6)) - 1
        if i >= 0 and labels[i] in centre:
            dist += note.duration * float(np.linalg.norm(_CENTROIDS[note.pitch % 12] - centre[labels[i]]))
            total += note.duration
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    che = -sum(n / len(labels) * math.log2(n / len(labels)) for n in counts.values())
    moves = [(a, b) for a, b in zip(labels, labels[1:]) if a != b]
    ctd = statistics.mean(float(np.linalg.norm(centre[a] - centre[b])) for a, b in moves) if moves else 0.0
    return {"ctr": fit.ctr, "ctnctr": fit.ctnctr, "pcs": fit.pcs, "mctd": dist / total if total else 0.0,
            "che": che, "cc": len(counts), "ctd": ctd, "change": len(moves) / max(len(labels) - 1, 1)}


def agreement(reference: list[ChordEvent], guess: list[ChordEvent], key: KeySpec) -> dict[str, float]:
    """Beat by beat: same chord (pitch classes and root), same root, same Roman-numeral function."""
    onsets = [e.onset for e in guess]
    same = root = function = 0
    for ref in reference:
        i = int(np.searchsorted(onsets, ref.onset + 1e-6)) - 1
        if i < 0:
            continue
        mine = guess[i]
        ref_pcs, my_pcs = _pcs_of(ref.symbol), _pcs_of(mine.symbol)
        ref_root, my_root = _root(ref.symbol), _root(mine.symbol)
        same += ref_pcs == my_pcs and ref_root == my_root
        root += ref_root == my_root
        function += roman_function(ref.roman or "?") == roman_function(mine.roman or "?")
    n = max(len(reference), 1)
    return {"exact": same / n, "root": root / n, "function": function / n}


def _root(symbol: str) -> int:
    from ..tokenization.music import PITCH_CLASS

    return (PITCH_CLASS[symbol[0]] + {"#": 1, "b": -1}.get(symbol[1:2], 0)) % 12


def mean_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.mean(r[k] for r in rows), 4) for k in rows[0]} if rows else {}


# ---- runs ----------------------------------------------------------------------------------
def chorale_eval(records: list[dict[str, Any]], harmonizers: dict[str, Callable]) -> dict[str, Any]:
    out: dict[str, Any] = {"pieces": len(records), "beats": sum(len(r["chords"]) for r in records)}
    reference_rows = []
    rows: dict[str, dict[str, list]] = {name: {"agree": [], "metrics": [], "test": []} for name in harmonizers}
    for record in records:
        song = record_to_song(record)
        key = song.melody.key
        reference_rows.append(harmony_metrics(song, list(song.chords)))
        bare = Song(melody=song.melody, style="bach-chorale")
        for name, harmonize in harmonizers.items():
            events = harmonize(bare, per="beat", key=key)
            rows[name]["agree"].append(agreement(list(song.chords), events, key))
            if record.get("split") == "test":
                rows[name]["test"].append(rows[name]["agree"][-1])
            rows[name]["metrics"].append(harmony_metrics(song, events))
    out["reference_chords"] = mean_rows(reference_rows)
    for name, got in rows.items():
        out[name] = {"agreement": mean_rows(got["agree"]), "agreement_test_only": mean_rows(got["test"]),
                     "metrics": mean_rows(got["metrics"])}
    return out


def folk_eval(records: list[dict[str, Any]], harmonizers: dict[str, Callable]) -> dict[str, Any]:
    out: dict[str, Any] = {"pieces": len(records)}
    for name, harmonize in harmonizers.items():
        rows = []
        for record in records:
            song = record_to_song(record)
            rows.append(harmony_metrics(song, harmonize(Song(melody=song.melody, style=song.style), per="bar",
                                                        key=song.melody.key)))
        out[name] = mean_rows(rows)
    return out


def latency(song: Song, *, runtime, repeats: int = 5) -> dict[str, float]:
    """Median seconds of recommend_chords on one melody, after a warm-up call."""
    result = {}
    runs = (("bar_rules", "bar", "folk", None), ("beat_chorale_rules", "beat", "bach-chorale", None),
            ("beat_chorale_learned", "beat", "bach-chorale", runtime))
    for label, per, style, rt in runs:
        if label.endswith("learned") and rt is None:
            continue
        recommend_chords(song, per=per, style=style, runtime=rt)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            recommend_chords(song, per=per, style=style, runtime=rt)
            times.append(time.perf_counter() - started)
        result[label] = round(statistics.median(times), 3)
    return result


def folk_records(corpus: Path, count: int, *, seed: int) -> list[dict[str, Any]]:
    rows = [r for split in ("test", "valid") for r in read(corpus / f"{split}.jsonl")
            if r["styles"] and (r["styles"][0] == "german-folk" or r["styles"][0].startswith("irish-"))
            and r.get("key")]
    return random.Random(seed).sample(rows, min(count, len(rows)))


def sixteen_bars(records: list[dict[str, Any]]) -> Song:
    from ..tokenization.music import slice_bars

    for record in records:
        song = record_to_song(record)
        if song.melody.bars >= 16 and str(song.melody.meter) == "4/4":
            return Song(melody=slice_bars(song.melody, 0, 16), style=song.style)
    raise SystemExit("no 16-bar 4/4 tune among the folk records")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "default")
    parser.add_argument("--harmony", type=Path, default=ROOT / "data" / "harmony")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--folk", type=int, default=60, help="held-out folk tunes to harmonize")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "chords.json")
    args = parser.parse_args(argv)
    runtime = None
    if (args.checkpoint / "adapters" / HARMONY_ADAPTER / "adapter_config.json").is_file():
        from ..finetune.runtime import load_runtime

        runtime = load_runtime(args.checkpoint, threads=args.threads)

    def rules(song: Song, *, per: str, key: KeySpec, rt=None) -> list[ChordEvent]:
        return slot_events(recommend_chords(song, per=per, key=key, runtime=rt))

    chorale_h: dict[str, Callable] = {"baseline": baseline, "rules": rules}
    if runtime is not None:
        chorale_h["model"] = lambda song, *, per, key: model_only(song, per=per, key=key, runtime=runtime)
        chorale_h["learned"] = lambda song, *, per, key: rules(song, per=per, key=key, rt=runtime)
    started = time.perf_counter()
    if not (args.harmony / "test.jsonl").is_file():
        parser.error(f"no chorale data in {args.harmony}: build it first with `tunesmith harmony build` (make harmony-data)")
    chorales = read(args.harmony / "test.jsonl") + read(args.harmony / "valid.jsonl")
    has_corpus = (args.corpus / "test.jsonl").is_file()  # without data/corpus: chorales only (folk: eval_chords_folk)
    folk = folk_records(args.corpus, args.folk, seed=args.seed) if has_corpus else []
    folk_h = {name: h for name, h in chorale_h.items() if name != "model"}
    report = {
        "generated": time.strftime("%Y-%m-%d %H:%M"), "checkpoint": str(args.checkpoint) if runtime else None,
        "adapter": _adapter_summary(args.checkpoint) if runtime else None,
        "bands": {"bach": BACH_BAND, "lead_sheet": LEAD_SHEET_BAND},
        "chorales": chorale_eval(chorales, chorale_h),
        "folk": folk_eval(folk, folk_h) if folk else None,
        "latency_16_bars_s": latency(sixteen_bars(folk), runtime=runtime) if folk else None,
        "threads": args.threads,
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print_table(report)


def _adapter_summary(checkpoint: Path) -> dict[str, Any] | None:
    from ..finetune.harmony.model import TRAINING_FILE

    path = checkpoint / "adapters" / HARMONY_ADAPTER / TRAINING_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def print_table(report: dict[str, Any]) -> None:
    ch = report["chorales"]
    print(f"Chorales ({ch['pieces']} held-out, {ch['beats']} beats), one chord per beat")
    print(f"  {'':<10}{'exact':>7}{'root':>7}{'func':>7}{'CTR':>7}{'CTnCTR':>8}{'PCS':>7}{'MCTD':>7}{'CHE':>6}"
          f"{'CC':>6}{'CTD':>6}{'chg':>6}")
    bach = {k: v[0] for k, v in BACH_BAND.items()}
    for name in ["bach band", "reference", *[n for n in ch if isinstance(ch[n], dict) and "agreement" in ch[n]]]:
        if name == "bach band":
            a, m = {}, bach
        elif name == "reference":
            a, m = {}, ch["reference_chords"]
        else:
            a, m = ch[name]["agreement"], ch[name]["metrics"]
        cells = "".join(f"{a[k]:>7.3f}" if k in a else f"{'':>7}" for k in ("exact", "root", "function"))
        print(f"  {name:<10}{cells}{m['ctr']:>7.3f}{m['ctnctr']:>8.3f}{m['pcs']:>7.3f}{m['mctd']:>7.3f}"
              f"{m['che']:>6.2f}{m['cc']:>6.1f}{m['ctd']:>6.2f}{m['change']:>6.2f}")
    print("  agreement on the test split only (the model weight was set on valid): "
          + "; ".join(f"{n} {ch[n]['agreement_test_only']['function']:.3f} func / {ch[n]['agreement_test_only']['exact']:.3f} exact"
                      for n in ch if isinstance(ch[n], dict) and "agreement_test_only" in ch[n]))
    fk = report["folk"]
    if fk is None:
        print(f"eval took {report['seconds']} s (no data/corpus: folk tunes skipped; see eval_chords_folk)")
        return
    print(f"Folk ({fk['pieces']} held-out german-folk / irish tunes), one chord per bar; lead-sheet band CTR 0.70-0.80, PCS ~0.50")
    for name, m in fk.items():
        if isinstance(m, dict):
            print(f"  {name:<10} CTR {m['ctr']:.3f}  CTnCTR {m['ctnctr']:.3f}  PCS {m['pcs']:.3f}  CHE {m['che']:.2f}"
                  f"  CC {m['cc']:.1f}  changes {m['change']:.2f}")
    print(f"Latency, 16-bar melody, warm (s): {report['latency_16_bars_s']}  (threads {report['threads']})")
    print(f"eval took {report['seconds']} s")


if __name__ == "__main__":
    main()
