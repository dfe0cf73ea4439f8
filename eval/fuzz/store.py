"""The session store under concurrent use and damage, through the real command line (scripted chat model).

    python -m tunesmith.eval.fuzz.store --before 6869edd --after HEAD --rounds 20 --out eval/results/store_concurrency.json

Per revision (git archive, PYTHONPATH, as eval/fuzz/args.py):
  first runs   20 rounds of two `run` started together on a fresh TUNESMITH_HOME: both must exit 0 and
               both sessions and turns must be in the database;
  chat -c      20 rounds of two `chat -c` started together on one session: both turns must be kept;
  damage       a stored turn made not JSON, missing its keys, or holding a garbage song: `chat -c` must
               say so in one line, skip it and resume the rest (no traceback).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .runner import baseline_tree, classify, environment, resolve

LAUNCHER = Path(__file__).resolve().parents[2] / "tests" / "fake_cli.py"  # tests/: it imports the agent


def _start(argv: list[str], *, env: dict, cwd: Path, stdin: str = "") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), *argv], cwd=cwd, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(stdin)
    proc.stdin.close()
    return proc


def _finish(proc: subprocess.Popen, *, timeout: float) -> dict:
    try:
        proc.wait(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        timed_out = True
    out, err = proc.stdout.read(), proc.stderr.read()
    kind = classify(proc.returncode, out, err, peak_rss=0, timed_out=timed_out)
    lines = [line for line in (err or out).strip().splitlines() if line.strip()]
    return {"kind": kind, "code": proc.returncode, "out": out, "last_line": lines[-1][:300] if lines else ""}


def _rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        try:
            return con.execute(sql).fetchall()
        except sqlite3.Error:
            return []


def first_runs(*, source: Path | None, rounds: int, timeout: float) -> dict:
    """Two `run`s at once on a fresh home, `rounds` times."""
    failed, kinds = [], []
    for number in range(rounds):
        work = Path(tempfile.mkdtemp(prefix="store-run-"))
        env = environment(home=work / "home", source=source)
        procs = [_start(["run", f"prompt {number}-{side}", "--out", "o"], env=env, cwd=work) for side in "ab"]
        results = [_finish(p, timeout=timeout) for p in procs]
        kinds += [r["kind"] for r in results]
        db = work / "home" / "sessions.db"
        sessions = len(_rows(db, "SELECT id FROM sessions"))
        texts = {t for (t,) in _rows(db, "SELECT text FROM turns")}
        ok = all(r["code"] == 0 for r in results) and sessions == 2 and texts == {f"prompt {number}-a", f"prompt {number}-b"}
        if not ok:
            failed.append({"round": number, "codes": [r["code"] for r in results], "sessions": sessions,
                           "turns": sorted(texts), "errors": [r["last_line"] for r in results if r["code"]]})
        shutil.rmtree(work, ignore_errors=True)
    return {"rounds": rounds, "rounds_failed": len(failed), "tracebacks": kinds.count("traceback"),
            "hangs": kinds.count("hang"), "failures": failed[:5]}


def chat_continue(*, source: Path | None, rounds: int, timeout: float) -> dict:
    """One session; each round two `chat -c` at once, each saying one line; every line must be stored."""
    work = Path(tempfile.mkdtemp(prefix="store-chat-"))
    env = environment(home=work / "home", source=source)
    setup = _finish(_start(["run", "start", "--out", "o"], env=env, cwd=work), timeout=timeout)
    db = work / "home" / "sessions.db"
    failed, kinds, lost, exit0_but_lost = [], [], 0, 0
    for number in range(rounds):
        said = [f"turn {number}-{side}" for side in "ab"]
        procs = [_start(["chat", "-c", "--no-stream"], env=env, cwd=work, stdin=f"{line}\n") for line in said]
        results = [_finish(p, timeout=timeout) for p in procs]
        kinds += [r["kind"] for r in results]
        stored = {t for (t,) in _rows(db, "SELECT text FROM turns")}
        missing = [line for line in said if line not in stored]
        lost += len(missing)
        exit0_but_lost += sum(1 for line, r in zip(said, results) if line in missing and r["code"] == 0)
        if missing or any(r["code"] for r in results):
            failed.append({"round": number, "codes": [r["code"] for r in results], "missing": missing,
                           "errors": [r["last_line"] for r in results]})
    total = len(_rows(db, "SELECT idx FROM turns"))
    shutil.rmtree(work, ignore_errors=True)
    return {"rounds": rounds, "setup": setup["kind"], "turns_said": 2 * rounds, "turns_lost": lost,
            "lost_while_exit_0": exit0_but_lost, "turns_stored": total, "tracebacks": kinds.count("traceback"),
            "hangs": kinds.count("hang"), "rounds_failed": len(failed), "failures": failed[:5]}


DAMAGE = {
    "not JSON": "{this is not json",
    "missing keys": json.dumps({"index": 2}),
    "garbage song": json.dumps({"index": 2, "kind": "chat", "text": "x", "reply": "y", "tool_calls": [],
                                "state": {"song": {"melody": "garbage", "notes": [1, 2]}}, "messages": []}),
}


def damage(*, source: Path | None, timeout: float) -> dict:
    """Three turns stored, the middle one damaged in each way; `chat -c` must resume the other two."""
    found = {}
    for name, blob in DAMAGE.items():
        work = Path(tempfile.mkdtemp(prefix="store-damage-"))
        env = environment(home=work / "home", source=source)
        _finish(_start(["run", "first", "--out", "o"], env=env, cwd=work), timeout=timeout)
        for line in ("second", "third"):
            _finish(_start(["chat", "-c", "--no-stream"], env=env, cwd=work, stdin=f"{line}\n"), timeout=timeout)
        db = work / "home" / "sessions.db"
        with sqlite3.connect(db) as con:
            con.execute("UPDATE turns SET data = ? WHERE text = 'second'", (blob,))
        result = _finish(_start(["chat", "-c", "--no-stream"], env=env, cwd=work, stdin="fourth\n"), timeout=timeout)
        resumed = "resumed with 2 turn(s)" in result["out"]
        reported = "damaged" in result["out"]
        found[name] = {"kind": result["kind"], "code": result["code"], "reported": reported, "resumed_rest": resumed,
                       "last_line": result["last_line"]}
        shutil.rmtree(work, ignore_errors=True)
    return found


def run_revision(rev: str, *, rounds: int, timeout: float) -> dict:
    source = baseline_tree(rev)
    started = time.perf_counter()
    try:
        report = {"rev": rev, "first_runs": first_runs(source=source, rounds=rounds, timeout=timeout),
                  "chat_continue": chat_continue(source=source, rounds=rounds, timeout=timeout),
                  "damage": damage(source=source, timeout=timeout)}
    finally:
        shutil.rmtree(source, ignore_errors=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report: dict = {"rounds": args.rounds}
    for label, rev in (("before", args.before), ("after", args.after)):
        if rev:
            row = report[label] = run_revision(resolve(rev), rounds=args.rounds, timeout=args.timeout)
            first, chat, hurt = row["first_runs"], row["chat_continue"], row["damage"]
            print(f"{label} {row['rev']}: first runs {first['rounds_failed']}/{first['rounds']} rounds failed, "
                  f"{first['tracebacks']} tracebacks; chat -c {chat['turns_lost']}/{chat['turns_said']} turns lost "
                  f"({chat['lost_while_exit_0']} with exit 0), {chat['tracebacks']} tracebacks; damage: "
                  + ", ".join(f"{k} {v['kind']}{' reported' if v['reported'] else ''}"
                              f"{' resumed' if v['resumed_rest'] else ''}" for k, v in hurt.items()), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
