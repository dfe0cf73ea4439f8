"""Synthetic multi-turn dialogues for the chat LoRA on the pretrained base (English and Chinese).

Each sample is a transcript (a song line, 0-2 earlier exchanges, the person's message, maybe the
calls already made this turn with their results) and the line the model must write next: a
Call (tool and the arguments the message states, in the contract's order) or a Reply.  Kinds:
a request and its call; a question or chat and its reply; a call's result and the reply that
reports it (its facts copied from the result, in the person's language); follow-ups whose value
comes from an earlier message ("and bar 4 too").  The wording of the edit and question tools is
chat_dialogs.toml; the earlier tools reuse the contract-era templates and results of
finetune/chat (data.request, results.result_and_reply) until that package is retired.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .chat_format import Call, Exchange, Transcript
from .chat_results import Answer, new_result
from .chat_slots import NEW_WEIGHTS, OLD_TOOLS, OLD_WEIGHTS, FakeSong, _bar, _pick, dialogs, fake_song, new_request, ordered


@dataclass(frozen=True, slots=True)
class Sample:
    """One training example: what the model reads and the line it writes."""

    lang: str
    kind: str  # call, reply, result
    transcript: Transcript
    target: Call | str


def _request(rng: random.Random, tool: str, lang: str, song: FakeSong) -> tuple[str, dict]:
    if tool in OLD_TOOLS:
        from ..chat.data import request

        return request(rng, tool, lang, genres=True)
    return new_request(rng, tool, lang, song)


def _result(rng: random.Random, tool: str, args: dict, lang: str, song: FakeSong,
            answer: Answer | None = None) -> tuple[str, str] | None:
    if tool in OLD_TOOLS:
        from ..chat.results import LYRICS_MISSING, result_and_reply

        result, reply = result_and_reply(rng, tool, args, lang)
        if LYRICS_MISSING in result or "verovio is not installed" in result:
            return None
        return result.split(": ", 1)[1] if result.startswith(f"{tool}: ") else result, reply
    return new_result(rng, tool, args, lang, song, answer)


def _tool(rng: random.Random) -> str:
    weights = {**OLD_WEIGHTS, **NEW_WEIGHTS}
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _chat(rng: random.Random, lang: str) -> tuple[str, str]:
    """A plain message and its reply (the groups chat_dialogs.toml [plain] keeps)."""
    from ..chat.replies import REPLIES

    keep = set(dialogs()["plain"][lang])
    groups = [g for g in REPLIES[lang] if g[0][0] in keep]
    users, replies = _pick(rng, groups)
    return _pick(rng, users), _pick(rng, replies)


def _exchange(rng: random.Random, lang: str, song: FakeSong, answer: Answer | None = None) -> Exchange:
    """An earlier exchange: a request, its call and result (cut), the reply."""
    if rng.random() < 0.15:
        text, reply = _chat(rng, lang)
        return Exchange(text, (), reply)
    tool = _tool(rng)
    text, args = _request(rng, tool, lang, song)
    done = _result(rng, tool, args, lang, song, answer)
    if done is None:
        return Exchange(text, (), "")
    clean = {k: v for k, v in args.items() if not k.startswith("_")}
    return Exchange(text, ((ordered(tool, clean), done[0]),), done[1])


def sample(rng: random.Random, lang: str, *, answer: Answer | None = None) -> Sample:
    """One training sample (see the module docstring)."""
    song = fake_song(rng, lang=lang)
    history = tuple(_exchange(rng, lang, song, answer) for _ in range(_pick(rng, (0, 0, 1, 1, 2))))
    line = song.line() if rng.random() > 0.1 else "no melody yet"
    base = dict(song=line, settings=f"style {song.style}" if song.style else "nothing set yet", history=history)
    r = rng.random()
    if r < 0.12:
        text, reply = _chat(rng, lang)
        return Sample(lang, "reply", Transcript(person=text, **base), reply)
    if r < 0.18:  # a follow-up that takes its chord from the message before
        first_text, first = new_request(rng, "change_chord", lang, song)
        first_call = ordered("change_chord", first)
        result = new_result(rng, "change_chord", first, lang, song)
        bar_text, bar = _bar(rng, lang, song.bars)
        follow_text = _pick(rng, dialogs()[lang]["change_chord_follow"]).format(bar=bar_text)
        call = ordered("change_chord", {"bar": bar, "chord": first["chord"]})
        earlier = (*history[-1:], Exchange(first_text, ((first_call, result[0]),), result[1]))
        return Sample(lang, "call", Transcript(person=follow_text, **{**base, "history": earlier}), call)
    tool = _tool(rng)
    text, args = _request(rng, tool, lang, song)
    clean = {k: v for k, v in args.items() if not k.startswith("_")}
    call = ordered(tool, clean)
    if r < 0.72:
        return Sample(lang, "call", Transcript(person=text, **base), call)
    done = _result(rng, tool, args, lang, song, answer)
    if done is None:
        return Sample(lang, "call", Transcript(person=text, **base), call)
    return Sample(lang, "result", Transcript(person=text, done=((call, done[0]),), **base), done[1])




def samples(*, seed: int, count: int, zh_share: float = 0.4, answer: Answer | None = None) -> list[Sample]:
    """`count` samples, the same for the same seed and knowledge.  `answer` gives music_knowledge's real
    facts (the trainer passes tools/knowledge in: the model layer may not import tools); without it the
    results are placeholders of the same shape."""
    rng = random.Random(seed)
    return [sample(rng, "zh" if rng.random() < zh_share else "en", answer=answer) for _ in range(count)]
