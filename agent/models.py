"""Which chat model drives the agent, from a spec string.

Specs (the `--model` flag > TUNESMITH_MODEL > config file > "embedded"; the precedence
itself is agent.config.load_config):

  embedded                         the project's chat model: the pretrained base with the checkpoint's chat LoRA
  legacy                           the first chat model (a 2M adapter with rule tables), kept for comparison
  ollama:NAME[@http://host:port]   a model served by Ollama (default http://127.0.0.1:11434)
  openai:NAME@http://host:port/v1  any OpenAI-compatible server (llama.cpp, vLLM, LM Studio, Ollama /v1)
  hf:/path/to/folder               a local Hugging Face chat model folder (its chat template, with tools)

Building a model never touches the network; an unreachable server shows up on the first
turn, where `unavailable_error` turns the client's exception into one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AgentError

PROVIDER_NAMES = ("embedded", "legacy", "ollama", "openai", "hf")
OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_TIMEOUT_S = 120.0
SPEC_HELP = ("use embedded, legacy, ollama:NAME, ollama:NAME@http://host:port, openai:NAME@http://host:port/v1 "
             "or hf:/path/to/model-folder")


class ModelUnavailableError(AgentError):
    """The chat model cannot be used right now (server unreachable, model missing, not trained)."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A parsed model spec; `str()` gives the canonical text back."""

    provider: str
    name: str = ""
    base_url: str | None = None

    def __str__(self) -> str:
        if self.provider in ("embedded", "legacy"):
            return self.provider
        return f"{self.provider}:{self.name}" + (f"@{self.base_url}" if self.base_url else "")


def parse_model_spec(text: str) -> ModelSpec:
    """Read a model spec.

    >>> parse_model_spec("openai:qwen2.5@http://127.0.0.1:8080/v1")
    ModelSpec(provider='openai', name='qwen2.5', base_url='http://127.0.0.1:8080/v1')
    >>> parse_model_spec("ollama:llama3.2:3b")
    ModelSpec(provider='ollama', name='llama3.2:3b', base_url=None)
    >>> str(parse_model_spec(" Embedded "))
    'embedded'
    """
    raw = (text or "").strip()
    provider, sep, rest = raw.partition(":")
    provider = provider.lower()
    if provider in ("embedded", "legacy") and not rest:
        return ModelSpec(provider)
    if not sep or provider not in PROVIDER_NAMES or provider in ("embedded", "legacy"):
        raise AgentError(f"unknown model {raw!r}: {SPEC_HELP}")
    if provider == "hf":
        if not rest.strip():
            raise AgentError(f"model {raw!r} names no folder: write hf:/path/to/model-folder")
        return ModelSpec("hf", str(Path(rest.strip()).expanduser()))
    name, at, url = rest.partition("@")
    name, url = name.strip(), url.strip()
    if not name:
        raise AgentError(f"model {raw!r} names no model: {SPEC_HELP}")
    if at and not re.match(r"^https?://[^/\s]+", url):
        raise AgentError(f"model {raw!r}: the server address must look like http://host:port{'/v1' if provider == 'openai' else ''}")
    return ModelSpec(provider, name, url or None)


def external_spec(spec: str) -> ModelSpec | None:
    """The parsed spec when it names a bigger LLM (Ollama, OpenAI-compatible, HF folder), else None
    (the embedded model, or a name that is no spec, like a test's scripted model).

    >>> external_spec("ollama:qwen3").provider, external_spec("embedded"), external_spec("scripted")
    ('ollama', None, None)
    """
    try:
        parsed = parse_model_spec(spec)
    except AgentError:
        return None
    return parsed if parsed.provider not in ("embedded", "legacy") else None


def make_chat_model(spec: ModelSpec | str, *, resources: Any = None, timeout: float = DEFAULT_TIMEOUT_S,
                    temperature: float = 0.2) -> Any:
    """A LangChain chat model for a spec (the provider's builder in PROVIDERS); no server is contacted here.

    `resources` (a session.Resources) lets the embedded model share the models the tools use;
    without it the embedded model loads the configured checkpoint on first use.  A model with a
    `for_session` method (the embedded one) is bound to each session's song state by the session.
    """
    spec = parse_model_spec(spec) if isinstance(spec, str) else spec
    return PROVIDERS[spec.provider](spec, resources=resources, timeout=timeout, temperature=temperature)


def _resources(resources: Any) -> Any:
    if resources is None:
        from .config import load_config

        resources = load_config().models()
    return resources


def _embedded(spec: ModelSpec, *, resources: Any, timeout: float, temperature: float) -> Any:
    """The pretrained base with the checkpoint's chat LoRA (agent/chat_gemma.py)."""
    from .chat_gemma import GemmaChat

    resources = _resources(resources)
    why = resources.chat_missing()
    if why is not None:
        raise ModelUnavailableError(f"{why}; or use --model legacy (the older chat adapter), ollama:NAME, "
                                    "openai:NAME@http://host:port/v1 or hf:/path/to/model-folder")
    return GemmaChat(decoder=resources.chat_decoder(), model_name="embedded")


def _legacy(spec: ModelSpec, *, resources: Any, timeout: float, temperature: float) -> Any:
    """The project's first chat model (the 2M chat adapter and its rules), kept for comparison."""
    from ..finetune.chat.embedded import CHAT_ADAPTER, EmbeddedChat
    from ..finetune.lora import list_adapters
    from .chat_local import LocalChatModel

    resources = _resources(resources)
    if CHAT_ADAPTER not in resources.adapters():
        where = f"the checkpoint {resources.checkpoint}" if resources.checkpoint is not None else "no checkpoint"
        raise ModelUnavailableError(
            f"{where} has no chat adapter (train it with `tunesmith train chat`); "
            "or use --model ollama:NAME, openai:NAME@http://host:port/v1 or hf:/path/to/model-folder")
    styles = list_adapters(resources.user_styles) if resources.user_styles is not None else []
    backend = EmbeddedChat(resources.runtime, styles=styles)  # the runtime's sessions lock the model
    return LocalChatModel(backend=backend, model_name="legacy", temperature=0.0)


def _ollama(spec: ModelSpec, *, resources: Any, timeout: float, temperature: float) -> Any:
    from langchain_ollama import ChatOllama

    return ChatOllama(model=spec.name, base_url=spec.base_url or OLLAMA_URL, temperature=temperature,
                      client_kwargs={"timeout": timeout}, validate_model_on_init=False)


def _hf(spec: ModelSpec, *, resources: Any, timeout: float, temperature: float) -> Any:
    from ..finetune.chat.hf import HFChat
    from ..finetune.errors import ModelError
    from .chat_local import LocalChatModel

    backend = HFChat(spec.name)
    try:
        backend.check()
    except ModelError as err:
        raise ModelUnavailableError(str(err)) from err
    return LocalChatModel(backend=backend, model_name=Path(spec.name).name, temperature=temperature)


def _openai(spec: ModelSpec, *, resources: Any = None, timeout: float, temperature: float) -> Any:
    import openai
    from langchain_openai import ChatOpenAI

    options = {"model": spec.name, "base_url": spec.base_url, "timeout": timeout, "max_retries": 0,
               "temperature": temperature}
    try:
        return ChatOpenAI(**options)
    except openai.OpenAIError:
        if spec.base_url is None:
            raise ModelUnavailableError(f"{spec} needs an API key (OPENAI_API_KEY) or a local server: "
                                        "write openai:NAME@http://host:port/v1") from None
        return ChatOpenAI(api_key="not-needed", **options)  # local servers usually take any key


def unavailable_error(err: BaseException, spec: ModelSpec | str) -> ModelUnavailableError | None:
    """One line for a person when `err` means the model server cannot serve; None for other errors."""
    where = _address(spec)
    try:
        import httpx
    except ImportError:  # pragma: no cover
        httpx = None
    connection = [ConnectionError, TimeoutError]
    if httpx is not None:
        connection += [httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout]
    try:
        import openai

        if isinstance(err, openai.APITimeoutError):
            return ModelUnavailableError(f"the chat model at {where} did not answer in time")
        if isinstance(err, openai.APIConnectionError):
            return ModelUnavailableError(f"cannot reach the chat model at {where}: is the server running?")
        if isinstance(err, openai.APIStatusError):
            return ModelUnavailableError(f"the server at {where} refused the request ({err.status_code}): "
                                         f"{_first_line(err.message)}")
    except ImportError:  # pragma: no cover
        pass
    try:
        import ollama

        if isinstance(err, ollama.ResponseError):
            hint = f" (try `ollama pull {_name(spec)}`)" if err.status_code == 404 else ""
            return ModelUnavailableError(f"Ollama at {where} answered: {_first_line(err.error)}{hint}")
    except ImportError:  # pragma: no cover
        pass
    if isinstance(err, tuple(connection)):
        return ModelUnavailableError(f"cannot reach the chat model at {where}: is the server running?")
    return None


def _parsed(spec: ModelSpec | str) -> ModelSpec:
    try:
        return parse_model_spec(spec) if isinstance(spec, str) else spec
    except AgentError:  # a label of an injected model, not a spec
        return ModelSpec("other", str(spec))


def _name(spec: ModelSpec | str) -> str:
    return _parsed(spec).name


def _address(spec: ModelSpec | str) -> str:
    spec = _parsed(spec)
    if spec.provider == "other":
        return spec.name
    if spec.provider == "ollama":
        return f"{spec.base_url or OLLAMA_URL} ({spec.name})"
    if spec.provider == "openai":
        return f"{spec.base_url or 'api.openai.com'} ({spec.name})"
    return str(spec)


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:200] if lines else "no details"


# The providers: spec.provider -> builder(spec, *, resources, timeout, temperature) -> chat model.
PROVIDERS = {"embedded": _embedded, "legacy": _legacy, "ollama": _ollama, "openai": _openai, "hf": _hf}
