"""Bad-argument fuzz of the command line: >= 300 combinations over every user command, each in its own
process with a timeout and an address-space cap, classified clean error / success / traceback / hang /
memory / crash, for two revisions in the same run (before and after the edge checks).

    python -m tunesmith.eval.fuzz.args --before 8a4d599 --after HEAD --jobs 2 --out eval/results/fuzz_args.json
    python -m tunesmith.eval.fuzz.args --after HEAD --only chords     # a quick look at one command

Each revision is extracted with git archive (uncommitted edits in the work tree do not leak in) and
run with PYTHONPATH; chat, run and batch get the scripted chat model (tests/fake_cli.py).  A case
still running at --timeout is run again at 3x the timeout before it counts as a hang.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from .runner import environment, over_revision, resolve, run_retrying, tally

LAUNCHER = Path(__file__).resolve().parents[2] / "tests" / "fake_cli.py"  # tests/: it imports the agent
REEL = "X:1\nT:Test reel\nM:4/4\nL:1/8\nK:G\n|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|\n"
ESCAPE_TITLE = "X:1\nT:\x1b]0;pwned\x07Evil \x1b[2J\x1b[31mreel\nM:4/4\nL:1/8\nK:G\nGABc dBdB|c2ec BdBG|\n"

SEEDS = ["-1", "0", "4294967295", "4294967296", "100000000000000000000", "-99999999999", "x", "1.5"]
KS = ["0", "1", "20", "21", "-3", "1000000", "100000000000000000000", "abc"]
TEMPOS = ["0", "19", "20", "400", "401", "-5", "1000000000", "nan"]
BARS = ["0", "1", "64", "65", "-1", "1000000000"]
KEYS = ["DM", "H", "C##", "", " ", "Xyz", "D major", "F#m", "Bb", "d", "E#", "\x1b[31mD", "C" * 500, "降B"]
MODES = ["minor", "major", "dorian", "locrian", "", "MINOR"]
METERS = ["6/8", "1000/1", "7/5", "0/4", "4/0", "", "99/99", "C|"]
RANGES = ["C4-A5", "A5-C4", "C-1-G9", "soprano", "x", ""]
TEXTS = ["", " ", "a" * 10000, "\x1b]0;pwned\x07title", "日本語のテーマ", "../../etc/passwd", "%s%n{0}", "\u202eevil"]
OUTS = ["~", "/", "/dev/null", "/proc/self", "o/../x", "", "reel.abc", "~/sub"]
TEMPERATURES = ["0", "-1", "nan", "inf", "1e308", "0.9", "2.5"]
FILES = ["missing.mid", ".", "/dev/null", "empty.mid", "title.abc"]
MODELS = ["x", "ollama:", "openai:x@ftp://h", "hf:", "embedded", "embedded" * 40, "ollama:a@http://h:1"]


def cases() -> list[dict]:
    """Every case: a name, the argv after the launcher and the stdin it gets."""
    found: list[dict] = []

    def add(*argv: str, stdin: str = "") -> None:
        found.append({"argv": list(argv), "stdin": stdin})

    mel = ("melody", "--bars", "2", "--out", "o")
    for option, values in (("--seed", SEEDS), ("--tempo", TEMPOS), ("--bars", BARS), ("--key", KEYS),
                           ("--meter", METERS), ("--range", RANGES), ("--style", TEXTS + ["jig", "nope"]),
                           ("--temperature", TEMPERATURES), ("--keep", ["1-2", "x", "99-1"]),
                           ("--mode", MODES)):
        for value in values:
            add(*mel, option, value)
    for tempo in ("0", "120", "100000"):
        for seed in ("-1", "7", "4294967296"):
            add(*mel, "--tempo", tempo, "--seed", seed)
    for key in ("D major", "D", "Dm", "D dorian", "DM"):
        for mode in MODES:
            add(*mel, "--key", key, "--mode", mode)
    for out in OUTS:
        add("melody", "--bars", "1", "--out", out)
    for file in FILES + ["reel.abc"]:
        add(*mel, "--continue", file)
        add(*mel, "--vary", file)
    add(*mel, "--continue", "reel.abc", "--vary", "reel.abc")
    add(*mel, "--continue", "reel.abc", "--keep", "1-2")
    add(*mel, "--continue", "reel.abc", "--bars", "33")
    chd = ("chords", "reel.abc", "--out", "o")
    for option, values in (("--k", KS), ("--seed", SEEDS), ("--per", ["bar", "beat", "x", ""]),
                           ("--style", TEXTS[:4] + ["folk", "pop", "nope"]), ("--key", KEYS)):
        for value in values:
            add(*chd, option, value)
    for file in FILES:
        add("chords", file, "--out", "o")
    for out in OUTS[:6]:
        add("chords", "reel.abc", "--out", out)
    lyr = ("lyrics", "reel.abc", "--drafter", "rules", "--out", "o")
    for option, values in (("--theme", TEXTS), ("--lang", ["en", "zh", "fr", ""]),
                           ("--rhyme", ["AABB", "", "Z" * 1000, "1234"]),
                           ("--melisma", ["auto", "none", "0", "4,9", "x", "99999999999999"]), ("--seed", SEEDS[:5]),
                           ("--drafter", ["x", ""])):
        for value in values:
            add(*lyr, option, value)
    for theme in TEXTS:
        add(*lyr, "--lang", "zh", "--theme", theme)
    for file in FILES:
        add("analyze", file)
    for voice in ("soprano", "x", "", "\x1b[2J"):
        add("analyze", "reel.abc", "--voice", voice)
    add("analyze", "reel.abc", "--json")
    for pair in ("seed=-1", "seed=4294967296", "bars=0", "bars=1000000", "tempo=0", "key=DM", "key=", "x=1", "bars",
                 "bars=1.5", "theme=" + "t" * 5000):
        add("tool", "generate_melody", "bars=2", pair, "--out", "o")
    for pair in ("k=1000000", "k=0", "seed=-1", "per=x"):
        add("tool", "recommend_chords", pair, "--file", "reel.abc", "--out", "o")
    for pair in ("tempo=0", "tempo=401", "key=DM", "mode=locrian", "meter=1000/1", "style=nope"):
        add("tool", "set_style", pair)
    for pair in ("k=5", "k=6", "bars=0", "seed=4294967296"):
        add("tool", "recommend_chords", pair, "key=D", "--out", "o")
    add("tool", "nope")
    add("tool", "--list")
    for prompt in TEXTS:
        add("run", prompt, "--out", "o")
    for model in MODELS:
        add("run", "a jig", "--model", model, "--out", "o")
    for file in FILES:
        add("run", "a jig", "--melody", file, "--json", "--out", "o")
    for out in OUTS[:4]:
        add("run", "a jig", "--out", out)
    add("chat", "--session", "nope", stdin="/quit\n")
    add("chat", "--session", "nope", "-c", stdin="/quit\n")
    add("chat", "-c", stdin="/quit\n")
    add("chat", "--style", "\x1b[2Jjig", stdin="/quit\n")
    add("chat", "--melody", "missing.mid", stdin="/quit\n")
    add("chat", "--out", "o", stdin="/save {OUTSIDE}\n/save ../up.json\n/save ok.json\n/quit\n")
    add("chat", "--out", "o", stdin="/style tempo=0\n/style key=DM\n/load /dev/null\n/undo\n/undo\n/quit\n")
    for jobs in ("0", "-1", "17", "100000000000000000000"):
        add("batch", "batch.jsonl", "--out", "bo", "--jobs", jobs)
    for out in ("~", "/"):
        add("batch", "batch.jsonl", "--out", out)
    add("batch", "missing.jsonl", "--out", "bo")
    add("batch", ".", "--out", "bo")
    add("batch", "collide.jsonl", "--out", "co")
    for argv in (["--version"], ["--help"], [], ["nope"], ["melody", "--help"], ["chords", "--help"]):
        add(*argv)
    return found


def _workspace(root: Path) -> None:
    """The files the cases name, in a fresh folder per case."""
    (root / "reel.abc").write_text(REEL)
    (root / "title.abc").write_text(ESCAPE_TITLE)
    (root / "empty.mid").write_bytes(b"")
    (root / "batch.jsonl").write_text('{"id": "a1", "prompt": "a jig"}\n')
    (root / "collide.jsonl").write_text('{"id": "a b", "prompt": "x"}\n{"id": "a-b-7dbde9", "prompt": "y"}\n'
                                        '{"id": "results.jsonl", "prompt": "z"}\n')


def _one(case: dict, *, source: Path, timeout: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        _workspace(work)
        env = environment(home=work / "home", source=source)
        argv = [str(LAUNCHER), *case["argv"]]
        outside = work.with_name(work.name + "-outside.json")  # a path outside the case's folder
        stdin = case["stdin"].replace("{OUTSIDE}", str(outside))
        ran = run_retrying(argv, env=env, cwd=work, timeout=timeout, stdin=stdin)
        return {**ran.as_dict(), "outside_writes": [str(outside)] if outside.exists() else []}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        work.with_name(work.name + "-outside.json").unlink(missing_ok=True)


def run_revision(rev: str, selected: list[dict], *, jobs: int, timeout: float) -> dict:
    results, seconds = over_revision(rev, selected, lambda case, source: _one(case, source=source, timeout=timeout),
                                     jobs=jobs)
    rows = [{"argv": case["argv"], "stdin": case["stdin"], **result} for case, result in zip(selected, results)]
    return {"rev": rev, "seconds": seconds, "classes": tally([r["kind"] for r in rows]),
            "peak_rss_max": max((r["peak_rss"] for r in rows), default=0),
            "outside_writes": sum(bool(r["outside_writes"]) for r in rows),
            "printed_escapes": sum(r["escapes"] for r in rows),
            "json_with_extra_output": sum(r["stdout_json"] is False for r in rows), "cases": rows}



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the baseline revision (e.g. the commit before the edge checks)")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--only", help="only cases of this command")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    selected = [c for c in cases() if not args.only or (c["argv"][:1] == [args.only])]
    report: dict = {"cases": len(selected), "timeout_s": args.timeout, "address_cap_bytes": 3 << 30,
                    "memory_limit_bytes": 2 << 30}
    for label, rev in (("before", args.before), ("after", args.after)):
        if rev:
            report[label] = run_revision(resolve(rev), selected, jobs=args.jobs, timeout=args.timeout)
            row = report[label]
            print(label, row["rev"], row["classes"], f"escapes printed {row['printed_escapes']},",
                  f"outside writes {row['outside_writes']}, peak RSS {row['peak_rss_max'] / 2**20:.0f} MiB,",
                  f"{row['seconds']}s", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
