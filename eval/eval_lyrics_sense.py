"""Lyrics side by side: fit and sense of every drafter on the same melodies, themes and seeds.

    python -m tunesmith.eval.eval_lyrics_sense [--quick] [--drafters rules,lm,lm-fp32,lm-lora] [--out ...]

Melodies: 8-bar tunes the shipped music model writes for four styles (as `tunesmith melody
--style S --bars 8 --seed N`); each style has a theme (English and Mandarin), and every melody
gets an English and a Mandarin lyric from each drafter with the same seed.  Drafters: `rules`
(LexiconDrafter / PoetryDrafter), `lm` (the pretrained LM, int8, as the app builds it), `lm-fp32`,
`lm-lora` (with checkpoints/default/lm/lyrics when that adapter exists).  The old embedded lyrics
adapter (`old` in eval/results/lyrics_sense.json) was removed after that side-by-side run.
A ToolError is a failure, counted.

Fit is re-measured from the song: slot match, CMUdict primary stress on the strongest beat of
each polysyllable (en), rhyme scheme kept, tone agreement (zh).  Sense and theme relevance come
from judges no Gemma drafter writes with: SmolLM2-135M for English (`lm_judge`), a character
4-gram model of held-out fortunes-zh text for Mandarin (`zh_judge`).  Cross-judges sit beside
them as `sense_<judge>`: Gemma for both languages (self-judged for the Gemma drafters; for
English it is the independent judge of `lm-smollm2`, SmolLM2 driven through the same fitter).
A likelihood judge also rewards repeated and frequent words, so each report carries the sense
of its own lines shuffled and the share of distinct words or characters within a line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import lm_judge, zh_judge
from .eval_lyrics import pooled, stress_measures, words_on_notes

STYLES = (  # style, English theme, Mandarin theme
    ("irish-air", "leaving home", "离家"),
    ("german-folk", "my grandfather's farm", "祖父的农场"),
    ("chinese-han", "the moon over the river", "江上的月亮"),
    ("american-fife", "marching to war", "出征"),
)
# lm-smollm2: the other packaged base (SmolLM2-135M, English only) through the same fitter, so the
# two candidate bases are compared as drafters; it is the English judge too, so read its cross-judge
DRAFTERS = ("rules", "lm", "lm-fp32", "lm-lora", "lm-smollm2")
LANGS = {"lm-smollm2": ("en",)}  # SmolLM2 writes no Chinese
CHECKPOINT = Path("checkpoints/default")
CACHE = Path("~/.cache/tunesmith").expanduser()
PROBE = Path(__file__).parent / "data" / "zh_modern_lyric_probe.txt"
# per language: the primary judge first (independent of every drafter), then cross-judges whose
# figures come as sense_<name>: Gemma is the pretrained drafters' own base (self-judged)
JUDGES = {"en": ["smollm2-135m", "gemma3-270m"], "zh": [zh_judge.NAME, "gemma3-270m"]}
TARGETS = {"slot_match": 1.0, "primary_stress": 0.95, "tone_agreement": 0.85, "sense": 0.8}


@dataclass(frozen=True, slots=True)
class Case:
    style: str
    melody: Any
    seed: int


def melodies(runtime: Any, *, per_style: int, styles: tuple = STYLES, seed: int = 1) -> list[Case]:
    """`per_style` 8-bar melodies per style from the shipped music model (seeds seed, seed+1, ...)."""
    from ..tools.melody.compose import new_melody
    from ..tools.melody.request import build_request

    out = []
    for style, _, _ in styles:
        for k in range(per_style):
            request = build_request(style=style, bars=8, seed=seed + k, adapters=tuple(runtime.adapters))
            out.append(Case(style, new_melody(request, runtime=runtime).melody, seed + k))
    return out


def build_drafter(name: str, lang: str, *, lms: dict) -> Any:
    """The drafter `name` for `lang` (the LMs are loaded once and shared by both languages)."""
    if name == "rules":
        if lang == "en":
            from ..tools.lyrics.drafters import LexiconDrafter

            return LexiconDrafter()
        from ..tools.lyrics.drafter_zh import PoetryDrafter

        return PoetryDrafter()
    from ..tools.lyrics.pretrained import PretrainedDrafter

    return PretrainedDrafter(lms[name])


def load_lm(name: str) -> Any:
    from ..finetune.lm.base import converted_dir, get_base, load_lean
    from ..tools.lyrics.pretrained import LyricsLM

    if name == "lm-smollm2":
        from ..finetune.lm.base import load_base
        from ..finetune.lm.lean import LeanLM

        spec = get_base("smollm2-135m")
        model, tokenizer = load_base(spec, CACHE)
        return LyricsLM(LeanLM(model, tokenizer, threads=1), label=f"{spec.name} {name}")
    spec = get_base()
    adapter = CHECKPOINT / "lm" / "lyrics" if name == "lm-lora" else None
    lean = load_lean(spec, CACHE, adapter=adapter, int8=name != "lm-fp32", threads=1)
    return LyricsLM(lean, label=f"{spec.name} {name}", cache=converted_dir(spec, CACHE))


def available(names: list[str]) -> tuple[list[str], dict[str, str]]:
    skipped = {}
    if "lm-lora" in names and not (CHECKPOINT / "lm" / "lyrics" / "adapter_config.json").is_file():
        skipped["lm-lora"] = f"no adapter in {CHECKPOINT / 'lm' / 'lyrics'}"
    return [n for n in names if n not in skipped], skipped


def primary_stress(melody: Any) -> list[int]:
    """[polysyllables whose CMUdict primary stress is on the word's strongest beat, polysyllables]."""
    from ..tools.lyrics import en

    hits = total = 0
    for raw, strengths in words_on_notes(melody):
        word = "".join(c for c in raw if c.isalpha() or c == "'").strip("'").lower()
        patterns = [p for p in en.stress_patterns(word) if len(p) == len(strengths) and "1" in p]
        if len(strengths) < 2 or not patterns:
            continue
        total += 1
        hits += any(strengths[p.index("1")] >= max(strengths) - 1e-9 for p in patterns)
    return [hits, total]


def measure(result: Any, lang: str) -> dict[str, Any]:
    """Fit figures of one lyric, re-measured from its song (counts, so lyrics can be pooled)."""
    from ..tools.lyrics import en, zh

    row: dict[str, Any] = {"slots": [0, 0], "rhyme": [0, 0], "tones": [], "distinct": [0, 0]}
    notes = result.song.melody.notes
    heads: dict[str, str] = {}
    for phrase, line in zip(result.phrases, result.lines):
        sung = all(notes[s.notes[0]].lyric is not None for s in phrase.slots)
        held = all(notes[i].lyric is None for s in phrase.slots for i in s.notes[1:])
        row["slots"][0] += sung and held and len(line.syllables) == phrase.syllables
        row["slots"][1] += 1
        last = (en.words_of(line.text) or [""])[-1] if lang == "en" else line.text
        row["distinct"][0] += distinct(line.text, lang)[0]
        row["distinct"][1] += distinct(line.text, lang)[1]
        if line.group in heads:
            row["rhyme"][1] += 1
            row["rhyme"][0] += en.rhymes(last, heads[line.group]) if lang == "en" else zh.zh_rhymes(last, heads[line.group])
        elif line.group:
            heads[line.group] = last
        if lang == "zh":
            row["tones"].append(zh.tone_agreement(zh.tones(line.text), [s.pitch for s in phrase.slots]))
    if lang == "en":
        row["primary"] = primary_stress(result.song.melody)
        row["sba"] = stress_measures(result.song.melody)["sba"]
    return row


def distinct(line: str, lang: str) -> tuple[int, int]:
    """(distinct words or characters, all of them) in a line: a likelihood judge rewards
    repetition ("我靠我靠我靠"), so this shows when a high sense is only a loop.

    >>> distinct("I go, I go home", "en"), distinct("我靠我靠", "zh")
    ((3, 5), (2, 4))
    """
    units = lm_judge.clean(line, lang).lower().split() if lang == "en" else list(lm_judge.clean(line, lang))
    return len(set(units)), len(units)


def share(rows: list[dict], key: str) -> float | None:
    hits, total = sum(r[key][0] for r in rows), sum(r[key][1] for r in rows)
    return round(hits / total, 3) if total else None


def run_drafter(name: str, lang: str, cases: list[Case], *, lms: dict) -> dict[str, Any]:
    """Every case's lyric by one drafter: fit figures, texts, seconds, failures."""
    from ..tools.errors import ToolError
    from ..tools.lyrics.write import write_lyrics

    themes = {style: (en_theme if lang == "en" else zh_theme) for style, en_theme, zh_theme in STYLES}
    drafter = build_drafter(name, lang, lms=lms)
    rows, lyrics, failures, seconds = [], [], [], []
    for k, case in enumerate(cases):
        started = time.perf_counter()
        try:
            result = write_lyrics(case.melody, theme=themes[case.style], lang=lang, seed=100 + k, drafter=drafter)
        except ToolError as err:
            failures.append(f"{case.style} seed {case.seed}: {err}")
            continue
        seconds.append(time.perf_counter() - started)
        rows.append(measure(result, lang))
        lyrics.append({"style": case.style, "melody_seed": case.seed, "theme": themes[case.style],
                       "lines": [line.text for line in result.lines], "seconds": round(seconds[-1], 2)})
    out = {"drafter": name, "lang": lang, "lyrics": len(lyrics), "failed": len(failures), "failures": failures[:5],
           "slot_match": share(rows, "slots"), "rhyme_kept": share(rows, "rhyme"),
           "distinct_in_line": share(rows, "distinct"),
           "lines": sum(r["slots"][1] for r in rows),
           "seconds_per_lyric": round(statistics.fmean(seconds), 2) if seconds else None}
    if lang == "en":
        out |= {"primary_stress": share(rows, "primary"), "polysyllables": sum(r["primary"][1] for r in rows),
                "sba": pooled([{"sba": r["sba"], **{k: [0, 0] for k in ("function_downbeat", "content_downbeat",
                                                                     "melisma", "syllables_downbeat")}}
                               for r in rows])["sba"]}
    else:
        tones = [t for r in rows for t in r["tones"]]
        out["tone_agreement"] = round(statistics.fmean(tones), 3) if tones else None
    return out | {"texts": lyrics}


def judge_report(report: dict, lang: str, judge: Any, anchors: lm_judge.Anchors, *, themes: list[str],
                 key: str = "") -> None:
    """Add sense (pooled over lines and per lyric) and theme relevance to `report`, in place.
    `sense_own_shuffled` is the drafter's own lines with their words shuffled, on the same scale:
    a likelihood judge also rewards frequent and repeated words, so only the gap between the two
    says how much the word order reads as language (it is 1 for real lines by construction).
    Theme relevance compares each lyric's own theme with one other theme of the list (the next
    one), so chance is 0.5.  With `key`, only the pooled sense, as `sense{key}` (a second judge)."""
    texts = report["texts"]
    lines = [line for lyric in texts for line in lyric["lines"]]
    if not lines:
        return
    scores = lm_judge.line_scores(judge, lines, lang=lang)
    report[f"sense{key}"] = round(anchors.sense(statistics.fmean(scores)), 3)
    import random

    rng = random.Random(0)
    mixed = lm_judge.line_scores(judge, [lm_judge.shuffle_line(x, lang, rng) for x in lines], lang=lang)
    report[f"sense_own_shuffled{key}"] = round(anchors.sense(statistics.fmean(mixed)), 3)
    if key:
        return
    at = 0
    for lyric in texts:
        mine = scores[at:at + len(lyric["lines"])]
        at += len(mine)
        lyric["sense"] = round(anchors.sense(statistics.fmean(mine)), 2)
    if isinstance(judge, zh_judge.NgramJudge):  # no prompt to condition on: co-occurrence on its corpus
        theme_judge = zh_judge.load_theme_judge()
        shares = []
        for lyric in texts:
            rival = themes[(themes.index(lyric["theme"]) + 1) % len(themes)]
            lyric["on_theme"] = round(theme_judge.wins([lm_judge.clean(x, lang) for x in lyric["lines"]],
                                                       theme=lyric["theme"], rival=rival), 2)
            shares += [lyric["on_theme"]] * len(lyric["lines"])
        report["theme_relevance"] = round(statistics.fmean(shares), 3) if shares else None
        return
    wins = total = 0
    for lyric in texts:
        rival = themes[(themes.index(lyric["theme"]) + 1) % len(themes)]
        w, n, _ = lm_judge.theme_wins(judge, lyric["lines"], lang=lang, theme=lyric["theme"],
                                      themes=[lyric["theme"], rival])
        wins, total = wins + w, total + n
        lyric["on_theme"] = round(w / n, 2) if n else None
    report["theme_relevance"] = round(wins / total, 3) if total else None


def separation(judge: Any, lines: list[str], *, lang: str, seed: int = 0) -> dict[str, float]:
    """How well a judge tells real lines from their shuffles: the score gap (nats per token) and
    the share of lines it scores above their own shuffle."""
    import random

    rng = random.Random(seed)
    real = lm_judge.line_scores(judge, lines, lang=lang)
    mixed = lm_judge.line_scores(judge, [lm_judge.shuffle_line(x, lang, rng) for x in lines], lang=lang)
    return {"gap": round(statistics.fmean(real) - statistics.fmean(mixed), 3),
            "real_above_shuffled": round(sum(a > b for a, b in zip(real, mixed)) / len(real), 3)}


def examples_markdown(reports: list[dict], best: str, count: int = 20) -> str:
    """`count` complete lyrics of drafter `best`, taken in order (not picked by score), both
    languages, round-robin over the styles, with the judge's sense and the rules' lines beside."""
    by = {(r["drafter"], r["lang"]): r for r in reports}
    out = [f"# Lyrics examples: drafter `{best}`", "",
           "Written by `python -m tunesmith.eval.eval_lyrics_sense` on 8-bar melodies of the shipped music "
           "model; lyrics taken in order, not chosen by score. `sense` is the judge's fluency on the 0 "
           "(shuffled real lines) .. 1 (real lines) scale; `on theme` is the share of lines the judge ties to "
           "the lyric's own theme rather than another (chance 0.5).", ""]
    for lang in ("en", "zh"):
        report = by.get((best, lang))
        if report is None:
            continue
        texts = report["texts"]
        styles = list(dict.fromkeys(t["style"] for t in texts))
        ordered = [t for k in range(len(texts)) for s in styles
                   for t in [x for x in texts if x["style"] == s][k:k + 1]]
        rules = {(t["style"], t["melody_seed"]): t for t in by.get(("rules", lang), {}).get("texts", [])}
        out += [f"## {'English' if lang == 'en' else 'Mandarin'}", ""]
        for lyric in ordered[:count // 2]:
            out += [f"### {lyric['style']}, melody seed {lyric['melody_seed']}: \"{lyric['theme']}\"", "",
                    f"sense {lyric.get('sense')}, on theme {lyric.get('on_theme')}, {lyric['seconds']} s", ""]
            out += [f"    {line}" for line in lyric["lines"]] + [""]
            other = rules.get((lyric["style"], lyric["melody_seed"]))
            if other:
                out += [f"rules on the same melody (sense {other.get('sense')}): " + " / ".join(other["lines"]), ""]
    return "\n".join(out) + "\n"


def judge_all(reports: list[dict], *, styles: tuple, quick: bool) -> dict[str, Any]:
    """Sense and theme relevance of every report (in place), and what each judge is."""
    judges: dict[str, Any] = {}
    reference = {"en": lm_judge.english_song_lines(), "zh": lm_judge.chinese_reference_lines(40 if quick else 80)}
    judging: dict[str, Any] = {}
    for lang, judge_names in JUDGES.items():
        for k, judge_name in enumerate(judge_names):
            if judge_name not in judges:
                judges[judge_name] = load_judge(judge_name)
            judge = judges[judge_name]
            anchor = lm_judge.anchors(judge, reference[lang], lang=lang, shuffles=2 if quick else 3)
            judging[f"{lang}:{judge_name}"] = {"primary": k == 0, "independent": judge.independent,
                                               "real": round(anchor.real, 3), "shuffled": round(anchor.shuffled, 3),
                                               "reference_lines": anchor.lines,
                                               **separation(judge, reference[lang], lang=lang)}
            if lang == "zh":  # how much credit fluent modern lyric lines get from this judge
                probe = lm_judge.line_scores(judge, modern_probe(), lang=lang)
                judging[f"{lang}:{judge_name}"]["modern_lyric_probe_sense"] = round(
                    anchor.sense(statistics.fmean(probe)), 3)
            if k == 0:
                counts = [distinct(line, lang) for line in reference[lang]]
                judging[f"{lang}:{judge_name}"]["distinct_in_line_reference"] = round(
                    sum(c[0] for c in counts) / sum(c[1] for c in counts), 3)
            for report in reports:
                if report["lang"] == lang:
                    judge_report(report, lang, judge, anchor, key="" if k == 0 else f"_{judge_name}",
                                 themes=[(s[1] if lang == "en" else s[2]) for s in styles])
    return judging


def modern_probe(path: Path = PROBE) -> list[str]:
    """The hand-written modern Mandarin lyric lines of `eval/data` (comments skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#")]


def load_judge(name: str) -> Any:
    """A judge by name: the Mandarin n-gram model (`zh_judge`) or a base LM, fp32."""
    if name == zh_judge.NAME:
        return zh_judge.load_zh_judge()
    from ..finetune.lm.base import get_base, load_base

    model, tokenizer = load_base(get_base(name), CACHE)
    return lm_judge.Judge(model, tokenizer, name=name)


def judge_note(judging: dict) -> str:
    ngram, gemma = judging.get(f"zh:{zh_judge.NAME}", {}), judging.get("zh:gemma3-270m", {})
    return ("en: SmolLM2-135M-Instruct, independent of the Gemma drafters (the project never generates with it) "
            "but the lm-smollm2 drafter's own model: for that drafter read sense_gemma3-270m (cross-judging; for "
            "the Gemma drafters that column is self-judged). "
            f"zh: {zh_judge.NAME}, a character 4-gram Kneser-Ney model of fortunes-zh's `chinese` file and "
            "pypinyin's phrases, text no drafter generates from; the anchors (Tang/Song poem lines and modern "
            "writers' lines) are held out of its training. It separates real from shuffled lines by "
            f"{ngram.get('gap')} nats/char ({ngram.get('real_above_shuffled')} of lines above their shuffle; Gemma: "
            f"{gemma.get('gap')}, {gemma.get('real_above_shuffled')}). Its bias: trained on mostly classical and "
            "formal text, it gives modern colloquial lyric lines less than their due (16 hand-written modern lyric "
            f"lines, eval/data/zh_modern_lyric_probe.txt, score {ngram.get('modern_lyric_probe_sense')}). zh theme_relevance is its co-occurrence (PMI) tie of each line to its own theme "
            "against another (chance 0.5). sense_gemma3-270m for zh is Gemma judging its own drafts (self-judged, "
            "inflated). Compare sense with sense_own_shuffled and distinct_in_line before reading a high sense "
            "as fluency.")


def rejudge(path: Path, examples: Path | None) -> int:
    """Judge the lyrics of an earlier run's JSON again (no drafting), rewriting it in place."""
    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    result = json.loads(path.read_text(encoding="utf-8"))
    styles = tuple((s["style"], s["theme_en"], s["theme_zh"]) for s in result["styles"])
    result["judges"] = judge_all(result["reports"], styles=styles, quick=result["quick"])
    result["seconds"]["rejudged"] = round(time.perf_counter() - started, 1)
    result["loadavg_rejudge"] = [round(x, 2) for x in os.getloadavg()]
    _finish(result, path, examples or (None if result["quick"] else path.with_name("lyrics_examples.md")))
    return 0


def _finish(result: dict, out: Path, examples: Path | None) -> None:
    reports = result["reports"]
    pretrained = [n for n in result["drafters"] if n.startswith("lm") and n not in LANGS]  # Gemma drafters
    best = max(pretrained, key=lambda n: statistics.fmean(
        r.get("sense", -9) for r in reports if r["drafter"] == n)) if pretrained else None
    result["best_pretrained"] = best
    result["judge_note"] = judge_note(result["judges"])
    result["table"] = [{k: v for k, v in r.items() if k not in ("texts", "failures")} for r in reports]
    print(table(result["table"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shown = "lm" if "lm" in pretrained else best  # the examples are what a person gets: the shipped drafter
    if examples and shown:
        examples.write_text(examples_markdown(reports, shown), encoding="utf-8")
    print(f"wrote {out}" + (f" and {examples}" if examples and shown else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.eval.eval_lyrics_sense",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~2-minute smoke run (1 melody per style, 2 styles)")
    parser.add_argument("--drafters", default=",".join(DRAFTERS))
    parser.add_argument("--per-style", type=int, default=3, help="melodies per style")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("eval/results/lyrics_sense.json"))
    parser.add_argument("--examples", type=Path, default=None,
                        help="markdown examples (default: lyrics_examples.md beside --out; none with --quick)")
    parser.add_argument("--rejudge", type=Path, help="judge the lyrics of this earlier JSON again (no drafting)")
    args = parser.parse_args(argv)
    if args.rejudge:
        return rejudge(args.rejudge, args.examples)
    import torch

    torch.set_num_threads(1)
    from ..finetune.runtime import load_runtime

    started = time.perf_counter()
    wanted = [d.strip() for d in args.drafters.split(",") if d.strip()]
    unknown = sorted(set(wanted) - set(DRAFTERS))
    if unknown:
        parser.error(f"unknown drafters {unknown}; known: {', '.join(DRAFTERS)}")
    names, skipped = available(wanted)
    styles = STYLES[:2] if args.quick else STYLES
    per_style = 1 if args.quick else args.per_style
    runtime = load_runtime(CHECKPOINT)
    cases = [c for c in melodies(runtime, per_style=per_style, styles=styles, seed=args.seed)]
    melody_seconds = time.perf_counter() - started
    lms = {n: load_lm(n) for n in names if n.startswith("lm")}
    reports = []
    for name in names:
        for lang in LANGS.get(name, ("en", "zh")):
            reports.append(run_drafter(name, lang, cases, lms=lms))
            r = reports[-1]
            print(f"{name:8s} {lang} lyrics {r['lyrics']} failed {r['failed']} {r['seconds_per_lyric']} s/lyric",
                  flush=True)
    lms.clear()
    draft_seconds = time.perf_counter() - started - melody_seconds
    judging = judge_all(reports, styles=styles, quick=args.quick)
    judge_seconds = time.perf_counter() - started - melody_seconds - draft_seconds
    result = {
        "what": __doc__.split("\n")[0], "quick": args.quick, "melodies": len(cases),
        "styles": [{"style": s, "theme_en": e, "theme_zh": z} for s, e, z in styles],
        "melody_seeds": sorted({c.seed for c in cases}), "lyric_seeds": "100 + melody index",
        "drafters": names, "skipped": skipped, "targets": TARGETS,
        "judges": judging,
        "threads": torch.get_num_threads(), "loadavg": [round(x, 2) for x in os.getloadavg()],
        "seconds": {"melodies": round(melody_seconds, 1), "drafting": round(draft_seconds, 1),
                    "judging": round(judge_seconds, 1), "total": round(time.perf_counter() - started, 1)},
        "reports": reports,
    }
    _finish(result, args.out, args.examples or (None if args.quick else args.out.with_name("lyrics_examples.md")))
    return 0


def table(rows: list[dict]) -> str:
    cols = ("drafter", "lang", "lyrics", "failed", "slot_match", "primary_stress", "rhyme_kept", "tone_agreement",
            "distinct_in_line", "sense", "sense_own_shuffled", "sense_gemma3-270m", "theme_relevance",
            "seconds_per_lyric")
    lines = [" | ".join(c.replace("_gemma3-270m", "(gemma)").replace("_in_line", "").replace("_own_shuffled", "(own shuf)")
                        for c in cols)]
    for row in rows:
        lines.append(" | ".join("-" if row.get(c) is None else str(row[c]) for c in cols))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
