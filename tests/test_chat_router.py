"""The bag-of-words router beside the chat adapter: training, saving, and the product with the adapter."""

from __future__ import annotations

import doctest

import pytest

pytest.importorskip("torch")

from tunesmith.finetune.chat import router as chat_router  # noqa: E402
from tunesmith.finetune.chat.router import Router, combine, router_examples, tasks_of, train_router  # noqa: E402
from tunesmith.finetune.errors import ModelError  # noqa: E402


def test_router_learns_the_synthetic_dialogues_and_round_trips(tmp_path) -> None:
    examples = router_examples(seed=3, count=3000)
    assert {task for _, task in examples} >= {"melody", "chords", "lyrics", "chat", "export"}
    router = train_router(examples, steps=150)
    probs = router.probs("Harmonize this melody, one chord per bar")
    assert max(probs, key=probs.get) == "chords" and abs(sum(probs.values()) - 1) < 1e-5
    assert max(router.probs("谢谢你！"), key=router.probs("谢谢你！").get) == "chat"
    held = [(text, task) for text, task in router_examples(seed=4, count=600)]
    right = sum(max((p := router.probs(text)), key=p.get) == task for text, task in held)
    assert right / len(held) > 0.9  # unseen paraphrases of the same templates
    router.save(tmp_path)
    again = Router.load(tmp_path)
    assert again.tasks == router.tasks and again.probs("a jig in D")["melody"] == pytest.approx(
        router.probs("a jig in D")["melody"], abs=1e-3)  # saved in half precision


def test_bad_router_file_is_a_model_error(tmp_path) -> None:
    (tmp_path / chat_router.ROUTER_FILE).write_bytes(b"not a torch file")
    with pytest.raises(ModelError):
        Router.load(tmp_path)
    with pytest.raises(ModelError):
        train_router([])


def test_combine_and_groups() -> None:
    assert combine({"melody": 0.9, "chat": 0.1}, {"melody": 0.5, "chat": 0.5}) == ["melody", "chat"]
    assert combine({"melody": 0.6, "chat": 0.4}, {"melody": 0.01, "chat": 0.99})[0] == "chat"
    assert tasks_of(["generate_melody", "continue_melody", "my_tool"]) == {
        "melody": ["generate_melody", "continue_melody"], "my_tool": ["my_tool"]}


def test_every_contract_tool_has_a_task_a_unique_code_and_an_action() -> None:
    from tunesmith.tokenization.contract import contract
    from tunesmith.tools.actions import actions

    tools = contract().tools
    legacy = [n for n, tool in tools.items() if tool.weight > 0]  # the edit and question tools are the new model's
    assert chat_router.TOOL_TASKS == {n: contract().tasks()[n] for n in legacy} and list(chat_router.TOOL_TASKS) == legacy
    assert {tools[n].task for n in tools if n not in legacy} == {"edit", "question"}
    assert all(task and task != chat_router.CHAT_TASK for task in chat_router.TOOL_TASKS.values())
    assert set(chat_router.TOOL_TASKS.values()) == {"style", "melody", "chords", "lyrics", "check", "analyze", "export"}
    assert len({t.code for t in tools.values()}) == len(tools)
    assert set(tools) <= set(actions())


def test_doctests() -> None:
    result = doctest.testmod(chat_router)
    assert result.attempted > 0 and result.failed == 0
