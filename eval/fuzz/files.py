"""Bad-file fuzz of the commands that read music: every generated input (eval/fuzz/inputs.py, about
400 files plus FIFOs, device links and folders) through `analyze`, `chords`, `lyrics --drafter rules`
and `melody --continue`, each run in its own process with a timeout and an address-space cap,
classified clean error / success / traceback / hang / memory / crash (eval/fuzz/runner.py), for
two revisions in the same run.

    python -m tunesmith.eval.fuzz.files --before 8a4d599 --after HEAD --jobs 2 --out eval/results/fuzz_files.json
    python -m tunesmith.eval.fuzz.files --after HEAD --only analyze --limit 50   # a quick look
    python -m tunesmith.eval.fuzz.files --before 8a4d599 --only analyze --match 'delta|bars-800' --timeout 20

A run still going at --timeout is run again at 3x the timeout before it counts as a hang.  Each run
gets a fresh folder holding only its input; a write anywhere else in that folder's parent is an
outside write.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path

from .inputs import inputs, special
from .runner import environment, over_revision, resolve, run_retrying, tally

SPECIALS = ("@fifo.mid", "@zero.mid", "@urandom.abc", "@dangling.mid", "@loop.mid", "@folder.mid")  # inputs.special
COMMANDS = {
    "analyze": ["analyze", "{file}"],
    "chords": ["chords", "{file}", "--out", "o"],
    "lyrics": ["lyrics", "{file}", "--drafter", "rules", "--theme", "home", "--out", "o"],
    "continue": ["melody", "--continue", "{file}", "--bars", "2", "--out", "o"],
}


def cases(*, only: str | None = None, limit: int | None = None, match: str | None = None,
          names: list[str] | None = None) -> list[dict]:
    """(input, command) pairs in a stable order; `limit` keeps every n-th input (a spread, not a prefix),
    `match` the inputs whose names match a regular expression."""
    names = (names or [name for name, _ in inputs()]) + list(SPECIALS)
    if match:
        names = [name for name in names if re.search(match, name)]
    if limit and limit < len(names):
        names = names[:: max(1, len(names) // limit)][:limit]
    return [{"input": name, "command": command} for name in names for command in COMMANDS
            if not only or command == only]


def _materialise(folder: Path, name: str, data: dict[str, bytes]) -> str:
    """Put one input into the case folder; the file name to pass."""
    if name.startswith("@"):
        made = special(folder)
        return name[1:] if name[1:] in made else "missing-special"
    (folder / name).write_bytes(data[name])
    return name


def _one(case: dict, *, source: Path, timeout: float, data: dict[str, bytes]) -> dict:
    outer = Path(tempfile.mkdtemp(prefix="fuzzf-"))
    work = outer / "case"
    work.mkdir()
    try:
        file = _materialise(work, case["input"], data)
        before = {p.name for p in outer.iterdir()}
        argv = [arg.replace("{file}", file) for arg in COMMANDS[case["command"]]]
        env = environment(home=work / "home", source=source)
        ran = run_retrying(["-m", "tunesmith.agent.cli", *argv], env=env, cwd=work, timeout=timeout)
        outside = sorted({p.name for p in outer.iterdir()} - before)
        return {**ran.as_dict(), "outside_writes": outside}
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def run_revision(rev: str, selected: list[dict], *, jobs: int, timeout: float, data: dict[str, bytes]) -> dict:
    results, seconds = over_revision(rev, selected, lambda c, source: _one(c, source=source, timeout=timeout, data=data),
                                     jobs=jobs)
    rows = [{**case, **result} for case, result in zip(selected, results)]
    by_command = {command: tally([r["kind"] for r in rows if r["command"] == command]) for command in COMMANDS}
    return {"rev": rev, "seconds": seconds, "classes": tally([r["kind"] for r in rows]),
            "by_command": by_command, "peak_rss_max": max((r["peak_rss"] for r in rows), default=0),
            "outside_writes": sum(bool(r["outside_writes"]) for r in rows),
            "printed_escapes": sum(r["escapes"] for r in rows),
            "slowest": sorted(({"input": r["input"], "command": r["command"], "seconds": r["seconds"],
                                "kind": r["kind"]} for r in rows), key=lambda r: -r["seconds"])[:15],
            "not_clean": [{k: r[k] for k in ("input", "command", "kind", "seconds", "last_line")} for r in rows
                          if r["kind"] not in ("clean error", "success")],
            "cases": rows}



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the baseline revision")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--only", choices=sorted(COMMANDS))
    parser.add_argument("--limit", type=int, help="at most this many inputs, spread over the list")
    parser.add_argument("--match", help="only inputs whose names match this regular expression")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    data = dict(inputs())  # generated once: both revisions read the same bytes
    selected = cases(only=args.only, limit=args.limit, match=args.match, names=list(data))
    report: dict = {"inputs": len({c["input"] for c in selected}), "runs": len(selected), "timeout_s": args.timeout,
                    "retry_timeout_s": 3 * args.timeout, "address_cap_bytes": 3 << 30, "memory_limit_bytes": 2 << 30}
    for label, rev in (("before", args.before), ("after", args.after)):
        if rev:
            report[label] = row = run_revision(resolve(rev), selected, jobs=args.jobs, timeout=args.timeout,
                                               data=data)
            print(label, row["rev"], row["classes"], f"outside writes {row['outside_writes']},",
                  f"peak RSS {row['peak_rss_max'] / 2**20:.0f} MiB, {row['seconds']}s", flush=True)
            for bad in row["not_clean"][:20]:
                print("  ", bad["kind"], bad["command"], bad["input"], bad["last_line"][:120])
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
