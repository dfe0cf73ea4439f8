"""The embedded chat backend end to end on a tiny model: LangChain in, valid tool calls or replies out."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402

from tunesmith.agent import toolkit  # noqa: E402
from tunesmith.agent.models import make_chat_model  # noqa: E402
from tunesmith.agent.session import Resources  # noqa: E402
from tunesmith.finetune.chat import embedded as chat_embedded  # noqa: E402
from tunesmith.finetune.chat.format import chat_prompt, format_call  # noqa: E402
from tunesmith.finetune.text.pieces import PieceTable  # noqa: E402
from tunesmith.finetune.text.adapter import train_text_adapter  # noqa: E402
from tunesmith.finetune.train import TrainConfig  # noqa: E402
from tunesmith.tokenization.codec import default_codec  # noqa: E402

PAIRS = [(chat_prompt("write a jig in D"), format_call("generate_melody", [("style", "irish-jig"), ("key", "D")])),
         (chat_prompt("thanks"), "You're welcome."),
         (chat_prompt("a jig", tool_result="generate_melody: 8 bars"), "Here it is.")]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, make_tiny_checkpoint) -> Path:
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("chat-ckpt"), half=False)
    codec = default_codec()
    pieces = PieceTable.build(codec, [p for p, _ in PAIRS] * 10, size=40)  # the shipped adapter reads pieces too
    train_text_adapter(folder, PAIRS * 6, name="chat", task="chat", run_dir=folder / "run", show_progress=False,
                       config=TrainConfig(max_steps=80, eval_every=100, log_every=10, lr=2e-2, warmup_steps=2,
                                          threads=1, batch_tokens=512, weight_decay=0.0, batch_sequences=4),
                       pieces=pieces)
    assert (folder / "adapters" / "chat" / "pieces.json").is_file()
    return folder


def _tools(resources: Resources) -> list:
    from tunesmith.agent.session import new_session

    session = new_session(model="legacy", out_dir=Path(resources.checkpoint) / "out", resources=resources)
    return toolkit.build_tools(session)


def test_embedded_model_calls_tools_validly_or_replies(checkpoint) -> None:
    resources = Resources(checkpoint)
    model = make_chat_model("legacy", resources=resources)
    tools = _tools(resources)
    bound = model.bind_tools(tools)
    schemas = {name: schema for name, (_, schema) in toolkit.TOOLS.items()}
    for text in ("write a jig in D", "thanks", "为这段旋律写歌词，主题是思乡", "export as midi please"):
        message = bound.invoke([HumanMessage(text)])
        assert isinstance(message, AIMessage) and not message.invalid_tool_calls
        for call in message.tool_calls:
            schemas[call["name"]](**call["args"])  # every call validates against its schema
        assert message.tool_calls or message.content
    learned = bound.invoke([HumanMessage("write a jig in D")])
    assert [(c["name"], c["args"]) for c in learned.tool_calls] == [("generate_melody", {"style": "irish-jig",
                                                                                         "key": "D"})]
    wrong = bound.invoke([HumanMessage("write a jig in H major")])  # no key the grammar could write
    assert not wrong.tool_calls and "H major is not a key" in wrong.content


@pytest.mark.parametrize("task", ["chat", "export"])
def test_the_router_and_the_adapter_decide_the_task_together(checkpoint, task) -> None:
    """A router sure of one task (a bias only) outvotes the adapter: the call (or reply) follows it,
    and a stated value is passed even when the adapter would not write it."""
    from tunesmith.finetune.chat.router import TOOL_TASKS, Router

    tasks = tuple(sorted({*TOOL_TASKS.values(), "chat"}))
    bias = torch.full((len(tasks),), -20.0)
    bias[tasks.index(task)] = 20.0
    folder = checkpoint / "adapters" / "chat"
    path = Router({}, tasks, torch.zeros(0, len(tasks)), bias).save(folder)
    try:
        resources = Resources(checkpoint)
        bound = make_chat_model("legacy", resources=resources).bind_tools(_tools(resources))
        message = bound.invoke([HumanMessage("write a jig in D, as MIDI")])
    finally:
        path.unlink()
    if task == "chat":
        assert not message.tool_calls and message.content
    else:
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [("export_song", {"format": "midi"})]


def test_after_a_tool_result_it_only_replies(checkpoint) -> None:
    """After a tool result the grammar allows a reply only: the adapter's own learned one when it is
    confident (PAIRS[2]), else the tool's summary; never another call, never nothing."""
    resources = Resources(checkpoint)
    model = make_chat_model("legacy", resources=resources)
    bound = model.bind_tools(_tools(resources))
    call = [{"name": "generate_melody", "args": {}, "id": "c1"}]
    learned = [HumanMessage("a jig"), AIMessage("", tool_calls=call),
               ToolMessage("8 bars", tool_call_id="c1", name="generate_melody")]
    reply = bound.invoke(learned)
    assert not reply.tool_calls and reply.content == "Here it is." and not model.backend.replaced
    result = "Wrote 8 bars in D major. Theory check: ok"
    asked_in_chinese = [HumanMessage("写一段旋律"), AIMessage("", tool_calls=call),
                        ToolMessage(result, tool_call_id="c1", name="generate_melody")]
    reply = bound.invoke(asked_in_chinese)  # a reply in the wrong language gives way to the tool's summary
    assert not reply.tool_calls and model.backend.replaced and reply.content == "Wrote 8 bars in D major."


def test_doctests() -> None:
    assert doctest.testmod(chat_embedded).failed == 0


SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "default"


@pytest.mark.skipif(not (SHIPPED / "adapters" / "chat" / "pieces.json").is_file(),
                    reason="the shipped checkpoint has no chat adapter")
def test_shipped_chat_adapter_routes_plain_requests(tmp_path) -> None:
    """The shipped adapter, through the LangChain wrapper: plain requests reach their tools with the
    values the person named (the routing eval in eval/ measures the rest)."""
    from tunesmith.agent.session import new_session

    resources = Resources(SHIPPED)
    session = new_session(model="legacy", out_dir=tmp_path, resources=resources)
    bound = make_chat_model("legacy", resources=resources).bind_tools(toolkit.build_tools(session))
    asks = {"Write an 8-bar melody in D minor": ("generate_melody", {"key": "D", "mode": "minor", "bars": 8}),
            "给这段旋律配和弦。": ("recommend_chords", {}),
            "Export the song as MusicXML.": ("export_song", {"format": "musicxml"})}
    for text, (tool, args) in asks.items():
        message = bound.invoke([HumanMessage(text)])
        assert message.tool_calls, (text, message.content)
        call = message.tool_calls[0]
        assert call["name"] == tool and args.items() <= call["args"].items(), (text, call)
