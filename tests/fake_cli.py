"""`tunesmith ARGS…` with a scripted chat model instead of a real one (tests/agent_fakes.py), for the
fuzz runs of `run`, `chat` and `batch` and the store concurrency check: the command line, the
session store and the tools are the real ones; only the chat model's replies are fixed.

    python tests/fake_cli.py run "a jig"          # the model answers "done: ok" without tools
    FUZZ_FAKE_STEPS='[["set_style", {"tempo": 90}], "tempo set"]' python tests/fake_cli.py run "x"

A model spec is still parsed (a bad --model stays an error); any spec then gets the script.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _steps() -> list:
    raw = json.loads(os.environ.get("FUZZ_FAKE_STEPS") or '["done: ok"]')
    return [tuple(step) if isinstance(step, list) else step for step in raw]


def main() -> None:
    sys.path.insert(0, str(TESTS))
    import agent_fakes  # noqa: PLC0415 - tests/ is on the path only here

    from tunesmith.agent import models
    from tunesmith.agent.cli import main as cli_main

    def fake_model(spec, **_kwargs):
        models.parse_model_spec(str(spec))
        return agent_fakes.scripted(*(_steps() * 5))

    models.make_chat_model = fake_model
    cli_main(sys.argv[1:])


if __name__ == "__main__":
    main()
