"""Speed of the pretrained LM: HF `generate` against the lean decoder, lyric times, RSS, cold CLI.

    python -m tunesmith.eval.bench_lm [--threads 2] [--repeats 3] [--out eval/results/bench_lm.json]

One run, warm, repeats interleaved (so a background load hits every variant alike):
tokens/s of HF `model.generate` (sampling, the lyric prompt, 32 new tokens, batch 1) and of
`LeanLM.sample` (prefill included: its prompt cache is cleared before each call) over the full
vocabulary and over the English lexicon's rows, fp32 and int8; the warm time of an English and a
Mandarin lyric for an 8-bar melody with the pretrained drafter; peak RSS of a fresh process that
loads the app's LM (int8) and writes both lyrics (VmHWM); cold `tunesmith lyrics SONG.mid` wall time
(twice: the first may build caches) against cold `tunesmith lyrics ... --drafter rules`, with
each command's peak RSS.
The machine's load average is recorded: other work on the same cores slows every figure.  The
cold times include any cache the command has to rebuild (the lexicon pickles are keyed by the
source of tools/lyrics, so an edit there makes the next command rebuild them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("~/.cache/tunesmith").expanduser()
NEW_TOKENS = 32
THEMES = {"en": "leaving home", "zh": "离家"}

CHILD = """
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
from pathlib import Path
from tunesmith.eval.bench_lm import app_lm, lyric_melody, peak_rss_mb, write_one
started = time.perf_counter()
lm = app_lm()
loaded = time.perf_counter() - started
after_load = peak_rss_mb()
melody = lyric_melody()
lines, after = {}, {}
for lang in ("en", "zh"):  # this process also holds the melody model, which `tunesmith lyrics` does not
    lines[lang] = len(write_one(lm, melody, lang).lines)
    after[lang] = round(peak_rss_mb())
print(json.dumps({"load_s": round(loaded, 2), "lines": lines, "peak_rss_after_load_mb": round(after_load),
                  "peak_rss_after_en_mb": after["en"], "peak_rss_mb": round(peak_rss_mb())}))
"""


# `tunesmith ARGS` in a fresh interpreter that prints its own peak RSS (kB) as its last line
CLI = ("import atexit, sys; from tunesmith.eval.bench_lm import peak_rss_mb; "
       "atexit.register(lambda: print('VmHWM', round(peak_rss_mb() * 1024))); "
       "sys.argv = ['tunesmith', *sys.argv[1:]]; from tunesmith.agent.cli import main; main()")


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM, not getrusage, whose ru_maxrss in an exec'd child
    starts at the parent's size (Linux carries the high-water mark across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def app_lm(*, int8: bool = True) -> Any:
    """The pretrained LM as the app builds it (tools/actions/models.py `lyrics_lm`)."""
    from ..finetune.lm.base import converted_dir, get_base, load_lean
    from ..tools.lyrics.pretrained import LyricsLM

    spec = get_base()
    return LyricsLM(load_lean(spec, CACHE, int8=int8), label=f"{spec.name} (base)", cache=converted_dir(spec, CACHE))


def lyric_melody(style: str = "irish-air", seed: int = 1) -> Any:
    """The 8-bar melody `tunesmith melody --style irish-air --bars 8 --seed 1` writes."""
    from ..finetune.runtime import load_runtime
    from ..tools.melody.compose import new_melody
    from ..tools.melody.request import build_request

    runtime = load_runtime(ROOT / "checkpoints" / "default")
    request = build_request(style=style, bars=8, seed=seed, adapters=tuple(runtime.adapters))
    return new_melody(request, runtime=runtime).melody


def write_one(lm: Any, melody: Any, lang: str, seed: int = 1) -> Any:
    from ..tools.lyrics.pretrained import PretrainedDrafter
    from ..tools.lyrics.write import write_lyrics

    return write_lyrics(melody, theme=THEMES[lang], lang=lang, seed=seed, drafter=PretrainedDrafter(lm))


def _hf_generate(model: Any, tokenizer: Any, prompt: str, seed: int) -> float:
    import torch

    ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer.encode(prompt, add_special_tokens=False)]])
    torch.manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=0.8, top_k=40,
                             max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, pad_token_id=tokenizer.eos_token_id)
    return (out.shape[1] - ids.shape[1]) / (time.perf_counter() - started)


def _lean_sample(lean: Any, prompt: str, rows: frozenset[int], seed: int) -> float:
    lean._prefixes.clear()  # prefill counted, as in HF generate
    ids = lean.encode(prompt)
    started = time.perf_counter()
    drafts = lean.sample(ids, allowed=lambda k, toks: rows, rows=rows, end=-1, count=1, max_new=NEW_TOKENS,
                         seed=seed, temperature=0.8, top_k=40)
    return len(drafts[0].tokens) / (time.perf_counter() - started)


def token_rates(*, repeats: int) -> tuple[dict[str, Any], Any]:
    """tokens/s per variant (median of interleaved repeats after one warm-up each), and the int8 LM."""
    from ..finetune.lm.base import get_base, load_base
    from ..tools.lyrics.pretrained import lyric_prompt

    prompt = lyric_prompt(lang="en", theme="leaving home", verse=())
    model, tokenizer = load_base(get_base(), CACHE)
    lms = {"fp32": app_lm(int8=False), "int8": app_lm(int8=True)}
    full = frozenset(range(lms["int8"].lean.weight.shape[0]))
    lexicon = frozenset(lms["int8"].lexicon("en").rows)
    runs = {"hf_generate_fp32": lambda s: _hf_generate(model, tokenizer, prompt, s)}
    for kind, lm in lms.items():
        runs[f"lean_{kind}_full_vocab"] = lambda s, lm=lm: _lean_sample(lm.lean, prompt, full, s)
        runs[f"lean_{kind}_en_lexicon"] = lambda s, lm=lm: _lean_sample(lm.lean, prompt, lexicon, s)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for name, run in runs.items():
        run(0)  # warm-up: heads built, caches touched
    for repeat in range(repeats):
        for name, run in runs.items():
            rates[name].append(run(repeat + 1))
    hf = statistics.median(rates["hf_generate_fp32"])
    table = {name: {"tokens_per_s": round(statistics.median(r), 2), "runs": [round(x, 2) for x in r],
                    "x_hf_generate": round(statistics.median(r) / hf, 2)} for name, r in rates.items()}
    return {"new_tokens": NEW_TOKENS, "lexicon_rows_en": len(lexicon), "vocab": len(full), "variants": table,
            "rss_mb_bench_process": round(peak_rss_mb())}, lms["int8"]


def lyric_times(lm: Any, *, repeats: int) -> dict[str, Any]:
    """Warm seconds of one lyric per language (the first call, which builds the lexicon, not counted)."""
    melody = lyric_melody()
    out = {}
    for lang in ("en", "zh"):
        first = write_one(lm, melody, lang, seed=0)
        seconds, lines = [], len(first.lines)
        for k in range(repeats):
            started = time.perf_counter()
            result = write_one(lm, melody, lang, seed=k + 1)
            seconds.append(time.perf_counter() - started)
            lines = len(result.lines)
        median = statistics.median(seconds)
        out[lang] = {"median_s": round(median, 2), "runs": [round(s, 2) for s in seconds], "lines": lines,
                     # the 8 lines at this melody's per-line rate (lines are its phrases: 5 here)
                     "eight_lines_est_s": round(8 * median / lines, 2) if lines else None,
                     "example": result.text().split("\n")}
    return out


def _child(command: list[str], env: dict | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of a fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    out, err = proc.communicate(timeout=900)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {err.strip()[-400:]}")
    return seconds, out


def cold(*, threads: int) -> dict[str, Any]:
    """Cold `tunesmith lyrics` wall times and peak RSS (LM twice, rules twice, interleaved), and the
    peaks of a process that writes an English and then a Mandarin lyric."""
    folder = Path(tempfile.mkdtemp(prefix="tunesmith-bench-lm-"))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    tunesmith = [sys.executable, "-c", CLI]
    _child([*tunesmith, "melody", "--style", "irish-air", "--bars", "8", "--seed", "1", "--out", str(folder)], env)
    song = next(folder.glob("*.mid"))
    lyrics = [*tunesmith, "lyrics", str(song), "--theme", "leaving home", "--seed", "1", "--out", str(folder)]
    out: dict[str, Any] = {"song": song.name}
    for name, command in (("rules", [*lyrics, "--drafter", "rules"]), ("lm_first", lyrics),
                          ("rules_again", [*lyrics, "--drafter", "rules"]), ("lm_second", lyrics)):
        seconds, text = _child(command, env)
        out[f"{name}_s"] = round(seconds, 2)
        out[f"{name}_peak_rss_mb"] = round(int(text.strip().splitlines()[-1].split()[1]) / 1024)
    _, text = _child([sys.executable, "-c", CHILD, str(threads)], env)
    out["app_lm_process"] = json.loads(text.strip().splitlines()[-1])
    shutil.rmtree(folder, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.eval.bench_lm", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_lm.json")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    rates, lm = token_rates(repeats=args.repeats)
    lyrics = lyric_times(lm, repeats=args.repeats)
    del lm
    report: dict[str, Any] = {"what": __doc__.split("\n")[0], "threads": args.threads, "repeats": args.repeats,
                              "loadavg_start": load_before, "generation": rates, "lyric_8_bars_warm": lyrics}
    if not args.skip_cold:
        report["cold_cli"] = cold(threads=args.threads)
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["targets"] = {"x_hf_generate": 3.0, "lyric_s": 3.0, "cold_lyrics_s": 10.0, "rss_mb": 1536}
    print(table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def table(report: dict) -> str:
    rows = [f"{'variant':28s} {'tok/s':>8s} {'x HF':>6s}"]
    for name, row in report["generation"]["variants"].items():
        rows.append(f"{name:28s} {row['tokens_per_s']:8.2f} {row['x_hf_generate']:6.2f}")
    for lang, row in report["lyric_8_bars_warm"].items():
        rows.append(f"lyric {lang} ({row['lines']} lines, warm)      {row['median_s']:8.2f} s"
                    f"  (8 lines at that rate: {row.get('eight_lines_est_s')} s)")
    cli = report.get("cold_cli")
    if cli:
        rows.append(f"cold tunesmith lyrics: LM {cli['lm_first_s']} s then {cli['lm_second_s']} s; "
                    f"rules {cli['rules_s']} s / {cli['rules_again_s']} s")
        rows.append(f"cold tunesmith lyrics peak RSS: LM {cli.get('lm_first_peak_rss_mb')} / "
                    f"{cli.get('lm_second_peak_rss_mb')} MB; rules {cli.get('rules_peak_rss_mb')} MB")
        rows.append(f"app LM process: peak RSS {cli['app_lm_process']['peak_rss_after_load_mb']} MB after load, "
                    f"{cli['app_lm_process'].get('peak_rss_after_en_mb')} MB after an English lyric, "
                    f"{cli['app_lm_process']['peak_rss_mb']} MB after a Mandarin one too, "
                    f"load {cli['app_lm_process']['load_s']} s")
    rows.append(f"load average {report['loadavg_start']} -> {report['loadavg_end']}")
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
