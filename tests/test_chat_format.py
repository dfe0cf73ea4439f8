"""The embedded chat model's output grammar: every path through it is a reply or a valid call."""

from __future__ import annotations

import doctest
import random

import pytest
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from tunesmith.agent import tool_args, toolkit
from tunesmith.finetune.chat import format as cf
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.text.adapter import END


def _schemas() -> list[dict]:
    return [convert_to_openai_tool(StructuredTool.from_function(lambda **k: None, name=name, description=name,
                                                                args_schema=schema))
            for name, (_, schema) in toolkit.TOOLS.items()]


@pytest.fixture(scope="module")
def specs() -> dict[str, cf.ToolSpec]:
    return cf.tool_specs(_schemas(), cf.FieldValues.default(moods=("sad", "happy"), chord_styles=("folk",)))


def _walk(grammar: cf.CallGrammar, rng: random.Random, limit: int = 300, start: bytes = b"") -> str:
    out = start
    for _ in range(limit):
        options = sorted(grammar(out))
        assert options, f"dead end after {out!r}"
        pick = rng.choice(options)
        if pick == END:
            return out.decode()
        out += bytes([pick])
    return out.decode("utf-8", errors="replace")


def test_random_walks_parse_and_validate(specs) -> None:
    message = "write lyrics about leaving home, rhyme ABAB, range C4-A5 | keep it short"
    grammar = cf.CallGrammar(specs, message=message)
    rng = random.Random(0)
    calls = 0
    for index in range(400):
        text = _walk(grammar, rng, start=b"@" if index % 4 else b"")
        if not text.startswith("@"):
            continue
        name, args = cf.parse_call(text, specs)
        calls += 1
        schema = toolkit.TOOLS[name][1]
        schema(**args)  # pydantic accepts every argument the grammar lets through
        for field in ("theme", "rhyme", "range"):
            if field in args:
                assert args[field] in message and "|" not in args[field]
    assert calls >= 300


def test_enums_ints_and_required_fields(specs) -> None:
    grammar = cf.CallGrammar(specs, message="D or F#, 80 or 120?")
    assert set(grammar(b"@g|k=")) == {ord("D"), ord("F")} and set(grammar(b"@g|k=F")) == {ord("#")}
    assert set(grammar(b"@g|b=")) == {ord("8"), ord("1")}  # only the numbers the message names
    assert END in grammar(b"@g|b=120") and END not in grammar(b"@g|b=12") and ord("5") not in grammar(b"@g|b=12")
    assert ord("n") not in grammar(b"@g|") and ord("d") not in grammar(b"@g|")  # bars, seed: only when stated
    silent = cf.CallGrammar(specs, message="a gentle tune")
    assert not {ord("k"), ord("n")} & set(silent(b"@g|"))  # no key, no bars: none was named
    assert END not in grammar(b"@l")  # write_lyrics needs its theme
    assert set(grammar(b"@g|b=80|")) == set()  # after the tempo: no bars, range or seed was stated
    seeded = cf.CallGrammar(specs, message="a jig, 16 bars, seed 7")
    assert set(seeded(b"@g|s=irish-jig|n=16|")) == set(b"d") and END in seeded(b"@g|s=irish-jig|n=16|d=7")
    assert cf.parse_call("@g|k=D|n=8", specs) == ("generate_melody", {"key": "D", "bars": 8})


def test_reply_only_after_a_tool_result(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a jig", reply_only=True)
    assert ord("@") not in grammar(b"")
    rng = random.Random(1)
    assert all(not _walk(grammar, rng).startswith("@") for _ in range(20))


def test_copy_fields_follow_the_message_across_utf8(specs) -> None:
    grammar = cf.CallGrammar(specs, message="为这段旋律写歌词，主题是思乡。")
    start = grammar(b"@l|h=")
    assert all(not 0x80 <= b < 0xC0 for b in start)
    prefix = "@l|h=思".encode()
    assert set(grammar(prefix)) == {"乡".encode()[0]}  # 思 then 乡: a theme ends at a phrase edge
    assert set(grammar("@l|h=思乡".encode())) == {END}  # nothing else stated: no rhyme, no language


def test_copy_fields_take_whole_latin_words() -> None:
    source = b"lyrics about a summer road trip"
    assert cf._copy_next(b"", source)[0] == set(b"lasrt")  # a span starts where a word starts
    assert not cf._copy_next(b"summer ro", source)[1] and cf._copy_next(b"summer road", source)[1]
    assert cf._copy_next(b"mer", source) == (set(), False)  # "mer" is inside "summer"


def test_themes_are_phrases_of_the_message(specs) -> None:
    grammar = cf.CallGrammar(specs, message="Could you write some lyrics about the ocean in English?")
    assert set(grammar(b"@l|h=")) == {ord("t")}  # after "about" ("Could you ..." is no theme)
    assert not {END, ord("|")} & set(grammar(b"@l|h=the")) and set(grammar(b"@l|h=the ocean")) == {ord("|")}
    # ("the ocean in English" is no theme: a theme does not end on a language, nor on "in")
    assert set(grammar(b"@l|h=the ocean|")) == {ord("l")} and END in grammar(b"@l|h=the ocean|l=en")  # English


def test_stated_values_must_be_passed(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a slow Irish air in E minor, sadder, 6/8 at 70 bpm, 16 bars")
    assert set(grammar(b"@g|")) == {ord("s")}  # style first: it was stated, so it cannot be skipped
    assert set(grammar(b"@g|s=")) == {ord("i")} and END not in grammar(b"@g|s=irish-air")
    call = b"@g|s=irish-air|o=sad|k=E|m=minor|t=6/8|b=70|n=16"
    assert END in grammar(call) and END not in grammar(call[:-5])  # bars 16 stated: no end without it
    assert set(grammar(b"@g|s=irish-air|o=")) == {ord("s")}  # sadder -> sad, nothing else
    silent = cf.CallGrammar(specs, message="write me a tune")
    assert not {ord("s"), ord("o"), ord("m"), ord("t")} & set(silent(b"@g|"))  # nothing stated, nothing invented
    chords = cf.CallGrammar(specs, message="每小节两个和弦，给我三个方案")
    assert cf.parse_call("@h|e=half|x=3", specs) and END in chords(b"@h|e=half|x=3") and END not in chords(b"@h|e=half")
    assert set(chords(b"@h|e=")) == {ord("h")}


def test_only_restricts_the_tools(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a jig", only=["generate_melody", "continue_melody"])
    assert set(grammar(b"")) == {ord("@")} and set(grammar(b"@")) == {ord("g"), ord("c")}


def test_parse_call_errors(specs) -> None:
    with pytest.raises(ModelError):
        cf.parse_call("@nope|a=1", specs)
    with pytest.raises(ModelError):
        cf.parse_call("@l|l=en", specs)
    assert cf.parse_call("Sure thing.", specs) is None


def test_doctests() -> None:
    assert doctest.testmod(cf).failed == 0
