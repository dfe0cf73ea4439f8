"""Cold process times of the command line, against `python -c pass` as the baseline in the same run.

    python -m tunesmith.eval.bench_cli --repeats 3 --out eval/results/cli.json
    python -m tunesmith.eval.bench_cli --peer /tmp/oldpkg     # also time another copy of the code

`--peer DIR` runs the same commands with PYTHONPATH=DIR (a folder holding a `tunesmith/` package, e.g.
links to an older checkout's folders), interleaved with this tree's runs, and reports the ratio.

Cold means a new process each time (the OS file cache is warm after the first run, as it is for a
person who runs the command twice).  The ratios to the bare interpreter hold across machines;
the absolute seconds depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(command: list[str], *, repeats: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}")
    return {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "cli.json")
    parser.add_argument("--peer", type=Path, help="a folder with another tunesmith package to time in the same run")
    args = parser.parse_args(argv)
    if args.peer is not None:
        _compare(args.peer, repeats=args.repeats)
        return
    exe = shutil.which("tunesmith") or str(Path(sys.executable).with_name("tunesmith"))
    out_dir = Path(tempfile.mkdtemp(prefix="tunesmith-bench-"))
    abc = out_dir / "reel.abc"
    abc.write_text("X:1\nT:Reel\nM:4/4\nL:1/8\nK:G\n|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|\n")
    commands = {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "tunesmith --help": [exe, "--help"],
        "tunesmith analyze reel.abc": [exe, "analyze", str(abc)],
        "tunesmith melody (8 bars)": [exe, "melody", "--style", "irish-reel", "--key", "G", "--bars", "8",
                                      "--seed", "1", "--out", str(out_dir)],
    }
    results = {name: _time(cmd, repeats=args.repeats) for name, cmd in commands.items()}
    base = results["python -c pass (baseline)"]["median_s"]
    for row in results.values():
        row["x_baseline"] = round(row["median_s"] / base, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"generated": time.strftime("%Y-%m-%d %H:%M"), "results": results}, indent=1) + "\n")
    for name, row in results.items():
        print(f"{name:32s} median {row['median_s']:.3f}s  ({row['x_baseline']}x baseline)")


def _compare(peer: Path, *, repeats: int) -> None:
    """This tree against the package under `peer`, each command alternating between the two."""
    out_dir = Path(tempfile.mkdtemp(prefix="tunesmith-bench-"))
    abc = out_dir / "reel.abc"
    abc.write_text("X:1\nT:Reel\nM:4/4\nL:1/8\nK:G\n|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|\n")
    cases = {"--help": ["--help"], "analyze reel.abc": ["analyze", str(abc)],
             "melody (8 bars)": ["melody", "--style", "irish-reel", "--key", "G", "--bars", "8", "--seed", "1",
                                 "--out", str(out_dir)]}
    envs = {"this": dict(os.environ), "peer": dict(os.environ, PYTHONPATH=str(peer))}
    seconds: dict[tuple[str, str], list[float]] = {(t, c): [] for t in envs for c in cases}
    for _ in range(repeats):
        for case, argv in cases.items():
            for tree, env in envs.items():
                code = f"import sys; from tunesmith.agent.cli import main; sys.argv = ['tunesmith', *{argv!r}]; main()"
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", code], env=env, cwd=out_dir, capture_output=True,
                                      text=True, timeout=600)
                seconds[(tree, case)].append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"{tree} {case} failed: {done.stderr.strip()[-300:]}")
    for case in cases:
        this, other = (statistics.median(seconds[(t, case)]) for t in ("this", "peer"))
        print(f"tunesmith {case:20s} this {this:.3f}s  peer {other:.3f}s  this/peer {this / other:.2f}")


if __name__ == "__main__":
    main()
