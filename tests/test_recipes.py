"""Training recipes: every shipped one parses, names a known step, is taken whole by that step's
command and holds the values that built checkpoints/default; `train run` runs one and notes it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunesmith.agent.cli_recipe import COMMANDS, plan
from tunesmith.agent.cli_train import train_app
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.recipe import RECIPES_DIR, STEPS, load_recipe, shipped_recipes
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song
from tunesmith.tokenization.records import song_to_record

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "checkpoints/default/manifest.json").read_text())
MAKE_TRAIN = ["base", "melody", "export", "harmony", "profiles", "lyrics-lm", "chat-lm", "chat-1", "chat-2", "chat-3", "router"]
OPTIONAL = {"limit", "style", "progress"}  # quick-run, relabelling and display options a recipe may leave out


def test_make_train_runs_every_shipped_recipe_in_order() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert f"RECIPES := {' '.join(MAKE_TRAIN)}" in makefile
    assert "$(BIN)/tunesmith train run $(RECIPES)" in makefile and "python -c" not in makefile
    assert sorted(MAKE_TRAIN) == shipped_recipes()


@pytest.mark.parametrize("name", MAKE_TRAIN)
def test_shipped_recipe_is_taken_whole_by_its_step(name: str) -> None:
    recipe = load_recipe(name)
    assert recipe.step in STEPS and recipe.description and recipe.path == RECIPES_DIR / f"{name}.toml"
    item = plan(name)  # the step's own command parses the recipe's arguments; nothing runs
    assert item.command.name == COMMANDS[recipe.step][1]
    for key, value in recipe.options.items():
        parsed = item.params[key]
        assert (list(map(str, parsed)) if isinstance(value, list) else parsed) == \
            (list(map(str, value)) if isinstance(value, list) else value if not isinstance(parsed, Path) else Path(value)), key
    missing = {p.name for p in item.command.params} - set(recipe.options) - OPTIONAL
    assert not missing, f"{name} leaves {missing} to the command's defaults"


def _train(name: str) -> dict:
    return load_recipe(name).options


def test_recipes_hold_the_values_of_the_shipped_base_and_melody() -> None:
    base, train = _train("base"), MANIFEST["base"]["train"]
    assert base["minutes"] * 60 == train["time_budget_s"] and base["save_every"] * 60 == train["save_every_s"]
    for key, field in (("steps", "max_steps"), ("batch_tokens", "batch_tokens"), ("lr", "lr"),
                       ("warmup", "warmup_steps"), ("seed", "seed"), ("threads", "threads"),
                       ("eval_every", "eval_every")):
        assert base[key] == train[field], key
    from dataclasses import asdict

    from tunesmith.finetune.model import get_preset

    assert asdict(get_preset(base["size"])) == MANIFEST["base"]["model"]
    assert base["max_tokens"] == MANIFEST["base"]["max_tokens"]
    melody, entry = _train("melody"), MANIFEST["adapters"]["melody"]
    assert melody["minutes"] * 60 == entry["train"]["time_budget_s"] and melody["steps"] == entry["train"]["max_steps"]
    assert (melody["lr"], melody["batch_tokens"], melody["threads"]) == \
        (entry["train"]["lr"], entry["train"]["batch_tokens"], entry["train"]["threads"])
    assert (melody["rank"], 2 * melody["rank"]) == (entry["adapter"]["r"], entry["adapter"]["alpha"])
    assert _train("export")["adapter"] == [f"melody={melody['run']}"] and _train("export")["run"] == base["run"]


@pytest.mark.parametrize(("name", "adapter"), [("harmony", "harmony"), ("chat-3", "chat")])
def test_recipes_hold_the_values_of_the_shipped_adapters(name: str, adapter: str) -> None:
    options, entry = _train(name), MANIFEST["adapters"][adapter]
    train = entry["train"]
    assert options["minutes"] * 60 == train["time_budget_s"]
    assert (options["lr"], options["batch_tokens"], options["threads"]) == (train["lr"], train["batch_tokens"],
                                                                            train["threads"])
    assert options["rank"] == entry["adapter"]["r"]
    assert options.get("alpha", 2 * options["rank"]) == entry["adapter"]["alpha"]
    for key, field in (("steps", "max_steps"), ("warmup", "warmup_steps"), ("eval_every", "eval_every"),
                       ("log_every", "log_every"), ("batch_sequences", "batch_sequences")):
        if key in options:
            assert options[key] == train[field], key
    if adapter == "harmony":
        assert options["dropout"] == entry["adapter"]["dropout"]


def test_chat_stages_resume_one_run_and_the_router_follows() -> None:
    stages = [_train(f"chat-{k}") for k in (1, 2, 3)]
    assert [s["resume"] for s in stages] == [False, True, True]
    assert [s["minutes"] for s in stages] == [25, 55, 85] and [s["lr"] for s in stages] == [3e-3, 1.5e-3, 1.5e-3]
    assert len({s["run"] for s in stages}) == 1 and not any(s["router"] for s in stages)


def _defaults(function) -> dict:
    import inspect

    return {k: p.default for k, p in inspect.signature(function).parameters.items() if p.default is not p.empty}


def test_router_and_profiles_recipes_hold_the_defaults_that_built_the_shipped_files() -> None:
    from tunesmith.finetune.chat.router import build_router, train_router
    from tunesmith.finetune.corpus.profiles import build_profiles

    router, fit = _train("router"), _defaults(train_router)  # the shipped router.pt: build_router(folder)
    assert (router["seed"], router["count"]) == (_defaults(build_router)["seed"], _defaults(build_router)["count"])
    assert {k: router[k] for k in ("steps", "min_count", "lr", "weight_decay")} == \
        {k: fit[k] for k in ("steps", "min_count", "lr", "weight_decay")}
    profiles = _train("profiles")  # the shipped style_profiles.json: build_profiles' defaults
    assert {k: profiles[k] for k in ("min_count", "steps", "l2")} == \
        {k: _defaults(build_profiles)[k] for k in ("min_count", "steps", "l2")}


def test_dry_run_prints_the_commands_and_runs_nothing(tmp_path: Path) -> None:
    before = (Path(__file__).resolve().parents[1] / "checkpoints/default/manifest.json").stat().st_mtime
    result = CliRunner().invoke(train_app, ["run", "--dry-run", "harmony", "chat-2"])
    assert result.exit_code == 0, result.output
    assert "tunesmith train harmony checkpoints/default --data data/harmony --run runs/harmony --minutes 13" \
        in result.output
    assert "--lr 0.0015" in result.output and "--resume --no-router --no-progress" in result.output
    assert "notes 'chat' in checkpoints/default/manifest.json" in result.output
    assert (Path(__file__).resolve().parents[1] / "checkpoints/default/manifest.json").stat().st_mtime == before


@pytest.mark.parametrize(("body", "message"), [
    ('step = "finetune"\n', "names step 'finetune'"),
    ('step = "chat"\nspeed = 3\n', "unknown keys speed"),
    ('step = "chat"\n[options]\nlearning_rate = 0.1\n', "takes no option learning_rate"),
    ('step = "chat"\n[options]\nlr = "fast"\n', "Invalid value for '--lr'"),
    ('step = "chat"\n[options]\nresume = "yes"\n', "resume is true or false"),
    ('step = "adapter"\n[options]\nname = "melody"\n', "Missing argument"),
])
def test_a_bad_recipe_fails_before_anything_runs(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ModelError, match=message):
        plan(path)
    with pytest.raises(ModelError, match="no recipe 'nothing-like-it'"):
        plan("nothing-like-it")


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows = []
    for i in range(8):
        rng = random.Random(i)
        meter = Meter(6, 8) if i % 2 else Meter(3, 4)
        notes = tuple(Note(60 + rng.choice((0, 2, 4, 7)), k * 0.5, 0.5) for k in range(24))
        melody = Melody(notes=notes, meter=meter, key=KeySpec("C"), bars=4)
        style = "irish-jig" if i % 2 else "german-folk"
        rows.append(json.dumps(song_to_record(Song(melody=melody), record_id=f"t/{i}", source="test",
                                              styles=[style])))
    (folder / "train.jsonl").write_text("\n".join(rows) + "\n")
    return folder


def test_train_run_runs_a_recipe_and_notes_it_in_the_manifest(tmp_path: Path) -> None:
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "manifest.json").write_text(json.dumps({"adapters": {}, "files": {}, "total_bytes": 0}))
    recipe = tmp_path / "my-profiles.toml"
    recipe.write_text(f'step = "profiles"\ndescription = "tiny"\n[options]\ncorpus = "{_corpus(tmp_path / "c")}"\n'
                      f'out = "{checkpoint / "style_profiles.json"}"\nmin_count = 2\nsteps = 20\nl2 = 1e-3\n')
    result = CliRunner().invoke(train_app, ["run", str(recipe)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    [record] = manifest["recipes"]["style_profiles"]
    assert record["recipe"] == "my-profiles" and record["step"] == "profiles" and record["options"]["steps"] == 20
    assert record["command"].startswith("tunesmith train profiles --corpus ")
    assert manifest["files"]["style_profiles.json"] == (checkpoint / "style_profiles.json").stat().st_size


def _chorale(seed: int) -> dict:
    """A 4-bar record with a chord per beat (I IV V7 I), as `tunesmith harmony build` writes them."""
    from tunesmith.tokenization.music import ChordEvent

    rng = random.Random(seed)
    progression = [(7, "maj"), (0, "maj"), (2, "7"), (7, "maj")]
    notes = tuple(Note(60 + (progression[b // 4][0] + rng.choice((0, 4, 7))) % 12, float(b), 1.0) for b in range(16))
    chords = tuple(ChordEvent(f"x{b}", float(b), 1.0, "I") for b in range(16))
    song = Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("G")), chords=chords, style="bach-chorale")
    return song_to_record(song, record_id=f"h/{seed}", source="test", styles=["bach-chorale"],
                          chord_roots=[progression[b // 4][0] for b in range(16)],
                          chord_qualities=[progression[b // 4][1] for b in range(16)])


def test_train_harmony_is_a_command_a_recipe_runs(tmp_path: Path, make_tiny_checkpoint) -> None:
    checkpoint = make_tiny_checkpoint(tmp_path / "ckpt", half=False)
    (checkpoint / "manifest.json").write_text(json.dumps({"adapters": {}, "files": {}, "total_bytes": 0}))
    data = tmp_path / "harmony"
    data.mkdir()
    for split, seeds in (("train", range(4)), ("valid", range(4, 5))):
        (data / f"{split}.jsonl").write_text("".join(json.dumps(_chorale(s)) + "\n" for s in seeds))
    recipe = tmp_path / "tiny-harmony.toml"
    recipe.write_text(f'step = "harmony"\n[options]\nbase = "{checkpoint}"\ndata = "{data}"\n'
                      f'run = "{tmp_path / "run"}"\n'
                      'steps = 2\neval_every = 1\nlog_every = 1\nbatch_tokens = 1024\nwarmup = 1\nprogress = false\n')
    result = CliRunner().invoke(train_app, ["run", str(recipe)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    assert manifest["adapters"]["harmony"]["step"] == 2 and manifest["adapters"]["harmony"]["adapter"]["r"] == 16
    assert manifest["recipes"]["harmony"][0]["recipe"] == "tiny-harmony"
    assert "adapters/harmony/adapter_model.safetensors" in manifest["files"]
