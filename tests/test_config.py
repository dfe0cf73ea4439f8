"""Settings precedence: flag > environment > config file > default."""

from pathlib import Path

import pytest

from tunesmith.agent.config import load_config
from tunesmith.agent.errors import AgentError


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "ollama:file"\nout_dir = "from-file"\n')
    env = {"TUNESMITH_HOME": str(tmp_path), "TUNESMITH_MODEL": "ollama:env"}
    assert load_config(environ=env).model == "ollama:env"
    assert load_config(environ=env, overrides={"model": "ollama:flag"}).model == "ollama:flag"
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path)}).model == "ollama:file"
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path)}).out_dir == Path("from-file")
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path / "none")}).model == "embedded"


def test_broken_config_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("model = [unclosed")
    with pytest.raises(AgentError, match="config.toml"):
        load_config(environ={"TUNESMITH_HOME": str(tmp_path)})
