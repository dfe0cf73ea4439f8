"""Scripted conversations: does each turn do the right thing to the song, and do the replies agree with it.

    nice python -m tunesmith.eval.eval_chat --model SPEC [--only ID,ID] [--out eval/results/chat.json]
    python -m tunesmith.eval.eval_chat --model SPEC --work DIR --rescore   (score DIR's batch output again)

eval/ may not import agent/: the conversations (eval/data/chat_conversations.jsonl: {"id", "lang",
"melody" (optional, a file under eval/data/), "turns": [{"user", "expect"}]}) become one batch file
and `tunesmith batch` runs it, each conversation one session.  Every result carries, per user
turn, the reply, the tool calls and the song after the turn (tools.facts.song_digest); each
turn's "expect" is checked against that song and the song before the turn, and the turn is right
when every check holds.  Every reply is also read for claims that contradict the song
(tools.facts.contradictions, with the turn's tool results).

Expectations (the keys of a turn's "expect"; each one check, all optional):
  tool: NAME | [NAME, ...]   a call to NAME (or one of them) succeeded in the turn
  has: [PART]                the song has these: melody, chords, lyrics
  key: "G major" | "G"       the song's key (its mode only when one is given)
  mode: "minor"              the song's mode
  meter: "3/4"               the song's meter
  tempo: 140                 the song's tempo in quarter notes a minute
  bars: 16                   the song's bars, a pickup bar counted (as the tools count them)
  chords: {"3": "F"}         bar 3 starts with F ("F G": bar 3's chords are exactly these)
  chords_changed: "5-8"      some chord of these bars changed
  lyric_line_changed: 2      lyric line 2 changed
  rhymes: [2, 4]             the last words (Chinese: characters) of lines 2 and 4 rhyme
  same_as: N                 the song is as it was after user turn N (0: before the first turn)
  unchanged: [PART]          as before the turn: song (all of it), melody, rhythm, chords,
                             other_chords (the bars chords / chords_changed do not name), lyrics,
                             other_lyrics (the lines but lyric_line_changed's), key, tempo, meter, bars
  changed: [PART]            the same parts, different from before the turn
  reply_lang: "zh" | "en"    the language the reply is written in
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..tokenization.errors import MusicValueError
from ..tokenization.pitch import name_pitch_class
from ..tools.facts import chord_form, contradictions, song_digest
from . import eval_routing as er

ROOT = er.ROOT
CONVERSATIONS = ROOT / "eval" / "data" / "chat_conversations.jsonl"
PARTS = ("song", "melody", "rhythm", "chords", "other_chords", "lyrics", "other_lyrics", "key", "tempo", "meter",
         "bars")
HAS = ("melody", "chords", "lyrics")
KINDS = ("tool", "has", "key", "mode", "meter", "tempo", "bars", "chords", "chords_changed", "lyric_line_changed",
         "rhymes", "same_as", "unchanged", "changed", "reply_lang")


# ---------------------------------------------------------------- the conversations

def load_conversations(path: Path = CONVERSATIONS, *, only: list[str] | None = None) -> list[dict[str, Any]]:
    """The conversations of a file (those named by `only`, when given), each checked for shape."""
    if not Path(path).is_file():
        raise SystemExit(f"no conversations at {path}")
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = check_conversations(rows, base=Path(path).parent)
    if problems:
        raise SystemExit(f"{path}: " + "; ".join(problems[:5]))
    if only:
        missing = sorted(set(only) - {r["id"] for r in rows})
        if missing:
            raise SystemExit(f"no conversation {', '.join(missing)} in {path}")
        rows = [r for r in rows if r["id"] in only]
    return rows


def check_conversations(rows: list[dict[str, Any]], *, base: Path) -> list[str]:
    """What is wrong with the conversations' shape: ids, languages, melody files, expectation keys and values."""
    problems, seen = [], set()
    for row in rows:
        cid = row.get("id")
        if not isinstance(cid, str) or cid in seen:
            problems.append(f"missing or repeated id {cid!r}")
        seen.add(cid)
        if row.get("lang") not in ("en", "zh"):
            problems.append(f"{cid}: lang must be en or zh")
        if row.get("melody") and not (base / row["melody"]).is_file():
            problems.append(f"{cid}: no melody file {row['melody']}")
        turns = row.get("turns") or []
        if not turns:
            problems.append(f"{cid}: no turns")
        for number, turn in enumerate(turns, 1):
            if not str(turn.get("user") or "").strip():
                problems.append(f"{cid} turn {number}: no user text")
            problems += [f"{cid} turn {number}: {p}" for p in _check_expect(turn.get("expect"), number)]
    return problems


def _check_expect(expect: Any, number: int) -> list[str]:
    if not isinstance(expect, dict) or not expect:
        return ["expect must be a non-empty object"]
    out = [f"unknown expectation {k!r}" for k in expect if k not in KINDS]
    for name in ("unchanged", "changed"):
        out += [f"{name}: unknown part {p!r}" for p in expect.get(name, []) if p not in PARTS]
    out += [f"has: unknown part {p!r}" for p in expect.get("has", []) if p not in HAS]
    if "same_as" in expect and not (isinstance(expect["same_as"], int) and 0 <= expect["same_as"] < number):
        out.append("same_as must name an earlier turn (0 = the start)")
    if "reply_lang" in expect and expect["reply_lang"] not in ("en", "zh"):
        out.append("reply_lang must be en or zh")
    for bar, want in (expect.get("chords") or {}).items():
        if not str(bar).isdigit() or not want or any(chord_form(s) is None for s in str(want).split()):
            out.append(f"chords: bad bar or chord {bar!r}: {want!r}")
    for name in ("tempo", "bars", "lyric_line_changed"):
        if name in expect and not isinstance(expect[name], int):
            out.append(f"{name} must be a number")
    if "rhymes" in expect and not (isinstance(expect["rhymes"], list) and len(expect["rhymes"]) == 2):
        out.append("rhymes must be two line numbers")
    return out


def write_batch(conversations: list[dict[str, Any]], folder: Path, *, base: Path = CONVERSATIONS.parent) -> Path:
    """conversations.jsonl for `tunesmith batch`: one item per conversation, its user turns as messages."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "conversations.jsonl"
    lines = []
    for conv in conversations:
        item = {"id": conv["id"], "messages": [{"role": "user", "content": t["user"]} for t in conv["turns"]]}
        if conv.get("melody"):
            item["melody"] = str((base / conv["melody"]).resolve())
        lines.append(json.dumps(item, ensure_ascii=False) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def start_digest(conv: dict[str, Any], *, base: Path = CONVERSATIONS.parent) -> dict[str, Any]:
    """The song before the first turn: the conversation's melody file as the batch loads it, or nothing."""
    from ..tools.actions.state import SongState, with_song

    if not conv.get("melody"):
        return song_digest(SongState())
    from ..tokenization.files import read_song

    return song_digest(with_song(SongState(), read_song(base / conv["melody"])))


# ---------------------------------------------------------------- scoring one turn (pure)

def reply_lang(text: str) -> str:
    """zh when Chinese characters outweigh Latin letters (one character for two letters), else en.

    >>> reply_lang("好的，第3小节改成了F。"), reply_lang("Bar 3 is now F."), reply_lang("")
    ('zh', 'en', 'en')
    """
    han = len(re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]", text or ""))
    latin = len(re.findall(r"[A-Za-z]", text or ""))
    return "zh" if han and 2 * han >= latin else "en"


def _words(lines: list[str]) -> list[str]:
    han = "\u3400-\u4dbf\u4e00-\u9fff"
    return [w for line in lines for w in re.findall(f"[{han}]|[^\\s{han}]+", line)]


def _span(text: Any) -> list[str]:
    numbers = [int(n) for n in re.findall(r"\d+", str(text))]
    return [str(b) for b in range(numbers[0], numbers[-1] + 1)] if numbers else []


def _named_bars(expect: dict[str, Any]) -> set[str]:
    return {str(b) for b in (expect.get("chords") or {})} | set(_span(expect.get("chords_changed", "")))


def part(name: str, digest: dict[str, Any], expect: dict[str, Any]) -> Any:
    """One comparable part of a digest (see the module docstring)."""
    if name == "song":
        return digest
    if name == "other_chords":
        named = _named_bars(expect)
        return {b: c for b, c in (digest.get("chords") or {}).items() if b not in named}
    if name == "lyrics":
        return _words(digest.get("lyrics") or [])
    if name == "other_lyrics":
        skip = expect.get("lyric_line_changed")
        return [line for i, line in enumerate(digest.get("lyrics") or [], 1) if i != skip]
    return digest.get(name)


def _key_ok(want: str, got: str | None) -> bool:
    if not got:
        return False
    tonic, mode = er.split_key(want)
    real_tonic, real_mode = er.split_key(got)
    try:
        same = name_pitch_class(tonic) == name_pitch_class(real_tonic)
    except (KeyError, IndexError, MusicValueError):
        same = tonic == real_tonic
    return same and (mode is None or mode == real_mode)


def _rhyme(lines: list[str], a: int, b: int) -> bool:
    from ..tools.lyrics import en, zh

    if not (1 <= a <= len(lines) and 1 <= b <= len(lines)):
        return False
    ends = []
    for line in (lines[a - 1], lines[b - 1]):
        han = zh.han_chars(line)
        words = re.findall(r"[A-Za-z']+", line)
        ends.append(("zh", han[-1]) if han else ("en", words[-1] if words else ""))
    (la, wa), (lb, wb) = ends
    if la != lb or not wa or not wb:
        return False
    return zh.zh_rhymes(wa, wb) if la == "zh" else en.rhymes(wa, wb)


def check_turn(expect: dict[str, Any], *, before: dict[str, Any], after: dict[str, Any], reply: str,
               calls: list[dict[str, Any]], history: list[dict[str, Any]]) -> dict[str, str | None]:
    """{expectation kind: None when it holds, else why not}; `history` holds the song after each
    earlier turn, [0] the start."""
    out: dict[str, str | None] = {}
    chords_after = after.get("chords") or {}
    for kind, want in expect.items():
        why = None
        if kind == "tool":
            names = [want] if isinstance(want, str) else list(want)
            if not any(c.get("name") in names and c.get("ok") for c in calls):
                why = f"no successful call to {' or '.join(names)} (calls: {[c.get('name') for c in calls] or 'none'})"
        elif kind == "has":
            present = {"melody": bool(after.get("notes")), "chords": bool(chords_after),
                       "lyrics": bool(after.get("lyrics"))}
            lacking = [p for p in want if not present[p]]
            why = f"the song has no {', '.join(lacking)}" if lacking else None
        elif kind == "key":
            why = None if _key_ok(want, after.get("key")) else f"key is {after.get('key')}, not {want}"
        elif kind in ("mode", "meter", "tempo", "bars"):
            got = after.get(kind)
            norm = (lambda v: str(v).replace(" ", "").lower()) if kind in ("mode", "meter") else (lambda v: v)
            why = None if got is not None and norm(got) == norm(want) else f"{kind} is {got}, not {want}"
        elif kind == "chords":
            wrong = []
            for bar, symbols in want.items():
                got, wanted = chords_after.get(str(bar)) or [], str(symbols).split()
                forms = [chord_form(s) for s in got]
                fine = (bool(got) and forms[0] == chord_form(wanted[0])) if len(wanted) == 1 else (
                    forms == [chord_form(s) for s in wanted])
                if not fine:
                    wrong.append(f"bar {bar} has {' '.join(got) or 'no chord'}, not {symbols}")
            why = "; ".join(wrong) or None
        elif kind == "chords_changed":
            old = before.get("chords") or {}
            if not any(old.get(b) != chords_after.get(b) for b in _span(want)):
                why = f"no chord of bars {want} changed"
        elif kind == "lyric_line_changed":
            old, new = before.get("lyrics") or [], after.get("lyrics") or []
            if not (len(new) >= want and (len(old) < want or old[want - 1] != new[want - 1])):
                why = f"lyric line {want} did not change ({len(new)} lines)"
        elif kind == "rhymes":
            lines = after.get("lyrics") or []
            if not _rhyme(lines, *want):
                why = f"lines {want[0]} and {want[1]} do not rhyme: {[lines[i - 1] for i in want if i <= len(lines)]}"
        elif kind == "same_as":
            why = None if after == history[want] else f"the song is not as it was after turn {want}"
        elif kind in ("unchanged", "changed"):
            moved = [p for p in want if (part(p, before, expect) != part(p, after, expect)) == (kind == "unchanged")]
            why = f"{kind} expected, but not for: {', '.join(moved)}" if moved else None
        elif kind == "reply_lang":
            got = reply_lang(reply)
            why = None if got == want else f"the reply is in {got}, not {want}"
        out[kind] = why
    return out


def score_conversation(conv: dict[str, Any], result: dict[str, Any] | None, *, start: dict[str, Any]
                       ) -> list[dict[str, Any]]:
    """One row per user turn: its checks, whether it is right, the reply's contradictions, its seconds."""
    result = result or {"error": "no result line", "turns": [], "tool_calls": [], "turn_seconds": []}
    done, seconds = result.get("turns") or [], result.get("turn_seconds") or []
    history, rows = [start], []
    for number, turn in enumerate(conv["turns"], 1):
        expect = turn["expect"]
        row = {"id": conv["id"], "lang": conv["lang"], "turn": number, "user": turn["user"], "expect": expect}
        if number > len(done):
            error = result.get("error") or "the conversation ended early"
            rows.append(dict(row, right=False, checks={k: f"no result for this turn ({error})" for k in expect},
                             reply=None, tool_calls=[], contradictions=[], seconds=None, error=error))
            continue
        got = done[number - 1]
        after = got["state"]
        results = [c for c in result.get("tool_calls") or [] if c.get("turn") == got.get("turn")]
        checks = check_turn(expect, before=history[-1], after=after, reply=got.get("reply") or "",
                            calls=got.get("tool_calls") or [], history=history)
        history.append(after)
        rows.append(dict(row, right=all(v is None for v in checks.values()), checks=checks, reply=got.get("reply"),
                         tool_calls=got.get("tool_calls") or [],
                         contradictions=contradictions(got.get("reply") or "", after, results=results),
                         seconds=seconds[number - 1] if number - 1 < len(seconds) else None, error=None))
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of right turns (overall, per language, per expectation kind), of contradicting replies, times, failures."""
    def rate(subset: list[dict[str, Any]]) -> dict[str, Any]:
        right = sum(r["right"] for r in subset)
        return {"n": len(subset), "right": right, "rate": round(right / len(subset), 4) if subset else None}

    kinds: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        for kind, why in row["checks"].items():
            kinds[kind].append(why is None)
    replied = [r for r in rows if r["reply"] is not None]
    bad = [r for r in replied if r["contradictions"]]
    return {"overall": rate(rows), "by_lang": {lang: rate([r for r in rows if r["lang"] == lang])
                                               for lang in sorted({r["lang"] for r in rows})},
            "by_kind": {k: {"n": len(v), "right": sum(v), "rate": round(sum(v) / len(v), 4)}
                        for k, v in sorted(kinds.items())},
            "contradictions": {"replies": len(replied), "contradicting": len(bad),
                               "rate": round(len(bad) / len(replied), 4) if replied else None,
                               "by_lang": {lang: sum(r["lang"] == lang for r in bad)
                                           for lang in sorted({r["lang"] for r in rows})}},
            "turn_s": er.percentiles([r["seconds"] for r in rows if r["seconds"] is not None]),
            "failures": [{k: r[k] for k in ("id", "lang", "turn", "user", "expect", "reply", "tool_calls", "error")}
                         | {"failed": {k: v for k, v in r["checks"].items() if v}} for r in rows if not r["right"]],
            "contradicting_replies": [{k: r[k] for k in ("id", "turn", "user", "reply", "contradictions")}
                                      for r in bad]}


# ---------------------------------------------------------------- running

def evaluate(*, model: str, work: Path, path: Path = CONVERSATIONS, only: list[str] | None = None, jobs: int = 1,
             timeout: float = 7200, rescore: bool = False) -> dict[str, Any]:
    """Run the conversations through `tunesmith batch` and score every turn (`rescore`: score the
    batch output already in `work` again, e.g. after a fix of the checks, without running it)."""
    conversations = load_conversations(path, only=only)
    base = Path(path).parent
    out = work / "out"
    if rescore:
        run = {"results": er.read_results(out), "wall_s": None}
    else:
        batch = write_batch(conversations, work / "input", base=base)
        shutil.rmtree(out, ignore_errors=True)  # `tunesmith batch` resumes: old results would skip conversations
        run = er.run_cli(batch, out, model=model, jobs=jobs, timeout=timeout)
    rows = [row for conv in conversations
            for row in score_conversation(conv, run["results"].get(conv["id"]), start=start_digest(conv, base=base))]
    return {"generated": time.strftime("%Y-%m-%d %H:%M"), "model": model, "conversations": len(conversations),
            "wall_s": run["wall_s"], **summarise(rows), "rows": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="chat model spec, as tunesmith batch --model takes")
    parser.add_argument("--only", help="comma-separated conversation ids")
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "chat.json")
    parser.add_argument("--work", type=Path, help="folder for the batch input and output (default: a temp dir)")
    parser.add_argument("--rescore", action="store_true", help="score the batch output in --work again, without running")
    args = parser.parse_args(argv)
    if args.rescore and not (args.work and (args.work / "out" / "results.jsonl").is_file()):
        parser.error("--rescore needs --work DIR holding out/results.jsonl of an earlier run")
    work = args.work or Path(tempfile.mkdtemp(prefix="tunesmith-chat-"))
    only = [i.strip() for i in args.only.split(",") if i.strip()] if args.only else None
    report = evaluate(model=args.model, work=work, path=args.conversations, only=only, jobs=args.jobs,
                      rescore=args.rescore)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    line = lambda name, r: f"{name:20s} {r['right']}/{r['n']} turns right ({r['rate']:.1%})"  # noqa: E731
    print(line("overall", report["overall"]))
    for name, rates in report["by_lang"].items():
        print(line(name, rates))
    for name, rates in report["by_kind"].items():
        print(line(f"  {name}", rates))
    bad, times = report["contradictions"], report["turn_s"]
    print(f"replies contradicting the song: {bad['contradicting']}/{bad['replies']}; turn p50 {times['p50']}s "
          f"p90 {times['p90']}s")
    for failure in report["failures"]:
        print(f"  {failure['id']} turn {failure['turn']}: {failure['user'][:60]!r}: "
              + "; ".join(f"{k}: {v}" for k, v in failure["failed"].items()))
    print(f"report in {args.out}; batch files in {work}")


if __name__ == "__main__":
    main()
