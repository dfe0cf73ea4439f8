"""Latency of the embedded chat model (the base with the chat LoRA), warm, against HF `generate`.

    python -m tunesmith.eval.bench_chat [--threads 2] [--repeats 3] [--out eval/results/bench_chat.json]

The model's own time in a turn, tools excluded (eval/ may not import agent/, so the calls'
value spaces are written out here as the agent would build them):
- a turn with one tool call = the call (the decoder's walk through the grammar) + the reply after
  the tool's result;
- a plain answer = a reply with no tool, timed per answer and per 40 tokens.
The peer, in the same run: HF `generate` of the same merged model (greedy, 40 new tokens, the
same prompt), the way a local HF folder would be driven.  Repeats are interleaved; the load
average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SONG = "8 bars in D major, 6/8, dotted quarter = 116, 8 chords, no lyrics"
RESULT = ("Bar 3 is now F (was G). Chords: | D | G | F | A7 | D | G | A7 | D |. "
          "Files: songs/x/004-chords.mid, songs/x/004-chords.musicxml, songs/x/004-chords.abc")
CASES = (  # (language, message, tools and their offered values, the result the reply follows)
    ("en", "change the chord in bar 3 to F", {"change_chord": {"bar": ["3"], "chord": ["F"]},
                                              "recommend_chords": {}, "describe_song": {}}, RESULT),
    ("en", "transpose it to G", {"transpose": {"key": ["G"]}, "change_mode": {}, "describe_song": {}},
     "Moved the song from D major to G major (up 5 semitones); chords and lyrics kept. Files: songs/x/005.mid"),
    ("zh", "把第3小节的和弦换成F", {"change_chord": {"bar": ["3"], "chord": ["F"]}, "describe_song": {}}, RESULT),
    ("zh", "速度快一点", {"change_tempo": {"tempo": ["+15%", "-13%"]}, "describe_song": {}},
     "The song is now dotted quarter = 133, 6/8 (was dotted quarter = 116, 6/8); 8 bars kept. Files: songs/x/006.mid"),
)
QUESTIONS = (("en", "what's the difference between a jig and a reel?"), ("en", "thanks, that's lovely"),
             ("zh", "谢谢！"), ("zh", "吉格舞曲和里尔舞曲有什么区别？"))
NEW_TOKENS = 40


def _space(tools: dict[str, dict[str, list[str]]]) -> Any:
    from ..finetune.lm.chat_decode import Space
    from ..tokenization.contract import contract

    c = contract()
    return Space(tools={t: c.tool(t).arg_names for t in tools},
                 required={t: tuple(a.name for a in c.tool(t).args if a.required) for t in tools},
                 values={k: tuple(v) for spec in tools.values() for k, v in spec.items()})


def _timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.eval.bench_chat", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "default"))
    parser.add_argument("--out", default=str(ROOT / "eval" / "results" / "bench_chat.json"))
    args = parser.parse_args(argv)
    import torch

    from ..finetune.lm.chat_decode import Space
    from ..finetune.lm.chat_format import Call, Transcript
    from ..tools.actions.models import Models

    torch.set_num_threads(args.threads)
    models = Models(Path(args.checkpoint), lm_cache=Path("~/.cache/tunesmith").expanduser())
    load_s, decoder = _timed(models.chat_decoder)
    turns, answers, per40, hf40, calls = [], [], [], [], []
    hf = _hf_model(models)
    for _ in range(args.repeats):
        for lang, text, tools, result in CASES:
            decoder.lean.forget_prefixes()  # every turn prefills its own prompt
            transcript = Transcript(song=SONG, settings="style irish-jig", person=text)
            call_s, lines = _timed(lambda: decoder.next_line(transcript, _space(tools)))
            call = lines[0].call or Call("none")
            after = Transcript(song=SONG, settings="style irish-jig", person=text, done=((call, result),))
            reply_s, reply = _timed(lambda: decoder.next_line(after, Space(tools={})))
            turns.append(call_s + reply_s)
            calls.append({"lang": lang, "text": text, "call": call.text(), "reply": reply[0].reply,
                          "call_s": round(call_s, 3), "reply_s": round(reply_s, 3)})
        for lang, text in QUESTIONS:
            decoder.lean.forget_prefixes()
            transcript = Transcript(song=SONG, settings="style irish-jig", person=text)
            seconds, lines = _timed(lambda: decoder.next_line(transcript, Space(tools={})))
            tokens = max(1, len(decoder.lean.tokenizer.encode(lines[0].reply, add_special_tokens=False)))
            answers.append(seconds)
            per40.append(seconds * NEW_TOKENS / tokens)
            calls.append({"lang": lang, "text": text, "reply": lines[0].reply, "reply_s": round(seconds, 3),
                          "tokens": tokens})
            if hf is not None:
                hf40.append(_hf_generate(hf, decoder, transcript))
    out = {"threads": args.threads, "repeats": args.repeats, "load_average": os.getloadavg()[0],
           "load_s": round(load_s, 2),
           "turn_one_call_p50_s": round(statistics.median(turns), 3), "turn_one_call_p90_s": _p90(turns),
           "plain_answer_p50_s": round(statistics.median(answers), 3),
           "plain_answer_per_40_tokens_p50_s": round(statistics.median(per40), 3),
           "hf_generate_40_tokens_p50_s": round(statistics.median(hf40), 3) if hf40 else None,
           "examples": calls[:len(CASES) + len(QUESTIONS)]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "examples"}, indent=1))
    return 0


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3)


def _hf_model(models: Any) -> Any:
    """The same merged model in transformers (the peer), or None when it cannot be loaded."""
    from ..finetune.lm.base import get_base, load_base, merge_adapter

    try:
        spec = get_base((models.lm_settings() or {}).get("base"))
        model, _ = load_base(spec, models.lm_cache)
        return merge_adapter(model, models.chat_adapter).eval()
    except Exception as err:  # noqa: BLE001 - the peer is optional; say why it is missing
        print(f"no HF peer: {type(err).__name__}: {err}")
        return None


def _hf_generate(model: Any, decoder: Any, transcript: Any) -> float:
    import torch

    ids = torch.tensor([decoder.pieces.prompt(transcript) + list(decoder.pieces.ids("Reply:"))])
    started = time.perf_counter()
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
