"""The embedded chat model's output grammar: every path through it is a reply or a valid call."""

from __future__ import annotations

import doctest
import random

import pytest
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from tunesmith.agent import tool_args, toolkit
from tunesmith.finetune import chat_format as cf
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.text_adapter import END


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
    grammar = cf.CallGrammar(specs, message="D or F# minor, 8 or 64 bars")
    assert set(grammar(b"@g|k=")) == {ord("D"), ord("F")} and set(grammar(b"@g|k=F")) == {ord("#")}
    assert set(grammar(b"@g|n=")) == {ord("8"), ord("6")}  # only the numbers the message names
    assert END in grammar(b"@g|n=64") and END not in grammar(b"@g|n=6") and ord("5") not in grammar(b"@g|n=6")
    silent = cf.CallGrammar(specs, message="a gentle tune")
    assert not {ord("k"), ord("n")} & set(silent(b"@g|"))  # no key, no bars: none was named
    assert END not in grammar(b"@l")  # write_lyrics needs its theme
    assert set(grammar(b"@g|n=8|")) == set(b"rd")  # range, seed: schema order only
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
    assert set(grammar(prefix)) == {"乡".encode()[0], "|".encode()[0], END}  # 思 then 乡, or stop there


def test_copy_fields_take_whole_latin_words(specs) -> None:
    grammar = cf.CallGrammar(specs, message="lyrics about a summer road trip")
    assert set(grammar(b"@l|h=")) == set(b"lasrt")  # a span starts where a word starts
    assert END not in grammar(b"@l|h=summer ro") and END in grammar(b"@l|h=summer road")
    assert END not in grammar(b"@l|h=mer") and not grammar(b"@l|h=mer")  # "mer" is inside "summer"


def test_parse_call_errors(specs) -> None:
    with pytest.raises(ModelError):
        cf.parse_call("@nope|a=1", specs)
    with pytest.raises(ModelError):
        cf.parse_call("@l|l=en", specs)
    assert cf.parse_call("Sure thing.", specs) is None


def test_doctests() -> None:
    assert doctest.testmod(cf).failed == 0
