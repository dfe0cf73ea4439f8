"""Text adapters: sequence format, target-only loss, training a few steps, constrained decoding."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tunesmith.finetune.text import adapter as ta  # noqa: E402
from tunesmith.finetune.runtime import load_runtime  # noqa: E402
from tunesmith.finetune.train import TrainConfig  # noqa: E402
from tunesmith.tokenization.codec import MusicCodec, default_codec  # noqa: E402

PAIRS = [("say hi", "hi"), ("say yes", "yes"), ("说你好", "你好"), ("count", "one two")]


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, make_tiny_checkpoint) -> tuple[Path, dict]:
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("text-ckpt"), half=False)
    state = ta.train_text_adapter(
        folder, lambda rng: PAIRS * 8, name="chat", task="chat", run_dir=folder / "run", valid_pairs=PAIRS,
        show_progress=False,
        config=TrainConfig(max_steps=40, eval_every=20, log_every=10, lr=1e-2, warmup_steps=2, threads=1,
                           batch_tokens=512, weight_decay=0.0))
    return folder, state


def test_sequence_layout(codec: MusicCodec) -> None:
    seq = ta.text_sequence(codec, task="lyrics", prompt="ab", target="c")
    assert seq[:3] == [codec.bos_id, codec.token_to_id("TASK_lyrics"), codec.text_id]
    assert seq[-1] == codec.eos_id and seq.count(codec.sep_id) == 1
    assert codec.decode_text(seq[3:5]) == "ab" and codec.decode_text(seq[6:7]) == "c"
    with pytest.raises(ta.ModelError):
        ta.text_prompt_ids(codec, task="poetry", prompt="x")


def test_loss_counts_target_only(codec: MusicCodec) -> None:
    ids = torch.tensor([ta.text_sequence(codec, task="chat", prompt="xyz", target="ok")])
    labels = ta.target_only_labels(ids, ids.clone(), sep_id=codec.sep_id)
    kept = labels[labels != -100].tolist()
    assert kept == [*codec.ids(codec.encode_text("ok")), codec.eos_id]


def test_utf8_next_keeps_text_valid() -> None:
    two = "é".encode()
    assert set(ta.utf8_next(two[:1])) == set(range(0x80, 0xC0))
    assert ta.END in ta.utf8_next(two) and 0xC3 in ta.utf8_next(b"")
    assert ta.END not in ta.utf8_next("你".encode()[:2])


def test_training_learns_and_saves(checkpoint, codec: MusicCodec) -> None:
    folder, state = checkpoint
    assert state["step"] == 40
    assert (folder / "adapters" / "chat" / "adapter_config.json").is_file()
    assert (folder / "adapters" / "chat" / ta.TRAINING_FILE).is_file()
    with load_runtime(folder).session("chat") as active:
        scores = ta.score_text(active.model, codec, task="chat", prompt="say hi", targets=["hi", "zzzz"])
    assert scores[0] > scores[1]  # 40 steps on four pairs are enough to prefer the seen answer


def test_constrained_decoding_follows_the_constraint(checkpoint, codec: MusicCodec) -> None:
    words = [b"yes", b"no"]

    def allowed(prefix: bytes):
        nxt = {w[len(prefix)] for w in words if w.startswith(prefix) and len(w) > len(prefix)}
        return nxt | ({ta.END} if prefix in words else set())

    with load_runtime(checkpoint[0]).session("chat") as active:
        for seed in range(4):
            out = ta.generate_text(active.model, codec, task="chat", prompt="say yes", allowed=allowed,
                                   temperature=1.0, seed=seed)
            assert out in ("yes", "no")
        free = ta.generate_text(active.model, codec, task="chat", prompt="说你好", max_new_tokens=12,
                                temperature=1.0, seed=1)
        same = [ta.generate_text(active.model, codec, task="chat", prompt="count", temperature=0.8, seed=5,
                                 max_new_tokens=10) for _ in range(2)]
    free.encode("utf-8")  # never broken UTF-8
    assert "\ufffd" not in free or len(free.encode()) >= 12
    assert same[0] == same[1]


def test_pairs_source_is_redrawn_per_epoch(codec: MusicCodec) -> None:
    source = ta.TextPairs(lambda rng: [("p", "t" * (1 + (rng.randint(0, 3) if rng else 0)))], codec, "chat")
    assert len(source.sequences(None)) == 1
    lengths = {len(source.sequences(random.Random(i))[0]) for i in range(10)}
    assert len(lengths) > 1


def test_doctests() -> None:
    import doctest

    assert doctest.testmod(ta).failed == 0


def test_text_pieces_read_a_prompt_in_bpe_pieces_on_spare_rows(codec: MusicCodec, tmp_path) -> None:
    from tunesmith.finetune.text import pieces as text_pieces
    from tunesmith.finetune.text.pieces import PieceTable, spare_ids

    assert doctest_failures(text_pieces) == 0
    texts = ["write a jig in D minor", "写一段歌词", "write lyrics about home"] * 20
    table = PieceTable.build(codec, texts, size=30)
    spare, byte_ids = set(spare_ids(codec)), set(codec.byte_of)
    assert codec.text_id not in spare and not spare & byte_ids
    assert set(table.ids) <= spare | byte_ids and len(set(table.ids)) == len(table.ids)
    ids = ta.text_prompt_ids(codec, task="chat", prompt="write a jig", pieces=table)
    body = ids[3:-1]
    assert ids[:3] == [codec.bos_id, codec.token_to_id("TASK_chat"), codec.text_id] and ids[-1] == codec.sep_id
    assert len(body) <= 3 and set(body) <= spare  # three frequent words, three (or fewer) pieces
    odd = table.encode(codec, "Ünïcode ✓ 9/8")  # never seen: falls back to byte tokens, nothing is lost
    assert odd and set(odd) <= spare | byte_ids
    assert PieceTable.load(table.save(tmp_path).parent) == table
    assert PieceTable.load(tmp_path).encode(codec, "写一段歌词") == table.encode(codec, "写一段歌词")
    with pytest.raises(ta.ModelError):
        PieceTable.load(tmp_path / "missing")


def doctest_failures(module: object) -> int:
    import doctest

    return doctest.testmod(module).failed


def test_an_adapter_that_writes_pieces_still_obeys_the_constraint(checkpoint, codec: MusicCodec) -> None:
    from tunesmith.finetune.text.pieces import PieceTable

    table = PieceTable.build(codec, ["the river runs", "the rain", "你好你好"] * 20, size=20, targets=True)
    assert ta.text_sequence(codec, task="lyrics", prompt="x", target="the river", pieces=table)[-3:] == [
        *table.encode(codec, "the river"), codec.eos_id]
    assert len(table.encode(codec, "the river")) < len("the river")  # written in pieces, not bytes
    lines = [b"the river", b"the rain", "你好".encode()]

    def allowed(prefix: bytes):
        nxt = {w[len(prefix)] for w in lines if w.startswith(prefix) and len(w) > len(prefix)}
        return nxt | ({ta.END} if prefix in lines else set())

    with load_runtime(checkpoint[0]).session("chat") as active:
        outs = {ta.generate_text(active.model, codec, task="lyrics", prompt="x", allowed=allowed, temperature=1.5,
                                 seed=seed, pieces=table) for seed in range(12)}
        scores = ta.score_text(active.model, codec, task="lyrics", prompt="x", targets=["the rain"], pieces=table)
    assert outs and outs <= {"the river", "the rain", "你好"}
    assert len(scores) == 1 and scores[0] < 0
