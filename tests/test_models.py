"""Chat model specs, their precedence, construction without a server, unreachable servers,
and the local chat-template wrapper (tool-call parsing, a tiny HF folder)."""

from __future__ import annotations

import doctest
import json
import socket
from pathlib import Path

import pytest

from tunesmith.agent import chat_local, models
from tunesmith.agent.chat_local import LocalChatModel, parse_reply
from tunesmith.agent.config import load_config
from tunesmith.agent.errors import AgentError
from tunesmith.agent.models import ModelSpec, ModelUnavailableError, make_chat_model, parse_model_spec
from tunesmith.agent.session import Resources, new_session, respond


def test_doctests() -> None:
    assert doctest.testmod(chat_local).failed == 0 and doctest.testmod(models).failed == 0


def test_specs_parse() -> None:
    assert parse_model_spec("embedded") == ModelSpec("embedded")
    assert parse_model_spec("ollama:qwen3") == ModelSpec("ollama", "qwen3")
    assert parse_model_spec("ollama:qwen3:4b@http://gpu:11434") == ModelSpec("ollama", "qwen3:4b", "http://gpu:11434")
    assert parse_model_spec("openai:m@http://127.0.0.1:8080/v1") == ModelSpec("openai", "m", "http://127.0.0.1:8080/v1")
    assert parse_model_spec("hf:/models/qwen") == ModelSpec("hf", "/models/qwen")
    assert str(parse_model_spec("openai:m@http://h:1/v1")) == "openai:m@http://h:1/v1"
    for bad, why in [("gpt4", "unknown model"), ("claude:x", "unknown model"), ("ollama:", "names no model"),
                     ("hf:", "names no folder"), ("openai:m@localhost", "must look like http"), ("embedded:x", "unknown")]:
        with pytest.raises(AgentError, match=why):
            parse_model_spec(bad)


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "ollama:from-file"\n')
    env = {"TUNESMITH_HOME": str(tmp_path), "TUNESMITH_MODEL": "openai:from-env@http://127.0.0.1:1/v1"}
    chosen = lambda flag, environ: parse_model_spec(load_config(overrides={"model": flag}, environ=environ).model)  # noqa: E731
    assert chosen("ollama:flag", env).name == "flag"
    assert chosen(None, env).name == "from-env"
    assert chosen(None, {"TUNESMITH_HOME": str(tmp_path)}).name == "from-file"
    assert chosen(None, {"TUNESMITH_HOME": str(tmp_path / "empty")}) == ModelSpec("embedded")


def test_models_are_built_without_a_server() -> None:
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    ollama = make_chat_model("ollama:llama3.2@http://127.0.0.1:9")
    assert isinstance(ollama, ChatOllama) and ollama.base_url == "http://127.0.0.1:9" and ollama.model == "llama3.2"
    openai = make_chat_model("openai:qwen@http://127.0.0.1:9/v1")
    assert isinstance(openai, ChatOpenAI) and openai.openai_api_base == "http://127.0.0.1:9/v1"
    assert openai.max_retries == 0


def test_embedded_without_a_chat_adapter_says_what_to_use(tmp_path) -> None:
    from tunesmith.agent.session import Resources

    (tmp_path / "adapters" / "melody").mkdir(parents=True)
    (tmp_path / "adapters" / "melody" / "adapter_config.json").write_text("{}")
    with pytest.raises(ModelUnavailableError) as caught:
        make_chat_model("embedded", resources=Resources(tmp_path))
    message = str(caught.value)
    assert "no pretrained language model" in message and "ollama:NAME" in message and "openai:NAME@" in message
    assert "\n" not in message
    with pytest.raises(ModelUnavailableError) as caught:
        make_chat_model("legacy", resources=Resources(tmp_path))
    assert "no chat adapter" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ModelUnavailableError, match="no model folder"):
        make_chat_model("hf:/no/such/folder")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_an_unreachable_server_is_one_line(kind: str, tmp_path: Path) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}" + ("/v1" if kind == "openai" else "")
    spec = f"{kind}:tiny@{url}"
    session = new_session(model=spec, out_dir=tmp_path, resources=Resources(None))
    with pytest.raises(ModelUnavailableError) as caught:
        respond(session, "hello")
    assert str(caught.value) == f"cannot reach the chat model at {url} (tiny): is the server running?"
    assert session.turns == []


def test_tool_call_syntaxes_parse() -> None:
    names = ["set_style", "check_theory"]
    hermes = parse_reply('<tool_call>\n{"name": "set_style", "arguments": {"key": "D"}}\n</tool_call>\n'
                         '<tool_call>{"name": "check_theory", "arguments": "{}"}</tool_call>', tool_names=names)
    assert [(c["name"], c["args"]) for c in hermes.tool_calls] == [("set_style", {"key": "D"}), ("check_theory", {})]
    mistral = parse_reply('[TOOL_CALLS] [{"name": "set_style", "arguments": {"tempo": 90}}]', tool_names=names)
    assert mistral.tool_calls[0]["args"] == {"tempo": 90} and mistral.content == ""
    llama = parse_reply('<|python_tag|>{"name": "check_theory", "parameters": {}}', tool_names=names)
    assert llama.tool_calls[0]["name"] == "check_theory"
    broken = parse_reply("<tool_call>{not json</tool_call>", tool_names=names)
    assert broken.tool_calls == [] and broken.invalid_tool_calls[0]["args"] == "{not json"
    unterminated = parse_reply('<tool_call>{"name": "set_style", "arguments": {"mood": "sad"}}', tool_names=names)
    assert unterminated.tool_calls[0]["args"] == {"mood": "sad"}
    assert parse_reply('{"name": "set_style", "arguments": {}}', tool_names=[]).content.startswith("{")
    assert parse_reply("Plain words {with braces}.", tool_names=names).content == "Plain words {with braces}."


class StubBackend:
    """Answers with canned texts and keeps what it was given."""

    def __init__(self, *texts: str) -> None:
        self.texts, self.calls = list(texts), []

    def complete(self, conversation, *, tools, max_new_tokens, temperature):
        self.calls.append((conversation, tools))
        return self.texts.pop(0)


def test_local_chat_model_drives_the_agent(tmp_path: Path) -> None:
    backend = StubBackend('<tool_call>{"name": "set_style", "arguments": {"style": "jig"}}</tool_call>', "Done.")
    session = new_session(model="hf:/stub", out_dir=tmp_path, resources=Resources(None),
                          chat_model=LocalChatModel(backend=backend))
    turn = respond(session, "a jig")
    assert [c.name for c in turn.tool_calls] == ["set_style"] and turn.reply == "Done."
    assert session.state.style == "irish-jig"
    conversation, tools = backend.calls[1]
    assert [m["role"] for m in conversation] == ["system", "user", "assistant", "tool"]
    assert conversation[2]["tool_calls"][0]["function"] == {"name": "set_style", "arguments": {"style": "jig"}}
    assert {t["function"]["name"] for t in tools} >= {"set_style", "generate_melody", "export_song"}


def _tiny_hf_folder(folder: Path, *, positions: int = 256) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<unk>", "<s>", "</s>", "<pad>", "<user>", "</user>", "<assistant>", "<system>", "</system>",
             "<tools>", "</tools>", "hello", "jig", "set_style", "Done."]
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>")
    tokenizer.chat_template = (
        "{% if tools %}<tools> {% for t in tools %}{{ t.function.name }} {% endfor %}</tools> {% endif %}"
        "{% for m in messages %}<{{ m.role }}> {{ m.content }} </{{ m.role }}> {% endfor %}"
        "{% if add_generation_prompt %}<assistant> {% endif %}")
    config = LlamaConfig(vocab_size=len(words), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=positions,
                         bos_token_id=1, eos_token_id=2, pad_token_id=3)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_local_hf_folder_renders_tools_and_generates(tmp_path: Path) -> None:
    from tunesmith.finetune.chat.hf import HFChat

    folder = _tiny_hf_folder(tmp_path / "tiny-chat", positions=512)
    backend = HFChat(folder)
    prompt = backend.render([{"role": "user", "content": "hello"}], tools=[
        {"type": "function", "function": {"name": "set_style", "parameters": {}}}])
    assert prompt == "<tools> set_style </tools> <user> hello </user> <assistant> "
    model = make_chat_model(f"hf:{folder}")
    assert isinstance(model, LocalChatModel)
    model = LocalChatModel(backend=backend, max_new_tokens=6)
    session = new_session(model=f"hf:{folder}", out_dir=tmp_path / "out", resources=Resources(None),
                          chat_model=model)
    turn = respond(session, "hello")
    assert isinstance(turn.reply, str) and turn.kind == "chat"
    json.dumps(turn.as_dict())  # the turn can be stored


def test_one_shot_command_with_a_local_folder(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from tunesmith.agent.cli_chat import run
    from tunesmith.finetune.errors import ModelError

    folder = _tiny_hf_folder(tmp_path / "chat", positions=1024)
    app = typer.Typer()
    app.command()(run)
    app.command()(lambda: None)  # a second command, so `run` is named on the command line
    env = {"TUNESMITH_HOME": str(tmp_path / "home"), "TUNESMITH_OUT": str(tmp_path / "out"),
           "TUNESMITH_CHECKPOINTS": str(tmp_path / "none")}
    result = CliRunner().invoke(app, ["run", "hello jig", "--model", f"hf:{folder}", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] == "hello jig" and data["kind"] == "chat" and isinstance(data["reply"], str)
    assert data["session"] and data["files"] == [] and data["tool_calls"] == []
    short = CliRunner().invoke(app, ["run", "hello", "--model", f"hf:{_tiny_hf_folder(tmp_path / 'short')}"], env=env)
    assert isinstance(short.exception, ModelError) and "too long for short (" in str(short.exception)
