"""Decode the chat model's next line under a grammar: a valid call of an offered tool, or a reply.

The caller (agent/call_space.py) says which tools may be called and which value texts each
argument may take (only values the person stated or the song state holds); this module knows
nothing of music.  A call is a walk through choices (Call or Reply; which tool; the next argument
or the end; its value), each choice a greedy walk down a token trie of its options, scored by the
model on a head of the options' rows only: every call that comes out is well formed and every
value is one the caller allowed.  Required arguments come first (offered alone until given).
A reply is sampled from the rows of the replies the LoRA was trained on plus the prompt's own
tokens (so names, numbers and Chinese characters of the result can be copied), until a newline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .chat_format import CALL, END_CALL, REPLY, Call, Pieces, Transcript, value_text


@dataclass(frozen=True, slots=True)
class Space:
    """What the next call may be: tool -> its argument names (contract order) and required ones;
    argument -> the value texts it may take (an argument with none is not offered)."""

    tools: Mapping[str, tuple[str, ...]]
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reply: bool = True  # a plain reply is allowed
    known: tuple[str, ...] = ()  # every tool the model may want, offered now or not (rivals of the offered)


@dataclass(frozen=True, slots=True)
class Line:
    """The decoded line: a call, or a reply's text; its log-probability for the record."""

    call: Call | None
    reply: str
    logprob: float


class _Trie:
    """Token sequences of the options of one choice."""

    def __init__(self, options: Sequence[tuple[int, ...]]) -> None:
        self.options = list(options)
        self.rows = frozenset(t for option in options for t in option)

    def allowed(self, done: tuple[int, ...]) -> frozenset[int]:
        n = len(done)
        nxt = {o[n] for o in self.options if len(o) > n and o[:n] == done}
        return frozenset(nxt)

    def which(self, done: tuple[int, ...]) -> int:
        for index, option in enumerate(self.options):
            if option == done:
                return index
        raise ValueError("the walk left the trie")  # cannot happen: allowed() only offers trie tokens


SCORED = 40  # choices with up to this many options are scored whole
REPLY_ROWS = "reply_rows.json"  # beside the adapter: the token ids its replies were trained on


def _forced(option: tuple[int, ...], done: tuple[int, ...]) -> frozenset[int]:
    return frozenset((option[len(done)],)) if len(done) < len(option) else frozenset()


class ChatDecoder:
    """The chat LoRA's lean model behind `next_line` (see the module docstring)."""

    def __init__(self, lean: Any, *, reply_rows: frozenset[int], max_reply: int = 64) -> None:
        self.lean = lean
        self.pieces = Pieces(lean.tokenizer)
        self.newline = self.pieces.ids("\n")[-1]
        self.reply_rows = frozenset(reply_rows) | {self.newline}
        self.max_reply = max_reply

    def _choose(self, prompt: list[int], options: Sequence[str], *,
                rivals: Sequence[str] = ()) -> tuple[int, list[int], float]:
        """Index of the option the model prefers, its ids, its log-probability.  Up to SCORED options
        are each scored whole (one batch, every token forced), against `rivals` too: options the
        grammar does not offer now but the model may want (a tool whose argument nobody stated), so
        that their probability does not flow into an offered option that shares their first token.
        Returns -1 as the index when a rival wins.  More options: a greedy walk down their trie."""
        ids = [self.pieces.ids(o) for o in options]
        if len(options) == 1 and not rivals:
            return 0, list(ids[0]), 0.0
        if len(options) + len(rivals) <= SCORED:
            everything = ids + [self.pieces.ids(r) for r in rivals if r not in options]
            rows = frozenset(t for option in everything for t in option)
            drafts = self.lean.sample(prompt, allowed=lambda k, done: _forced(everything[k], done), rows=rows,
                                      end=-1, count=len(everything), max_new=max(len(o) for o in everything),
                                      seed=0, temperature=0.0)
            scores = [d.logprob for d in drafts]
            best = max(range(len(everything)), key=scores.__getitem__)
            if best >= len(ids):
                return -1, [], scores[best]
            return best, list(ids[best]), scores[best]
        trie = _Trie(ids)
        [draft] = self.lean.sample(prompt, allowed=lambda k, done: trie.allowed(done), rows=trie.rows,
                                   end=-1, count=1, max_new=max(len(o) for o in ids), seed=0, temperature=0.0)
        return trie.which(draft.tokens), list(draft.tokens), draft.logprob

    def next_line(self, transcript: Transcript, space: Space, *, seed: int = 0, replies: int = 1,
                  temperature: float = 0.0) -> list[Line]:
        """The next line: one call, or `replies` reply candidates (the first greedy when temperature
        is 0, the others sampled) for a caller that checks them against the facts."""
        prompt = self.pieces.prompt(transcript)
        tools = [t for t in space.tools if t]
        kinds = ([CALL] if tools else []) + ([REPLY] if space.reply or not tools else [])
        index, ids, score = self._choose(prompt, kinds)
        if kinds[index] == REPLY:
            return self.replies(prompt + ids, count=replies, seed=seed, temperature=temperature, base=score)
        prompt = prompt + ids
        rivals = [f" {t}" for t in space.known if t not in tools]
        index, ids, s = self._choose(prompt, [f" {t}" for t in tools], rivals=rivals)
        if index < 0:  # the model wants a tool it cannot call yet (a value is missing): it replies instead
            prompt = self.pieces.prompt(transcript) + list(self.pieces.ids(REPLY))
            return self.replies(prompt, count=replies, seed=seed, temperature=temperature)
        name, prompt, score = tools[index], prompt + ids, score + s
        remaining = [a for a in space.tools[name] if space.values.get(a)]
        args: list[tuple[str, str]] = []
        while True:
            required = [a for a in space.required.get(name, ()) if a in remaining]
            offered = required or remaining
            options = [f" {a}=" for a in offered] + ([] if required else [END_CALL])
            unstated = [f" {a}=" for a in space.tools[name] if not space.values.get(a)]  # nobody stated these
            index, ids, s = self._choose(prompt, options, rivals=[] if required else unstated)
            if index < 0:  # an argument nobody stated: the call ends here
                index, ids, s = len(offered), list(self.pieces.ids(END_CALL)), 0.0
            prompt, score = prompt + ids, score + s
            if index == len(offered):
                break
            arg = offered[index]
            values = list(dict.fromkeys(value_text(v) for v in space.values[arg]))
            index, ids, s = self._choose(prompt, [f"{v};" for v in values])
            prompt, score = prompt + ids, score + s
            args.append((arg, values[index]))
            remaining.remove(arg)
            if not remaining:
                break
        order = space.tools[name]
        args.sort(key=lambda pair: order.index(pair[0]))
        return [Line(Call(name, tuple(args)), "", score)]

    def more_replies(self, transcript: Transcript, *, count: int, seed: int, temperature: float = 0.7) -> list[Line]:
        """Sampled replies for the same point of the conversation (when the greedy one was wrong)."""
        prompt = self.pieces.prompt(transcript) + list(self.pieces.ids(REPLY))
        return self.replies(prompt, count=count, seed=seed, temperature=temperature)

    def replies(self, prompt: list[int], *, count: int, seed: int, temperature: float, base: float = 0.0) -> list[Line]:
        """Reply candidates after 'Reply:': the prompt's own tokens and the trained reply rows."""
        rows = self.reply_rows | frozenset(prompt) - {self.lean.tokenizer.bos_token_id}
        out: list[Line] = []
        greedy = self.lean.sample(prompt, allowed=lambda k, done: rows, rows=rows, end=self.newline, count=1,
                                  max_new=self.max_reply, seed=seed, temperature=0.0) if temperature <= 0 else []
        drawn = self.lean.sample(prompt, allowed=lambda k, done: rows, rows=rows, end=self.newline,
                                 count=count - len(greedy), max_new=self.max_reply, seed=seed,
                                 temperature=temperature or 0.7) if count > len(greedy) else []
        for draft in (*greedy, *drawn):
            text = self.lean.tokenizer.decode(list(draft.tokens)).strip()
            out.append(Line(None, text, base + draft.logprob))
        return out


def reply_rows(tokenizer: Any, *, cache: Any = None, count: int = 4000, answer: Any = None) -> frozenset[int]:
    """The token ids of the replies the chat LoRA was trained on (its training data is synthetic and
    seeded, so they are rebuilt here, with the same knowledge `answer` as the trainer), kept in
    `cache` once computed."""
    import hashlib
    import pickle
    from pathlib import Path

    from .chat_data import samples

    here = Path(__file__)
    source = b"".join(here.with_name(name).read_bytes() for name in
                      ("chat_dialogs.toml", "chat_data.py", "chat_slots.py", "chat_results.py"))
    key = hashlib.sha256(source + f"{count} {answer is not None}".encode()).hexdigest()[:16]
    path = Path(cache).expanduser() / f"chat-reply-rows-{key}.pkl" if cache is not None else None
    if path is not None and path.is_file():
        try:
            return frozenset(pickle.loads(path.read_bytes()))
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            pass
    rows = reply_token_rows(tokenizer, samples(seed=0, count=count, answer=answer))
    if path is not None:
        try:
            path.write_bytes(pickle.dumps(sorted(rows)))
        except OSError:
            pass
    return frozenset(rows)


def reply_token_rows(tokenizer: Any, items: Any) -> frozenset[int]:
    """The token ids of the replies (targets that are text) among chat training samples."""
    return frozenset(t for item in items if isinstance(item.target, str)
                     for t in tokenizer.encode(" " + item.target, add_special_tokens=False))


def load_reply_rows(adapter: Any) -> frozenset[int] | None:
    """The rows train_chat.save_reply_rows wrote beside the adapter, or None for an adapter trained
    before they were kept (then reply_rows rebuilds them)."""
    import json
    from pathlib import Path

    try:
        data = json.loads((Path(adapter) / REPLY_ROWS).read_text(encoding="utf-8"))
        return frozenset(int(t) for t in data["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
