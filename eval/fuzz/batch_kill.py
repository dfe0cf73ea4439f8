"""Batch kill/resume check: a prompt batch is SIGKILLed at random moments and started again with the
same arguments, then run to the end; every prompt must have exactly one result line and its files.

    python -m tunesmith.eval.fuzz.batch_kill --kills 10 --prompts 30 --out eval/results/batch_kill.json

The batch runs through the real command line with the scripted chat model (tests/fake_cli.py), each
prompt calling generate_melody so that every item writes files; `-j1` and `-j2` are both checked.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .runner import environment

LAUNCHER = Path(__file__).resolve().parents[2] / "tests" / "fake_cli.py"  # tests/: it imports the agent
STEPS = json.dumps([["generate_melody", {"bars": 2, "seed": 5}], "done"] * 40)  # the fake repeats its script 5x; a batch shares it


def _batch(work: Path, jobs: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(LAUNCHER), "batch", "prompts.jsonl", "--out", "out", "--jobs",
                             str(jobs)], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _audit(work: Path, ids: list[str]) -> dict:
    """Result lines per id, ids missing or doubled, result files that do not exist, stray lines."""
    path = work / "out" / "results.jsonl"
    rows, broken = [], 0
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        try:
            rows.append(json.loads(line))
        except ValueError:
            broken += 1
    seen = [r.get("id") for r in rows]
    missing_files = [f"{r['id']}:{name}" for r in rows for name in (r.get("files") or [])
                     if not (work / "out" / name).is_file()]
    return {"results": len(rows), "broken_lines": broken, "missing": sorted(set(ids) - set(seen)),
            "duplicated": sorted({i for i in seen if seen.count(i) > 1}), "failed": sum(not r.get("ok") for r in rows),
            "missing_files": missing_files[:20]}


def run(*, jobs: int, kills: int, prompts: int, rng: random.Random) -> dict:
    work = Path(tempfile.mkdtemp(prefix="batch-kill-"))
    try:
        ids = [f"p{i:02d}" + " x" * (i % 3) for i in range(prompts)]  # some ids need their folder name hashed
        (work / "prompts.jsonl").write_text("".join(json.dumps({"id": i, "prompt": f"a jig {i}"}) + "\n" for i in ids))
        env = environment(home=work / "home", source=None, extra={"FUZZ_FAKE_STEPS": STEPS})
        killed_at = []
        for _ in range(kills):
            proc = _batch(work, jobs, env)
            delay = rng.uniform(1.0, 6.0)
            time.sleep(delay)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at.append(round(delay, 2))
            proc.wait()
        started = time.perf_counter()
        final = _batch(work, jobs, env)
        _, err = final.communicate(timeout=1800)
        audit = _audit(work, ids)
        return {"jobs": jobs, "kills": len(killed_at), "killed_after_s": killed_at, "final_exit": final.returncode,
                "final_seconds": round(time.perf_counter() - started, 1), "final_stderr": err.decode()[-300:],
                **audit, "ok": not (audit["missing"] or audit["duplicated"] or audit["broken_lines"]
                                    or audit["missing_files"])}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--prompts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    report = {"prompts": args.prompts, "runs": [run(jobs=j, kills=args.kills, prompts=args.prompts, rng=rng)
                                                for j in (1, 2)]}
    for row in report["runs"]:
        print(f"-j{row['jobs']}: {row['kills']} kills, results {row['results']}/{args.prompts}, missing "
              f"{len(row['missing'])}, duplicated {len(row['duplicated'])}, broken lines {row['broken_lines']}, "
              f"missing files {len(row['missing_files'])}, failed {row['failed']}, exit {row['final_exit']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
