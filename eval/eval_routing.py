"""Routing of a chat model: does a message reach the right tool with the right arguments, and how fast.

    nice python -m tunesmith.eval.eval_routing --model embedded --sets dev,heldout --jobs 2

eval/ may not import agent/, so this drives the real command line: it writes one batch file
(every prompt gets the same small melody, so tools that need a song have one), runs
`tunesmith batch FILE --out DIR --model SPEC --jobs N` and reads results.jsonl.  The first
tool call of a prompt decides its task (the tool contract's, prompts/tools.toml);
no tool call means "chat"; an expectation that names a "tool" needs that tool too (the edit
and question tasks have several).  Arguments are right when every expected one matches after
normalisation (key "D minor" == key "D" + mode "minor", case, ints); extra ones are allowed
but counted.  Timing: per-turn seconds from the results (p50/p90, all turns and turns with
exactly one tool call) and batch wall time as prompts per minute for each --jobs value.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..tokenization.contract import contract
from ..tokenization.errors import MusicValueError
from ..tokenization.music import parse_key

ROOT = Path(__file__).resolve().parents[1]
SET_FILES = {"dev": ROOT.parent / "shared" / "dev-prompts.jsonl",
             "heldout": ROOT / "eval" / "data" / "heldout-prompts.jsonl",
             "heldout-b": ROOT / "eval" / "data" / "heldout-b-prompts.jsonl",
             "heldout-c": ROOT / "eval" / "data" / "heldout-c-prompts.jsonl",
             "heldout-d": ROOT / "eval" / "data" / "heldout-d-prompts.jsonl",
             "heldout-e": ROOT / "eval" / "data" / "heldout-e-prompts.jsonl",
             "heldout-f": ROOT / "eval" / "data" / "heldout-f-prompts.jsonl",
             "heldout-g": ROOT / "eval" / "data" / "heldout-g-prompts.jsonl"}
TOOL_TASKS = contract().tasks()
# The contract's defaults: an omitted argument whose default is the expected value is right.
DEFAULTS = {name: tool.defaults() for name, tool in contract().tools.items() if tool.defaults()}
INT_ARGS = tuple(dict.fromkeys(a.name for tool in contract().tools.values() for a in tool.args if a.is_int))
FORMAT_ALIASES = {"xml": "musicxml", "mxl": "musicxml", "music xml": "musicxml", "mid": "midi", "audio": "wav"}
_EDGE = " \t\n.,!?;:'\"。，！？；：、“”‘’「」()（）"


# ---------------------------------------------------------------- scoring (pure functions)

def split_key(text: str) -> tuple[str, str | None]:
    """(tonic, mode or None when the text names no mode); unparsable text comes back folded.

    >>> split_key("d minor"), split_key("Bb"), split_key("F#m"), split_key("H-ish")
    (('D', 'minor'), ('Bb', None), ('F#', 'minor'), ('h-ish', None))
    """
    try:
        plain, as_minor = parse_key(str(text).strip()), parse_key(str(text).strip(), mode="minor")
    except MusicValueError:
        return str(text).strip().casefold(), None
    return plain.tonic, (plain.mode if plain.mode == as_minor.mode else None)


def normalise_args(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments in one comparable form: key split into tonic + mode, ints as ints, strings folded.

    >>> normalise_args({"key": "D minor", "Tempo": "96", "format": "XML", "keep": "bars 1 to 4"})
    {'key': 'D', 'mode': 'minor', 'tempo': 96, 'format': 'musicxml', 'keep': '1-4'}
    """
    out: dict[str, Any] = {}
    for name, value in args.items():
        name = str(name).casefold()
        if value is None:
            continue
        if name == "key":
            out["key"], mode = split_key(value)
            if mode and "mode" not in args:
                out["mode"] = mode
            continue
        if name in INT_ARGS:
            try:
                out[name] = int(float(str(value)))
                continue
            except ValueError:
                pass
        text = str(value).strip().strip(_EDGE).casefold()
        if name == "meter":
            text = text.replace(" ", "")
        elif name == "format":
            text = FORMAT_ALIASES.get(text, text)
        elif name == "keep":
            numbers = re.findall(r"\d+", text)
            text = f"{numbers[0]}-{numbers[-1]}" if numbers else text
        out[name] = " ".join(text.split())
    return out


def arg_matches(name: str, expected: Any, got: Any) -> bool:
    """One normalised argument; a more specific style counts ('chinese-han-erge' is a 'chinese-han')."""
    if name == "style" and isinstance(got, str) and isinstance(expected, str):
        return got == expected or got.startswith(expected + "-")
    return got == expected


def first_call(result: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The first tool call of a batch result line (name, args), or (None, {}) when there was none."""
    calls = result.get("tool_calls") or []
    return (calls[0].get("name"), dict(calls[0].get("args") or {})) if calls else (None, {})


def task_of(tool: str | None) -> str:
    return "chat" if tool is None else TOOL_TASKS.get(tool, f"unknown:{tool}")


def score(prompt: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any]:
    """One scored row: the expected and chosen task, wrong / missing / extra arguments, the turn time."""
    result = result or {"ok": False, "error": "no result line", "tool_calls": []}
    tool, raw = first_call(result)
    want, got = normalise_args(prompt["expect"].get("args", {})), normalise_args(raw)
    by_default = sorted(n for n, v in DEFAULTS.get(tool or "", {}).items() if n not in got and want.get(n) == v)
    got = {**{n: want[n] for n in by_default}, **got}
    task = task_of(tool)
    task_ok = task == prompt["expect"]["task"]
    expect_tool = prompt["expect"].get("tool")
    tool_ok = None if expect_tool is None else tool == expect_tool
    wrong = sorted(n for n in want if n in got and not arg_matches(n, want[n], got[n]))
    missing = sorted(n for n in want if n not in got)
    turns, calls = result.get("turn_seconds") or [], result.get("tool_calls") or []
    failed = bool(calls) and calls[0].get("ok") is False
    return {"id": prompt["id"], "set": prompt["set"], "lang": prompt["lang"], "prompt": prompt["prompt"],
            "expect_task": prompt["expect"]["task"], "task": task, "tool": tool, "args": raw,
            "expect_args": prompt["expect"].get("args", {}), "task_ok": task_ok, "expect_tool": expect_tool,
            "tool_ok": tool_ok, "args_ok": task_ok and tool_ok is not False and not wrong and not missing,
            "wrong": wrong, "missing": missing,
            "extra": sorted(n for n in got if n not in want), "by_default": by_default, "tool_calls": len(calls),
            "tool_error": str(calls[0].get("content", ""))[:200] if failed else None,
            "seconds": turns[0] if turns else None, "error": result.get("error")}


def _rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    task, args = sum(r["task_ok"] for r in rows), sum(r["args_ok"] for r in rows)
    return {"n": n, "right_task": task, "right_args": args, "task_rate": round(task / n, 4) if n else None,
            "args_rate": round(args / n, 4) if n else None,
            "with_extra_args": sum(bool(r["extra"]) for r in rows), "errors": sum(bool(r["error"]) for r in rows),
            "tool_failed": sum(bool(r["tool_error"]) for r in rows)}


def confusion(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """{expected task: {chosen task: count}}."""
    table: dict[str, Counter] = {}
    for row in rows:
        table.setdefault(row["expect_task"], Counter())[row["task"]] += 1
    return {want: dict(sorted(got.items())) for want, got in sorted(table.items())}


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 / p90 / max of turn seconds (nearest-rank p90 would jump on small sets; this interpolates)."""
    if not values:
        return {"n": 0, "p50": None, "p90": None, "max": None}
    if len(values) == 1:
        return {"n": 1, "p50": values[0], "p90": values[0], "max": values[0]}
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return {"n": len(values), "p50": round(statistics.median(values), 3), "p90": round(cuts[8], 3),
            "max": round(max(values), 3)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates overall, per set, per language, per set and language, per expected task; confusion; failures."""
    def group(key) -> dict[str, Any]:
        keys = sorted({key(r) for r in rows})
        return {k: _rates([r for r in rows if key(r) == k]) for k in keys}

    extra = Counter(name for r in rows for name in r["extra"])
    named = [r for r in rows if r.get("expect_tool")]
    tools = {"n": len(named), "right_tool": sum(r["tool_ok"] for r in named),
             "by_tool": {t: {"n": sum(r["expect_tool"] == t for r in named),
                             "right_tool": sum(r["tool_ok"] for r in named if r["expect_tool"] == t)}
                         for t in sorted({r["expect_tool"] for r in named})}}
    failures = [{k: r[k] for k in ("id", "lang", "prompt", "expect_task", "task", "expect_tool", "tool", "expect_args",
                                   "args", "wrong", "missing", "error")} for r in rows if not r["args_ok"]]
    return {"overall": _rates(rows), "by_set": group(lambda r: r["set"]), "by_lang": group(lambda r: r["lang"]),
            "by_set_lang": group(lambda r: f"{r['set']}/{r['lang']}"), "by_task": group(lambda r: r["expect_task"]),
            "confusion": confusion(rows), "confusion_by_set": {s: confusion([r for r in rows if r["set"] == s])
                                                               for s in sorted({r["set"] for r in rows})},
            "named_tools": tools, "extra_args": dict(extra.most_common()), "failures": failures,
            "tool_failures": [{k: r[k] for k in ("id", "tool", "args", "tool_error")} for r in rows if r["tool_error"]]}


# ---------------------------------------------------------------- running the CLI

def load_prompts(name_or_path: str) -> list[dict[str, Any]]:
    """A prompt set by name (dev, heldout) or path; each prompt gets its set name."""
    path = SET_FILES.get(name_or_path, Path(name_or_path))
    name = name_or_path if name_or_path in SET_FILES else path.stem
    if not path.is_file():
        raise SystemExit(f"no prompt set {name_or_path!r} (looked for {path})")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [dict(row, set=name) for row in rows]


def write_melody(folder: Path) -> Path:
    """One small 8-bar D-major melody (MIDI) that every prompt starts with."""
    from ..tokenization.files import write_song
    from ..tokenization.music import KeySpec, Melody, Meter, Note, Song

    pitches = [62, 64, 66, 67, 69, 67, 66, 64, 62, 66, 69, 74, 73, 71, 69, 67,
               66, 67, 69, 71, 69, 67, 66, 64, 62, 64, 66, 64, 62, 61, 62, 62]
    notes = tuple(Note(p, float(i), 1.0) for i, p in enumerate(pitches))
    song = Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("D"), tempo=100, bars=8), title="Tune")
    return write_song(song, folder, stem="tune")["midi"]


def write_batch(prompts: list[dict[str, Any]], folder: Path) -> Path:
    """prompts.jsonl for `tunesmith batch` (id, prompt, melody) next to the melody file."""
    folder.mkdir(parents=True, exist_ok=True)
    melody = write_melody(folder)
    path = folder / "prompts.jsonl"
    path.write_text("".join(json.dumps({"id": p["id"], "prompt": p["prompt"], "melody": melody.name},
                                       ensure_ascii=False) + "\n" for p in prompts), encoding="utf-8")
    return path


def tunesmith_command() -> list[str]:
    exe = shutil.which("tunesmith") or str(Path(sys.executable).with_name("tunesmith"))
    return [exe] if Path(exe).is_file() else [sys.executable, "-m", "tunesmith.agent.cli"]


def run_cli(batch: Path, out: Path, *, model: str, jobs: int, timeout: float) -> dict[str, Any]:
    """Run one batch; its result lines by id, wall seconds and the batch's own seconds (from its summary)."""
    command = [*tunesmith_command(), "batch", str(batch), "--out", str(out), "--model", model, "--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise SystemExit(f"tunesmith batch --model {model} failed (exit {done.returncode}): {last}")
    own = re.search(r"; ([0-9.]+)s; results in", done.stderr)
    return {"results": read_results(out), "wall_s": round(wall, 2),
            "batch_s": float(own.group(1)) if own else None, "exit_code": done.returncode}


def read_results(out: Path) -> dict[str, dict[str, Any]]:
    """A batch output folder's result lines by prompt id (its results.jsonl)."""
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return {r["id"]: r for r in lines if r.get("id") is not None}


def timing(rows: list[dict[str, Any]], run: dict[str, Any], *, jobs: int) -> dict[str, Any]:
    """Turn-time percentiles and throughput of one batch run."""
    n = len(rows)
    seconds = [r["seconds"] for r in rows if r["seconds"] is not None]
    one_call = [r["seconds"] for r in rows if r["seconds"] is not None and r["tool_calls"] == 1]
    per_min = lambda s: round(n * 60 / s, 2) if s else None  # noqa: E731
    return {"jobs": jobs, "prompts": n, "wall_s": run["wall_s"], "batch_s": run["batch_s"],
            "prompts_per_min_wall": per_min(run["wall_s"]), "prompts_per_min_batch": per_min(run["batch_s"]),
            "turn_s": percentiles(seconds), "turn_s_one_tool_call": percentiles(one_call),
            "right_task": sum(r["task_ok"] for r in rows)}


def evaluate(sets: list[str], *, model: str, jobs: list[int], work: Path, timeout: float = 7200) -> dict[str, Any]:
    """Score the first run's routing; every --jobs value gets its own run for timing."""
    prompts = [p for name in sets for p in load_prompts(name)]
    batch = write_batch(prompts, work / "input")
    runs, scored = [], None
    for n in jobs:
        out = work / f"out-jobs{n}"
        shutil.rmtree(out, ignore_errors=True)  # `tunesmith batch` resumes: old results would skip prompts
        run = run_cli(batch, out, model=model, jobs=n, timeout=timeout)
        rows = [score(p, run["results"].get(p["id"])) for p in prompts]
        scored = scored or rows
        runs.append(timing(rows, run, jobs=n))
    return {"generated": time.strftime("%Y-%m-%d %H:%M"), "model": model, "sets": sets,
            "targets": {"task_rate": 0.95, "args_rate": 0.90, "turn_p50_one_tool_call_s": 1.5},
            "timing": runs, **summarise(scored), "rows": scored}


def _line(name: str, rates: dict[str, Any]) -> str:
    return (f"{name:18s} n={rates['n']:3d}  right tool {rates['task_rate']:.1%}  right args {rates['args_rate']:.1%}"
            f"  extra args {rates['with_extra_args']}  errors {rates['errors']}  tool failed {rates['tool_failed']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded", help="chat model spec, as tunesmith batch --model takes")
    parser.add_argument("--sets", default="dev,heldout", help="comma-separated: dev, heldout or JSONL paths")
    parser.add_argument("--jobs", default="2", help="comma-separated --jobs values, one timed batch run each")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "routing.json")
    parser.add_argument("--work", type=Path, help="folder for the batch input and outputs (default: a temp dir)")
    args = parser.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",") if j.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="tunesmith-routing-"))
    report = evaluate([s.strip() for s in args.sets.split(",") if s.strip()], model=args.model, jobs=jobs, work=work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(_line("overall", report["overall"]))
    if report["named_tools"]["n"]:
        print(f"named tool right: {report['named_tools']['right_tool']}/{report['named_tools']['n']}")
    for group in ("by_set", "by_lang", "by_set_lang", "by_task"):
        for name, rates in report[group].items():
            print(_line(name, rates))
    for run in report["timing"]:
        one = run["turn_s_one_tool_call"]
        print(f"--jobs {run['jobs']}: {run['prompts_per_min_wall']} prompts/min (wall {run['wall_s']}s), turn p50 "
              f"{run['turn_s']['p50']}s p90 {run['turn_s']['p90']}s; one tool call p50 {one['p50']}s (n={one['n']})")
    print(f"{len(report['failures'])} failures listed in {args.out}; batch files in {work}")


if __name__ == "__main__":
    main()
