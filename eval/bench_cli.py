"""Cold process times of the command line, against `python -c pass` as the baseline in the same run.

    python -m tunesmith.eval.bench_cli --repeats 3 --out eval/results/cli.json
    python -m tunesmith.eval.bench_cli --peer /tmp/oldpkg     # also time another copy of the code

Cold means a new process each time (the OS file cache is warm after the first run, as it is for a
person who runs the command twice).  The ratios to the bare interpreter hold across machines;
the absolute seconds depend on the machine's load, the CPU seconds (user + system of the process)
less so.

The lean store (merged model weights, finetune/decode/lean_store.py) lives in a fresh cache
folder of this run: the first `melody` and the first `chords --style bach-chorale` fill it (timed once, as
"first use"), the repeats then read it, as every later command of a person does.

`--peer DIR` runs the same commands with PYTHONPATH=DIR (a folder holding a `tunesmith/` package, e.g.
links to an older checkout's folders: `git worktree add /tmp/peer OLD` and
`/tmp/oldpkg/tunesmith/<part> -> /tmp/peer/<part>`), interleaved with this tree's runs, and reports
both, their ratio and whether both printed and wrote the same music (ABC and MIDI files, the text
without its timings; MusicXML carries random part ids, so it is not compared).  One more run of each
command under `python -X importtime` lists its slowest top-level imports and whether it imported
torch, transformers or peft.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REEL = "X:1\nT:Reel\nM:4/4\nL:1/8\nK:G\n|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|\n"
TARGETS = {"--help": 0.3, "analyze": 1.0, "melody": 2.0, "chords": 1.5}  # issue 16, seconds
TIMING = re.compile(r"\d+\.\d+s\b|time: ")  # lines that report their own run time


def cases(abc: Path) -> dict[str, list[str]]:
    """The commands timed: name -> tunesmith arguments (before --out)."""
    return {
        "--help": ["--help"],
        "analyze": ["analyze", str(abc)],
        "melody": ["melody", "--style", "irish-reel", "--key", "G", "--bars", "8", "--seed", "1"],
        "chords": ["chords", str(abc)],
        "chords --style bach-chorale": ["chords", str(abc), "--style", "bach-chorale"],  # the harmony model
    }


def _command(argv: list[str], out: Path) -> list[str]:
    args = argv if argv == ["--help"] or argv[0] == "analyze" else [*argv, "--out", str(out)]
    code = f"import sys; from tunesmith.agent.cli import main; sys.argv = ['tunesmith', *{args!r}]; main()"
    return [sys.executable, "-c", code]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(command: list[str], *, env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one process, and what it printed."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[-1:])} failed: {done.stderr.strip()[-300:]}")
    return seconds, cpu, done.stdout


def _music(stdout: str, out: Path) -> tuple[str, dict[str, bytes]]:
    """What a run made, timings left out: its text and its ABC and MIDI files."""
    text = "\n".join(line for line in stdout.splitlines() if not TIMING.search(line) and "wrote " not in line)
    files = {p.name: p.read_bytes() for p in sorted(out.glob("*")) if p.suffix in (".abc", ".mid")}
    return text, files


def _imports(argv: list[str], *, env: dict[str, str], work: Path) -> dict:
    """One more run under `python -X importtime`: the slowest top-level imports (cumulative seconds)
    and which of torch, transformers and peft the command imported."""
    command = _command(argv, work / "imports")
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env, cwd=work, capture_output=True,
                          text=True, timeout=600)
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    top = [(name.strip(), int(cumulative) / 1e6) for _, cumulative, name in (r for r in rows if len(r) == 3)
           if cumulative.strip().isdigit() and not name.startswith("  ")]
    names = {name.strip() for *_, name in rows}
    return {"slowest": {name: round(sec, 3) for name, sec in sorted(top, key=lambda t: -t[1])[:6]},
            "heavy": [m for m in ("torch", "transformers", "peft") if m in names]}


def _stats(seconds: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    found = {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3)}
    if cpu:
        found["cpu_median_s"] = round(statistics.median(cpu), 3)  # what other work on the machine inflates least
    return found


def bench(*, repeats: int, peer: Path | None, work: Path, this: Path | None = None) -> dict:
    """Time every case in this tree (and the peer's), interleaved, with the baseline in the same run."""
    abc = work / "reel.abc"
    abc.write_text(REEL)
    trees = {"this": dict(os.environ, TUNESMITH_CACHE=str(work / "cache-this"))}
    trees["this"].pop("PYTHONPATH", None)
    if this is not None:
        trees["this"]["PYTHONPATH"] = str(this)
    if peer is not None:
        trees["peer"] = dict(os.environ, PYTHONPATH=str(peer), TUNESMITH_CACHE=str(work / "cache-peer"))
    table = cases(abc)
    load = [round(os.getloadavg()[0], 2)]  # the 1-minute load average: other work on the machine
    first = {}
    for name in ("melody", "chords --style bach-chorale"):  # fills this tree's lean store
        first[name] = round(_run(_command(table[name], work / "first"), env=trees["this"], cwd=work)[0], 3)
    baseline: list[float] = []
    baseline_cpu: list[float] = []
    seconds = {(tree, name): [] for tree in trees for name in table}
    cpus = {(tree, name): [] for tree in trees for name in table}
    made: dict[tuple[str, str], tuple[str, dict[str, bytes]]] = {}
    for _ in range(repeats):
        took, cpu, _ = _run([sys.executable, "-c", "pass"], env=trees["this"], cwd=work)
        baseline.append(took)
        baseline_cpu.append(cpu)
        for name, argv in table.items():
            for tree, env in trees.items():
                out = work / f"out-{tree}-{len(seconds[tree, name])}-{name.replace(' ', '_')}"
                took, cpu, stdout = _run(_command(argv, out), env=env, cwd=work)
                seconds[tree, name].append(took)
                cpus[tree, name].append(cpu)
                made[tree, name] = _music(stdout, out)
    load.append(round(os.getloadavg()[0], 2))
    base = statistics.median(baseline)
    results: dict[str, dict] = {"python -c pass (baseline)": {**_stats(baseline, baseline_cpu), "x_baseline": 1.0}}
    for name in table:
        row: dict = {}
        for tree in trees:
            stats = _stats(seconds[tree, name], cpus[tree, name])
            row[tree] = {**stats, "x_baseline": round(stats["median_s"] / base, 1)}
        target = TARGETS.get(name.split(" --")[0] if name != "--help" else name)
        if target is not None:
            row["target_s"] = target
            row["meets_target"] = row["this"]["median_s"] <= target
        if name in first:
            row["this"]["first_use_s"] = first[name]
        for tree, env in trees.items():
            row[tree]["imports"] = _imports(table[name], env=env, work=work)
        if peer is not None:
            row["this_over_peer"] = round(row["this"]["median_s"] / row["peer"]["median_s"], 2)
            row["same_output"] = made["this", name] == made["peer", name]
        results[f"tunesmith {name}"] = row
    return {"generated": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "load_before_after": load,
            "repeats": repeats,
            "this": str(this) if this is not None else "the installed package",
            "peer": str(peer) if peer is not None else None, "results": results}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "cli.json")
    parser.add_argument("--peer", type=Path, help="a folder with another tunesmith package to time in the same run")
    parser.add_argument("--this", type=Path, help="time this folder's tunesmith package instead of the installed one "
                                                  "(e.g. a clean checkout of one commit, laid out like --peer)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tunesmith-bench-") as work:
        report = bench(repeats=args.repeats, peer=args.peer, work=Path(work), this=args.this)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{report['cpus']} cpus, load average {report['load_before_after'][0]} before, "
          f"{report['load_before_after'][1]} after")
    for name, row in report["results"].items():
        if "this" not in row:
            print(f"{name:34s} median {row['median_s']:.3f}s (cpu {row['cpu_median_s']:.3f}s)")
            continue
        line = (f"{name:34s} median {row['this']['median_s']:.3f}s ({row['this']['x_baseline']}x baseline, "
                f"cpu {row['this']['cpu_median_s']:.3f}s)")
        if "peer" in row:
            line += (f"  peer {row['peer']['median_s']:.3f}s ({row['peer']['x_baseline']}x, cpu "
                     f"{row['peer']['cpu_median_s']:.3f}s)  "
                     f"this/peer {row['this_over_peer']:.2f}  same output: {row['same_output']}")
        if "first_use_s" in row["this"]:
            line += f"  first use {row['this']['first_use_s']:.2f}s"
        print(line)
        for tree in ("this", "peer") if "peer" in row else ("this",):
            found = row[tree]["imports"]
            slowest = ", ".join(f"{n} {t:.2f}s" for n, t in found["slowest"].items())
            print(f"    {tree} imports {', '.join(found['heavy']) or 'no torch/transformers/peft'}; slowest: {slowest}")


if __name__ == "__main__":
    main()
