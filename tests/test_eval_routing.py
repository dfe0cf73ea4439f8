"""Routing evaluation: normalisation and scoring on hand-made result lines, the prompt sets' shape,
and one end-to-end run of the real `tunesmith batch` against a scripted OpenAI-compatible server."""

from __future__ import annotations

import doctest
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tunesmith.eval import eval_routing as er
from tunesmith.tokenization.music import MODES
from tunesmith.tokenization.styles import STYLE_NAMES


def prompt(pid: str, task: str, args: dict, *, lang: str = "en", text: str = "x", set_name: str = "t") -> dict:
    return {"id": pid, "lang": lang, "prompt": text, "expect": {"task": task, "args": args}, "set": set_name}


def line(*calls, error=None, seconds=1.25) -> dict:
    return {"id": "x", "ok": error is None, "error": error, "turn_seconds": [seconds],
            "tool_calls": [{"name": n, "args": a, "ok": True, "turn": 1, "content": ""} for n, a in calls]}


def test_doctests() -> None:
    assert doctest.testmod(er).failed == 0


def test_tool_tasks_are_the_contracts_and_the_agents() -> None:
    from tunesmith.agent.toolkit import TOOL_TASKS, TOOLS
    from tunesmith.tokenization.contract import contract

    assert er.TOOL_TASKS == contract().tasks() == TOOL_TASKS and list(er.TOOL_TASKS) == list(TOOLS)


def test_defaults_and_int_args_agree_with_the_argument_models() -> None:
    """An omitted argument counts as its default only where the argument model really fills it in."""
    from tunesmith.agent.toolkit import TOOLS

    for tool, (_, schema) in TOOLS.items():
        filled = {n: f.default for n, f in schema.model_fields.items()
                  if not f.is_required() and f.default is not None}
        assert er.DEFAULTS.get(tool, {}) == filled, tool
    ints = {n for _, schema in TOOLS.values() for n, f in schema.model_fields.items()
            if "integer" in json.dumps(schema.model_json_schema()["properties"][n])}
    assert set(er.INT_ARGS) == ints
    assert er.DEFAULTS["generate_melody"] == {"bars": 8} and er.DEFAULTS["recommend_chords"] == {"k": 3, "seed": 0}


def test_an_omitted_argument_with_the_expected_default_is_right() -> None:
    row = er.score(prompt("p", "melody", {"bars": 8}), line(("continue_melody", {})))
    assert row["args_ok"] and row["by_default"] == ["bars"] and row["extra"] == []
    assert not er.score(prompt("p", "melody", {"bars": 4}), line(("continue_melody", {})))["args_ok"]
    assert not er.score(prompt("p", "melody", {"bars": 8}), line(("regenerate_bars", {"keep": "1-2"})))["args_ok"]


@pytest.mark.parametrize("expected, got", [
    ({"key": "D", "mode": "minor"}, {"key": "D minor"}),
    ({"key": "D", "mode": "minor"}, {"key": "d", "mode": "Minor"}),
    ({"key": "F#", "mode": "minor"}, {"key": "F#m"}),
    ({"key": "Bb"}, {"key": "B-", "mode": "major"}),
    ({"key": "A minor"}, {"key": "A", "mode": "minor"}),
    ({"bars": 8, "tempo": 120}, {"bars": "8", "tempo": 120.0}),
    ({"meter": "6/8"}, {"meter": " 6 / 8"}),
    ({"keep": "1-4"}, {"keep": "1 - 4"}),
    ({"format": "musicxml"}, {"format": "MusicXML"}),
    ({"theme": "the sea"}, {"theme": "The sea."}),
    ({"theme": "思乡"}, {"theme": "思乡。"}),
    ({"style": "chinese-han"}, {"style": "chinese-han-xiaodiao"}),
    ({"mood": "sad"}, {"mood": "Sad", "tempo": 60}),
])
def test_matching_arguments(expected: dict, got: dict) -> None:
    row = er.score(prompt("p", "melody", expected), line(("generate_melody", got)))
    assert row["task_ok"] and row["args_ok"], row


@pytest.mark.parametrize("expected, got, wrong, missing", [
    ({"key": "D", "mode": "minor"}, {"key": "D"}, [], ["mode"]),
    ({"key": "D", "mode": "minor"}, {"key": "D major"}, ["mode"], []),
    ({"style": "chinese-han-erge"}, {"style": "chinese-han"}, ["style"], []),
    ({"bars": 16}, {"bars": 8}, ["bars"], []),
    ({"theme": "the sea"}, {"theme": "sea"}, ["theme"], []),
    ({"keep": "1-4"}, {}, [], ["keep"]),
])
def test_wrong_or_missing_arguments(expected: dict, got: dict, wrong: list, missing: list) -> None:
    row = er.score(prompt("p", "melody", expected), line(("generate_melody", got)))
    assert row["task_ok"] and not row["args_ok"]
    assert (row["wrong"], row["missing"]) == (wrong, missing)


def test_first_call_decides_and_extras_are_counted() -> None:
    row = er.score(prompt("p", "chords", {"per": "bar"}),
                   line(("recommend_chords", {"per": "bar", "k": 3, "seed": 0}), ("check_theory", {})))
    assert row["task"] == "chords" and row["args_ok"] and row["extra"] == ["k", "seed"] and row["tool_calls"] == 2
    late = er.score(prompt("p", "chords", {}), line(("analyze_melody", {}), ("recommend_chords", {})))
    assert late["task"] == "analyze" and not late["task_ok"] and not late["args_ok"]


def test_chat_and_unknown_tools_and_missing_results() -> None:
    assert er.score(prompt("p", "chat", {}), line())["args_ok"]
    assert er.score(prompt("p", "chat", {}), line(("set_style", {"mood": "happy"})))["task"] == "style"
    assert er.score(prompt("p", "style", {}), line(("make_coffee", {})))["task"] == "unknown:make_coffee"
    gone = er.score(prompt("p", "melody", {}), None)
    assert gone["task"] == "chat" and not gone["task_ok"] and gone["error"] == "no result line"
    assert gone["seconds"] is None


def test_summary_groups_confusion_and_failures() -> None:
    rows = [er.score(prompt("a", "melody", {"bars": 8}), line(("generate_melody", {"bars": 8}))),
            er.score(prompt("b", "melody", {"bars": 8}, lang="zh"), line(("continue_melody", {"bars": 4}))),
            er.score(prompt("c", "chords", {}, lang="zh", set_name="u"), line(("check_theory", {}))),
            er.score(prompt("d", "chat", {}, set_name="u"), line(seconds=0.5))]
    report = er.summarise(rows)
    assert report["overall"] == {"n": 4, "right_task": 3, "right_args": 2, "task_rate": 0.75, "args_rate": 0.5,
                                 "with_extra_args": 0, "errors": 0, "tool_failed": 0}
    assert report["by_lang"]["zh"]["right_task"] == 1 and report["by_set"]["u"]["n"] == 2
    assert report["by_set_lang"]["t/zh"]["args_rate"] == 0.0
    assert report["confusion"] == {"chat": {"chat": 1}, "chords": {"check": 1}, "melody": {"melody": 2}}
    assert [f["id"] for f in report["failures"]] == ["b", "c"] and report["failures"][0]["wrong"] == ["bars"]


def test_percentiles() -> None:
    assert er.percentiles([]) == {"n": 0, "p50": None, "p90": None, "max": None}
    stats = er.percentiles([float(s) for s in range(1, 11)])
    assert (stats["p50"], stats["p90"], stats["max"]) == (5.5, 9.1, 10.0)


FORMS = {"key": lambda v: re.fullmatch(r"[A-G][#b]?", v), "mode": lambda v: v in MODES,
         "meter": lambda v: re.fullmatch(r"\d+/\d+", v), "tempo": lambda v: type(v) is int,
         "bars": lambda v: type(v) is int, "k": lambda v: type(v) is int, "style": lambda v: v in STYLE_NAMES,
         "per": lambda v: v in ("bar", "half", "beat"), "keep": lambda v: re.fullmatch(r"\d+-\d+", v),
         "theme": lambda v: v.strip() == v and v, "lang": lambda v: v in ("en", "zh"),
         "rhyme": lambda v: re.fullmatch(r"[A-D]{4}", v), "voice": lambda v: v in ("soprano", "alto", "tenor", "bass"),
         "format": lambda v: v in ("midi", "musicxml", "abc", "wav", "svg", "png"),
         "mood": lambda v: re.fullmatch(r"[a-z]+", v)}


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_prompt_sets_have_the_documented_shape(name: str) -> None:
    if not er.SET_FILES[name].is_file():
        pytest.skip(f"{er.SET_FILES[name]} is not in this checkout")
    rows = er.load_prompts(name)
    tasks = {"melody", "chords", "lyrics", "check", "analyze", "style", "export", "chat"}
    for row in rows:
        assert row["lang"] in ("en", "zh") and row["expect"]["task"] in tasks and row["prompt"].strip()
        for arg, value in row["expect"]["args"].items():
            assert arg in FORMS and FORMS[arg](value), (row["id"], arg, value)
    assert len({r["id"] for r in rows}) == len(rows)
    if name == "heldout":
        assert sum(r["lang"] == "en" for r in rows) >= 60 and sum(r["lang"] == "zh" for r in rows) >= 60
        dev = {r["prompt"] for r in er.load_prompts("dev")} if er.SET_FILES["dev"].is_file() else set()
        assert not dev & {r["prompt"] for r in rows}


# ---------------------------------------------------------------- end to end through `tunesmith batch`

SCRIPT = {"tempo 90 please": ("set_style", {"tempo": 90}), "export it as abc": ("export_song", {"format": "abc"}),
          "hello there": None}


class FakeOpenAI(BaseHTTPRequestHandler):
    """/v1/chat/completions: the scripted tool call for a user message, a short reply after a tool result."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        last = body["messages"][-1]
        call = None if last["role"] == "tool" else SCRIPT.get(last["content"])
        if call is None:
            delta, finish = {"role": "assistant", "content": "Done."}, "stop"
        else:
            delta = {"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": "call_1", "type": "function",
                 "function": {"name": call[0], "arguments": json.dumps(call[1])}}]}
            finish = "tool_calls"
        base = {"id": "c1", "created": 0, "model": "fake"}
        if body.get("stream"):
            chunks = [dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": delta,
                                                                           "finish_reason": None}]),
                      dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": {},
                                                                           "finish_reason": finish}])]
            data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            kind = "text/event-stream"
        else:
            message = {k: v for k, v in delta.items() if k != "tool_calls"}
            if call is not None:
                message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in delta["tool_calls"]]
            data = json.dumps(dict(base, object="chat.completion", choices=[
                {"index": 0, "message": message, "finish_reason": finish}],
                usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}))
            kind = "application/json"
        payload = data.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture()
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"openai:fake@http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_end_to_end_through_the_cli(tmp_path: Path, fake_server: str) -> None:
    expect = {"e1": ("tempo 90 please", "style", {"tempo": 90}),
              "e2": ("export it as abc", "export", {"format": "midi"}), "e3": ("hello there", "chat", {})}
    prompts = [{"id": i, "lang": "en", "prompt": p, "expect": {"task": t, "args": a}}
               for i, (p, t, a) in expect.items()]
    sets = tmp_path / "tiny.jsonl"
    sets.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    out = tmp_path / "routing.json"
    er.main(["--model", fake_server, "--sets", str(sets), "--jobs", "1,2", "--out", str(out),
             "--work", str(tmp_path / "work")])
    report = json.loads(out.read_text())
    assert report["overall"]["right_task"] == 3 and report["overall"]["right_args"] == 2
    assert [f["id"] for f in report["failures"]] == ["e2"] and report["failures"][0]["wrong"] == ["format"]
    assert {r["id"]: r["tool"] for r in report["rows"]} == {"e1": "set_style", "e2": "export_song", "e3": None}
    assert [run["jobs"] for run in report["timing"]] == [1, 2]
    for run in report["timing"]:
        assert run["prompts"] == 3 and run["right_task"] == 3 and run["prompts_per_min_wall"] > 0
        assert run["turn_s"]["n"] == 3 and run["turn_s_one_tool_call"]["n"] == 2
    assert (tmp_path / "work" / "input" / "tune.mid").is_file()
    assert [p.name.startswith("e2-") for p in (tmp_path / "work" / "out-jobs2").iterdir() if p.is_dir()].count(True) == 1


def test_a_failed_first_tool_call_is_reported_but_still_routed() -> None:
    result = line(("write_lyrics", {"theme": "the sea"}))
    result["tool_calls"][0].update(ok=False, content="write_lyrics failed: not built yet")
    row = er.score(prompt("p", "lyrics", {"theme": "the sea"}), result)
    assert row["args_ok"] and row["tool_error"] == "write_lyrics failed: not built yet"
    report = er.summarise([row])
    assert report["overall"]["tool_failed"] == 1 and report["tool_failures"][0]["tool"] == "write_lyrics"
