"""Chords on real chorded tunes: the held-out Nottingham split, harmonized from MIDI and from
MusicXML, against the tunes' own chords, with the diatonic baseline in the same run.

    python -m tunesmith.eval.eval_chords_folk [--tunes 0] [--checkpoint checkpoints/default]
                                              [--peer] [--peer-python PATH]

Each held-out tune (finetune/harmony/folk_data.py: a fixed fifth by a hash of file and title,
nothing fitted or tuned on it) is written without its chords as
  * MIDI, the first note at time 0 (what a MIDI export gives: no pickup bar), and
  * MusicXML (tokenization.files.write_song; the pickup is whatever that writer keeps),
read back with tokenization.files.read_song, as `tunesmith chords FILE` reads it, and harmonized by
  * baseline: per bar, the diatonic triad covering most melody duration (the issue's baseline);
    baseline-score: the same on the correctly barred score (the tune as read from its ABC),
  * fit-baseline: per bar, the diatonic triad with the best weighted fit (eval_chords.baseline),
  * rules:    recommend_chords with the hand-set scorer (what `chords` did before issue 15),
  * folk:     recommend_chords' default for lead sheets (the HMM fitted on the development tunes),
  * folk-bar / folk-half: the same with --per forcing the rate,
  * note_seq (with --peer, MIDI only): Magenta's chord inference, one chord per bar, run in its own
    venv (`make peer`) on the very MIDI file tunesmith reads (eval/peer_note_seq.py).
Guess and reference are aligned by time from the first note, so a wrong barring cannot hide.
Metrics, mean over tunes: root agreement over time (share of the reference's chord time where
the roots agree), exact chord agreement over time (same root and pitch classes, bass ignored),
chord-tone ratio (melody time on tones of the chosen chord), and the same three at the
reference's bar starts.  Writes eval/results/chords_folk.json.
Data: Nottingham Music Database (E. Foxley), cleaned by jukedeck/nottingham-dataset, GPL-3.0.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..finetune.harmony.folk_data import DEFAULT_DATA, SOURCE, FolkTune, folk_tunes
from ..tokenization.music import ChordEvent, Melody, Song
from ..tools.chords.recommend import recommend_chords
from ..tools.theory.chords import chord_pitch_classes
from ..tools.theory.key import estimate_key
from .eval_chords import baseline
from .peer_note_seq import DEFAULT_PYTHON, PeerMissing, note_seq_chords

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("root", "exact", "ctr", "bar_root", "bar_exact", "bar_ctr")


@functools.lru_cache(maxsize=4096)
def chord_parts(symbol: str) -> tuple[int, frozenset[int]] | None:
    """(root pitch class, pitch classes without a slash bass) of a chord symbol, None if unreadable.

    >>> chord_parts("D/F#") == (2, frozenset({2, 6, 9})), chord_parts("Bb7")[0]
    (True, 10)
    """
    from ..tokenization.music import PITCH_CLASS

    head = symbol.split("/")[0]
    pcs = chord_pitch_classes(head)
    if not pcs or not head or head[0] not in PITCH_CLASS:
        return None
    return (PITCH_CLASS[head[0]] + {"#": 1, "b": -1}.get(head[1:2], 0)) % 12, pcs


def _timeline(events: list[ChordEvent], origin: float) -> list[tuple[float, float, tuple | None]]:
    return [(e.onset - origin, e.onset + e.duration - origin, chord_parts(e.symbol)) for e in events]


def _at(timeline: list[tuple[float, float, tuple | None]], t: float) -> tuple | None:
    for lo, hi, parts in timeline:
        if lo - 1e-9 <= t < hi - 1e-9:
            return parts
    return None


def _ctr(melody: Melody, timeline, origin: float, *, times: list[float] | None = None) -> float:
    """Melody time on chord tones (or, with `times`, the share of those instants on chord tones)."""
    on = total = 0.0
    if times is None:
        for note in melody.notes:
            cuts = sorted({note.onset - origin, note.end - origin,
                           *[x for lo, hi, _ in timeline for x in (lo, hi) if note.onset - origin < x < note.end - origin]})
            for a, b in zip(cuts, cuts[1:]):
                parts = _at(timeline, a)
                total += b - a
                on += (b - a) if parts and note.pitch % 12 in parts[1] else 0.0
        return on / total if total else 0.0
    for t in times:
        note = next((n for n in melody.notes if n.onset - origin - 1e-9 <= t < n.end - origin - 1e-9), None)
        if note is None:
            continue
        parts = _at(timeline, t)
        total += 1
        on += bool(parts and note.pitch % 12 in parts[1])
    return on / total if total else 0.0


def compare(reference: Song, guess_song: Song) -> dict[str, float]:
    """Root / exact agreement over time and at bar starts, and chord-tone ratios, of one tune."""
    ref_origin = reference.melody.notes[0].onset
    origin = guess_song.melody.notes[0].onset
    ref = _timeline(list(reference.chords), ref_origin)
    mine = _timeline(list(guess_song.chords), origin)
    end = reference.melody.notes[-1].end - ref_origin
    cuts = sorted({0.0, end, *[x for lo, hi, _ in ref + mine for x in (lo, hi) if 0 < x < end]})
    total = root = exact = 0.0
    for a, b in zip(cuts, cuts[1:]):
        want = _at(ref, a)
        if want is None:
            continue
        got = _at(mine, a)
        total += b - a
        root += (b - a) if got and got[0] == want[0] else 0.0
        exact += (b - a) if got and got == want else 0.0
    bar = reference.melody.bar_length
    starts = [k * bar - ref_origin for k in range(reference.melody.bars + 1) if 0 <= k * bar - ref_origin < end - 1e-9]
    starts = [t for t in starts if _at(ref, t) is not None]
    bar_root = sum(bool((g := _at(mine, t)) and g[0] == _at(ref, t)[0]) for t in starts)
    bar_exact = sum(_at(mine, t) == _at(ref, t) for t in starts)
    n = max(len(starts), 1)
    return {"root": root / total if total else 0.0, "exact": exact / total if total else 0.0,
            "ctr": _ctr(guess_song.melody, mine, origin), "bar_root": bar_root / n, "bar_exact": bar_exact / n,
            "bar_ctr": _ctr(reference.melody, mine, ref_origin, times=starts)}


def as_midi(melody: Melody) -> Song:
    """The melody as a MIDI export has it: first note at time 0, no chords."""
    shift = melody.notes[0].onset
    notes = tuple(replace(n, onset=n.onset - shift) for n in melody.notes)
    return Song(melody=replace(melody, notes=notes, bars=0))


def read_back(song: Song, suffix: str, folder: Path, *, name: str = "tune") -> Song:
    """Write a song as a file and read it as `tunesmith chords FILE` does."""
    from ..tokenization.files import atomic_write, musicxml_bytes, read_song
    from ..tokenization.midi import song_to_midi

    data = song_to_midi(song) if suffix == ".mid" else musicxml_bytes(song)
    return read_song(atomic_write(folder / f"{name}{suffix}", data))


def diatonic_bars(song: Song) -> tuple[ChordEvent, ...]:
    """The issue's ten-line baseline: per bar, the diatonic triad covering most melody duration."""
    from ..tokenization.music import KeySpec
    from ..tools.chords.vocab import make_chord
    from .eval_chords import DIATONIC

    melody = song.melody
    key = melody.key or estimate_key(melody)[0]
    mode = "minor" if key.mode in ("minor", "dorian", "phrygian") else "major"
    triads = [make_chord(KeySpec(key.tonic, mode), rel, q) for rel, q in DIATONIC[mode]]
    events: list[ChordEvent] = []
    for bar in range(melody.bars):
        lo, hi = bar * melody.bar_length, (bar + 1) * melody.bar_length
        cover = [sum(min(n.end, hi) - max(n.onset, lo) for n in melody.notes
                     if n.pitch % 12 in t.pcs and n.end > lo and n.onset < hi) for t in triads]
        if max(cover) > 0:
            best = triads[cover.index(max(cover))]
            events.append(ChordEvent(best.symbol, lo, hi - lo, best.roman))
    return tuple(events)


def harmonizers(runtime=None) -> dict[str, Callable[[Song], tuple[ChordEvent, ...]]]:
    def key_of(song: Song):
        return song.melody.key or estimate_key(song.melody)[0]

    found: dict[str, Callable[[Song], tuple[ChordEvent, ...]]] = {
        "baseline": diatonic_bars,
        "fit-baseline": lambda s: tuple(baseline(s, per="bar", key=key_of(s))),
        "rules": lambda s: recommend_chords(s, scorer="rules").chords,
        "folk": lambda s: recommend_chords(s).chords,
        "folk-bar": lambda s: recommend_chords(s, per="bar").chords,
        "folk-half": lambda s: recommend_chords(s, per="half").chords,
    }
    if runtime is not None:
        found["rules+model"] = lambda s: recommend_chords(s, scorer="rules", runtime=runtime).chords
    return found


def run(tunes: list[FolkTune], *, inputs: tuple[str, ...], runtime=None, peer: Path | None = None) -> dict:
    """Every harmonizer on every tune and input; with `peer` (its Python) note_seq on the MIDI files too."""
    methods = harmonizers(runtime)
    rows: dict[str, dict[str, list[dict[str, float]]]] = {i: {m: [] for m in ("baseline-score", *methods)}
                                                          for i in inputs}
    seconds: dict[str, list[float]] = {m: [] for m in methods}
    reference_rows, skipped = [], []
    peer_files: list[tuple[FolkTune, Path, Song]] = []
    extra: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, tune in enumerate(tunes):
            melody_only = Song(melody=tune.song.melody, title=tune.title)
            reference_rows.append(compare(tune.song, tune.song))
            on_score = compare(tune.song, replace(melody_only, chords=diatonic_bars(melody_only)))
            for source in inputs:
                try:
                    song = read_back(as_midi(tune.song.melody) if source == "midi" else melody_only,
                                     ".mid" if source == "midi" else ".musicxml", Path(tmp), name=f"tune{number}")
                except Exception as err:  # a tune our writers or readers cannot carry is reported, not fatal
                    skipped.append(f"{tune.name} {source}: {str(err).splitlines()[0]}")
                    break
                song = replace(song, chords=())
                if source == "midi" and peer is not None:
                    peer_files.append((tune, Path(tmp) / f"tune{number}.mid", song))
                rows[source]["baseline-score"].append(on_score)
                for name, harmonize in methods.items():
                    started = time.perf_counter()
                    events = harmonize(song)
                    seconds[name].append(time.perf_counter() - started)
                    rows[source][name].append(compare(tune.song, replace(song, chords=events)))
        if peer_files:
            extra = _peer_rows(peer_files, python=peer, into=rows["midi"], seconds=seconds)
    mean = lambda got: {k: round(statistics.mean(r[k] for r in got), 4) for k in METRICS} if got else {}
    return {"tunes": len(tunes), "skipped": skipped, "reference": mean(reference_rows),
            "inputs": {src: {m: mean(r) for m, r in by.items()} for src, by in rows.items()},
            "median_seconds": {m: round(statistics.median(s), 4) for m, s in seconds.items() if s}, **extra}


def _peer_rows(files: list[tuple[FolkTune, Path, Song]], *, python: Path, into: dict, seconds: dict) -> dict:
    """Score note_seq's charts of the MIDI files (a tune it fails on counts as an empty chart)."""
    started = time.perf_counter()
    answer = note_seq_chords([path for _, path, _ in files], python=python)
    seconds["note_seq"] = [(time.perf_counter() - started) / len(files)]
    into["note_seq"] = [compare(tune.song, replace(song, chords=chart))
                        for (tune, _, song), chart in zip(files, answer.charts)]
    failed = [f"{tune.name}: {err}" for (tune, _, _), err in zip(files, answer.errors) if err]
    return {"peer": {"note_seq": answer.version, "chords_per_bar": 1, "failed": failed,
                     "seconds_per_tune_note": "mean wall time of one batch subprocess, imports included"}}


def latency(tunes: list[FolkTune], *, repeats: int = 5) -> dict[str, float]:
    """Median warm seconds of the default harmonizer on the first 16-bar stretch of a held-out 4/4 tune."""
    from ..tokenization.music import slice_bars

    tune = next(t for t in tunes if str(t.song.melody.meter) == "4/4" and t.song.melody.bars >= 17)
    song = Song(melody=slice_bars(tune.song.melody, 1, 16))
    out = {}
    for label, kwargs in (("folk", {}), ("rules", {"scorer": "rules"})):
        recommend_chords(song, **kwargs)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            recommend_chords(song, **kwargs)
            times.append(time.perf_counter() - started)
        out[label] = round(statistics.median(times), 3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tunes", type=int, default=0, help="at most this many held-out tunes (0: all)")
    parser.add_argument("--inputs", default="midi,musicxml")
    parser.add_argument("--split", default="heldout", choices=("heldout", "dev"))
    parser.add_argument("--checkpoint", type=Path, default=None, help="also run the rules with the harmony adapter")
    parser.add_argument("--peer", action="store_true", help="also run note_seq's chord inference on the MIDI files")
    parser.add_argument("--peer-python", type=Path, default=DEFAULT_PYTHON, help="the peer venv's Python (make peer)")
    parser.add_argument("--out", type=Path, default=None,
                        help="default eval/results/chords_folk.json (held-out), chords_folk_dev.json (dev)")
    args = parser.parse_args(argv)
    runtime = None
    if args.checkpoint is not None:
        from ..finetune.runtime import load_runtime

        runtime = load_runtime(args.checkpoint, threads=2)
    started = time.perf_counter()
    tunes = folk_tunes(data=args.data, split=args.split, limit=args.tunes or None)
    try:
        found = run(tunes, inputs=tuple(args.inputs.split(",")), runtime=runtime,
                    peer=args.peer_python if args.peer else None)
    except PeerMissing as err:
        raise SystemExit(f"error: {err}") from None
    report = {"generated": time.strftime("%Y-%m-%d %H:%M"), "data": SOURCE, "split": args.split,
              **found, "latency_16_bars_s": latency(tunes)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    name = "chords_folk.json" if args.split == "heldout" else "chords_folk_dev.json"
    out = args.out or ROOT / "eval" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print_table(report)


def print_table(report: dict) -> None:
    print(f"Nottingham {report['split']} tunes: {report['tunes']} ({len(report['skipped'])} skipped); "
          f"time-aligned from the first note")
    ref = report["reference"]
    print(f"  the tunes' own chords: CTR {ref['ctr']:.3f}, at bar starts {ref['bar_ctr']:.3f}")
    for source, by in report["inputs"].items():
        print(f"  from {source}:")
        print(f"    {'':<12}{'root':>7}{'exact':>7}{'CTR':>7} | {'bar root':>9}{'exact':>7}{'CTR':>7}{'s/tune':>8}")
        for name, m in by.items():
            if m:
                print(f"    {name:<12}{m['root']:>7.3f}{m['exact']:>7.3f}{m['ctr']:>7.3f} | {m['bar_root']:>9.3f}"
                      f"{m['bar_exact']:>7.3f}{m['bar_ctr']:>7.3f}{report['median_seconds'].get(name, 0):>8.3f}")
    print(f"Latency, 16-bar melody, warm (s): {report['latency_16_bars_s']}")
    print(f"eval took {report['seconds']} s")


if __name__ == "__main__":
    main()
