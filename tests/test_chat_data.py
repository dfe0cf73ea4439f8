"""The synthetic chat dialogues: valid tool arguments in the decoder's vocabularies, copied values, mix, no dev leak."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tunesmith.agent.toolkit import TOOLS as ALL_TOOLS
from tunesmith.tokenization.contract import contract as _contract

TOOLS = {n: v for n, v in ALL_TOOLS.items() if _contract().tool(n).weight > 0}  # the legacy chat model's tools
from tunesmith.finetune.chat import data as chat_data
from tunesmith.finetune.chat import slots as chat_slots
from tunesmith.finetune.chat import templates as chat_templates
from tunesmith.finetune.chat import words as chat_words
from tunesmith.finetune.chat.format import chat_prompt
from tunesmith.finetune.chat.data import CHORD_STYLES, MOODS, ChatExample, chat_examples
from tunesmith.tokenization.contract import contract
from tunesmith.tokenization.music import MODES
from tunesmith.tokenization.styles import STYLE_NAMES
from tunesmith.tokenization.vocab import METERS
from tunesmith.tools.chords.progressions import MOODS as CHORD_TOOL_MOODS

DEV = Path(__file__).resolve().parents[2] / "shared" / "dev-prompts.jsonl"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def examples() -> list[ChatExample]:
    return chat_examples(seed=7, count=20000)


def test_fields_and_weights_are_the_contracts():
    assert list(chat_data.FIELDS) == list(contract().names) == list(ALL_TOOLS)
    assert set(chat_data.TOOL_WEIGHTS) == set(TOOLS)  # the legacy model learns the tools of weight > 0 only
    for name, (_, schema) in TOOLS.items():  # the contract's order is the argument model's
        assert chat_data.FIELDS[name] == contract().tool(name).arg_names == tuple(schema.model_fields), name
    assert chat_data.TOOL_WEIGHTS == {t.name: t.weight for t in contract().tools.values() if t.weight > 0}
    assert min(chat_data.TOOL_WEIGHTS.values()) > 0
    # the draw order (it maps the rng to tools: a seed's dialogues) is the contract's, the settings tool last
    assert list(chat_data.TOOL_WEIGHTS) == [*(n for n in TOOLS if n != "set_style"), "set_style"]


def test_word_tables_name_the_contracts_values():
    def enum(tool: str, arg: str) -> set[str]:
        return set(contract().tool(tool).arg(arg).enum)

    for table in (chat_words.VOICE_EN, chat_words.VOICE_ZH):
        assert set(table) == enum("check_theory", "voice") == set(chat_words.VOICES)
    for table in (chat_words.FORMAT_EN, chat_words.FORMAT_ZH):
        assert set(table) == enum("export_song", "format")
    for table in (chat_words.PER_EN, chat_words.PER_ZH):
        assert set(table) == enum("recommend_chords", "per")


def test_deterministic_per_seed():
    assert chat_examples(seed=3, count=300) == chat_examples(seed=3, count=300)
    assert chat_examples(seed=3, count=300) != chat_examples(seed=4, count=300)


def test_mix_of_kinds_and_languages(examples):
    kinds = Counter(e.kind for e in examples)
    assert abs(kinds["call"] / len(examples) - 0.70) < 0.02
    assert abs(kinds["reply"] / len(examples) - 0.15) < 0.02
    assert abs(kinds["result"] / len(examples) - 0.15) < 0.02
    assert Counter(e.lang for e in examples) == {"en": 10000, "zh": 10000}
    tools = Counter(e.tool for e in examples if e.tool)
    assert set(tools) == set(TOOLS) and min(tools.values()) > 500


def test_args_validate_against_the_agent_schemas(examples):
    for e in examples:
        if e.tool is None:
            assert e.args == () and e.tool_result is None and e.reply
            continue
        names = [k for k, _ in e.args]
        assert names == [f for f in chat_data.FIELDS[e.tool] if f in names], e
        _, schema = TOOLS[e.tool]
        schema(**dict(e.args))  # raises on a bad value


def test_values_are_in_the_vocabularies(examples):
    assert set(chat_slots.CHORD_MOODS) <= set(MOODS) and set(chat_slots.CHORD_MOODS) <= set(CHORD_TOOL_MOODS)
    for e in examples:
        args = dict(e.args)
        if "key" in args:
            assert args["key"] in chat_slots.TONICS, e
        if "mode" in args:
            assert args["mode"] in MODES, e
        if "meter" in args:
            assert args["meter"] in METERS, e
        if "mood" in args:
            assert args["mood"] in (chat_slots.CHORD_MOODS if e.tool == "recommend_chords" else MOODS), e
        if "style" in args:
            allowed = STYLE_NAMES + (CHORD_STYLES if e.tool == "recommend_chords" else ())
            assert args["style"] in allowed, e
        for name in ("tempo", "bars", "k", "seed"):
            assert isinstance(args.get(name, 0), int), e
        if "keep" in args:
            assert re.fullmatch(r"\d+-\d+", args["keep"]), e
        if e.tool == "write_lyrics":  # a language only where the message names one
            assert args.get("lang", "en") in ("en", "zh"), e
            assert "lang" in args or not re.search(r"(?i)english|mandarin|中文|汉语|英文|英语", e.user), e


def test_copied_values_are_substrings_of_the_message(examples):
    for e in examples:
        for name, value in e.args:
            if name in chat_data.COPIED:
                assert value in e.user, e


def test_surface_forms_name_the_key(examples):
    for e in examples:
        args = dict(e.args)
        if "key" in args:
            assert args["key"][0].lower() in e.user.lower(), e
            if e.lang == "zh" and len(args["key"]) == 2 and ("升" in e.user or "降" in e.user):
                assert ("升" + args["key"][0] if args["key"][1] == "#" else "降" + args["key"][0]) in e.user, e


def test_languages_and_lengths(examples):
    for e in examples:
        assert len(e.user.encode()) <= 160, e
        assert e.reply is None or len(e.reply.encode()) <= 200, e  # chat_format.MAX_REPLY_BYTES is 240
        assert bool(CJK.search(e.user)) == (e.lang == "zh"), e
        if e.reply is not None:
            assert bool(CJK.search(e.reply)) == (e.lang == "zh"), e


def test_results_are_shaped_like_the_toolkit(examples):
    results = [e for e in examples if e.kind == "result"]
    assert results
    for e in results:
        assert e.tool_result.startswith(f"{e.tool}: "), e  # as chat_embedded.last_exchange builds it
        assert e.reply and "\n" not in e.reply
        seen = chat_prompt(e.user, tool_result=e.tool_result)  # what the model sees, clipped
        facts = re.findall(r"(?<![\w/])(?:[A-G][#b]?(?:m|dim)?(?![A-Za-z])|\d+(?:\.\d+)?|songs/[\w/.-]+\w)", e.reply)
        assert all(f in seen for f in facts if f != "A"), e  # the reply only repeats visible facts
    failed = sum(e.tool_result.startswith(f"{e.tool}: {e.tool} failed: ") for e in results)
    assert 0.1 < failed / len(results) < 0.5


def _summary_pattern(template: str) -> re.Pattern:
    return re.compile("".join(re.escape(part) if i % 2 == 0 else "(.*?)"
                              for i, part in enumerate(re.split(r"\$(\w+)", template))), re.DOTALL)


def test_results_fill_the_contracts_summaries(examples):
    """A result that did not fail is one of its tool's summary templates filled in (the actions' wording)."""
    filled = Counter()
    for e in examples:
        if e.kind != "result" or e.tool_result.startswith(f"{e.tool}: {e.tool} failed: "):
            continue
        content = e.tool_result[len(e.tool) + 2:]
        patterns = [_summary_pattern(t) for t in contract().tool(e.tool).summaries.values()]
        assert any(p.fullmatch(content) for p in patterns), e
        filled[e.tool] += 1
    assert set(filled) == set(TOOLS) - {"write_lyrics"}  # lyrics: the drafter is not built in this version


def test_enough_templates_per_tool():
    for table in (chat_templates.EN, chat_templates.ZH):
        assert set(table) == set(TOOLS)
        for name, templates in table.items():
            assert len(set(templates)) >= 24, name


def test_many_distinct_messages(examples):
    calls = [e.user for e in examples if e.kind == "call"]
    assert len(set(calls)) > 0.8 * len(calls)


@pytest.mark.skipif(not DEV.exists(), reason="needs ../shared/dev-prompts.jsonl")
def test_no_dev_prompt_appears(examples):
    def norm(text: str) -> str:
        return re.sub(r"[\s.,!?。，！？]+", " ", text.lower()).strip()

    dev = {norm(json.loads(line)["prompt"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()}
    seen = {norm(e.user) for e in examples}
    assert not dev & seen


def test_examples_for_the_dev_kinds_of_request(examples):
    """Every routing the dev set needs has training messages (spot checks of the surface forms)."""
    def has(tool, pattern, **args):
        return any(e.tool == tool and re.search(pattern, e.user)
                   and all(dict(e.args).get(k) == v for k, v in args.items()) for e in examples)

    assert has("generate_melody", r"D小调", key="D", mode="minor")
    assert has("generate_melody", r"降B ?大调", key="Bb", mode="major")
    assert has("generate_melody", r"升F ?小调", key="F#", mode="minor")
    assert has("generate_melody", r"十六小节", bars=16)
    assert has("generate_melody", r"吉格", style="irish-jig")
    assert has("generate_melody", r"(?i)\bjig\b", style="irish-jig")
    assert has("generate_melody", r"山歌", style="chinese-han-shange")
    assert has("regenerate_bars", r"前[四4]小节", keep="1-4")
    assert has("regenerate_bars", r"first four bars", keep="1-4")
    assert has("recommend_chords", r"三个方案", k=3)
    assert has("recommend_chords", r"two per bar", per="half")
    assert has("set_style", r"6/8", meter="6/8")
    assert has("write_lyrics", r"(?i)chinese", lang="zh")
    assert has("export_song", r"MusicXML", format="musicxml")
    assert not any(e.tool == "set_style" and "tempo" in dict(e.args) and re.search("快一点|慢一点", e.user)
                   and not re.search(r"\d", e.user) for e in examples)


def test_doctests():
    import doctest

    from tunesmith.finetune.chat import results as chat_results

    for module in (chat_data, chat_slots, chat_results):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_calls_pass_the_decoders_grammar():
    """Each call target is one the constrained decoder (chat_format.CallGrammar) can write, and parses back;
    the only exceptions are values the message spells in a way chat_mentions does not read (a typo like
    "sity-four", a bare lower-case key "a theme c"): at most 1 in 500."""
    from tunesmith.finetune.chat.format import END, CallGrammar, FieldValues, format_call, parse_call, tool_specs

    tools = [{"name": name, "parameters": schema.model_json_schema()} for name, (_, schema) in TOOLS.items()]
    specs = tool_specs(tools, FieldValues.default(moods=MOODS, chord_styles=CHORD_STYLES))
    calls, unread = 0, []
    for e in chat_examples(seed=11, count=3000):
        if e.kind != "call":
            continue
        calls += 1
        target = format_call(e.tool, e.args).encode()
        grammar = CallGrammar(specs, message=e.user)
        wrong = next((i for i in range(len(target)) if target[i] not in grammar(target[:i])), None)
        if wrong is not None or END not in grammar(target):
            unread.append(e)
            continue
        assert parse_call(target.decode(), specs) == (e.tool, dict(e.args)), e
    assert calls > 1500 and len(unread) <= calls / 500, unread
