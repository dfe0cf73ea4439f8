"""The chat model's text: one prompt format for training and for decoding, and calls as pieces.

The chat LoRA on the pretrained base reads a plain transcript, short enough for two CPU cores:

    tunesmith, a songwriting assistant.
    Song: 8 bars in D major, 6/8, dotted quarter = 116, 8 chords, no lyrics. Settings: style irish-jig.
    Person: add chords
    Call: recommend_chords
    Result: Chords in D major, one chord per bar: | D | G | ...
    Reply: Here are chords in D major, one per bar.
    Person: change the chord in bar 3 to F
    Call: change_chord bar=3; chord=F;

and writes the next line: a "Call:" (a tool and its arguments) or a "Reply:".  A call is built
from pieces (" change_chord", " bar=", "3;", " chord=", "F;", end) that are tokenized one by one,
here and when decoding, so the constrained decoder (chat_decode) offers exactly the token
sequences the model was trained on.  Nothing here knows music: the tool names, argument names and
value strings come from the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HEADER = "tunesmith, a songwriting assistant."
PERSON, CALL, RESULT, REPLY = "Person:", "Call:", "Result:", "Reply:"
END_CALL = "\n"  # the piece that ends a call (after its last value)
MAX_RESULT_CHARS = 720  # of a tool result of this turn in the transcript (a style card, a 32-bar chart)
MAX_TEXT_CHARS = 400  # of a person's message or an earlier reply


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call: its name and its arguments in the contract's order, values as text."""

    name: str
    args: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        """'change_chord bar=3; chord=F;' (the line after 'Call:')."""
        return "".join(call_pieces(self)).strip()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One person's turn: the message, the calls made with their results, and the reply."""

    person: str
    calls: tuple[tuple[Call, str], ...] = ()
    reply: str = ""


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the model reads: the song line, earlier exchanges and the current one so far."""

    song: str
    settings: str
    history: tuple[Exchange, ...] = ()
    person: str = ""
    done: tuple[tuple[Call, str], ...] = field(default_factory=tuple)  # calls of this turn, with results


def value_text(value: Any) -> str:
    """A value as a call writes it: one line, no ';' (it ends a value)."""
    return " ".join(str(value).replace(";", ",").split())


def call_pieces(call: Call) -> list[str]:
    """The pieces of a call as they are tokenized: name, then ' arg=' and 'value;' pairs, the end."""
    pieces = [f" {call.name}"]
    for name, value in call.args:
        pieces += [f" {name}=", f"{value_text(value)};"]
    return pieces + [END_CALL]


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def render(transcript: Transcript) -> str:
    """The prompt up to the point where the model writes the next line (ends with a newline)."""
    lines = [HEADER, f"Song: {transcript.song}. Settings: {transcript.settings}."]
    for exchange in transcript.history:
        lines.append(f"{PERSON} {_cut(exchange.person, MAX_TEXT_CHARS)}")
        for call, result in exchange.calls:
            lines.append(f"{CALL} {call.text()}")
            lines.append(f"{RESULT} {_cut(result, MAX_RESULT_CHARS // 2)}")
        if exchange.reply:
            lines.append(f"{REPLY} {_cut(exchange.reply, MAX_TEXT_CHARS // 2)}")
    lines.append(f"{PERSON} {_cut(transcript.person, MAX_TEXT_CHARS)}")
    for call, result in transcript.done:
        lines.append(f"{CALL} {call.text()}")
        lines.append(f"{RESULT} {_cut(result, MAX_RESULT_CHARS)}")
    return "\n".join(lines) + "\n"


class Pieces:
    """Token ids of pieces, cached (the decoder asks for the same pieces every turn)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self._ids: dict[str, tuple[int, ...]] = {}

    def ids(self, piece: str) -> tuple[int, ...]:
        if piece not in self._ids:
            self._ids[piece] = tuple(self.tokenizer.encode(piece, add_special_tokens=False))
        return self._ids[piece]

    def prompt(self, transcript: Transcript) -> list[int]:
        bos = [self.tokenizer.bos_token_id] if self.tokenizer.bos_token_id is not None else []
        return bos + list(self.tokenizer.encode(render(transcript), add_special_tokens=False))

    def call(self, call: Call) -> list[int]:
        """'Call:' and the call's pieces, as the decoder produces them."""
        out = list(self.ids(CALL))
        for piece in call_pieces(call):
            out += self.ids(piece)
        return out

    def reply(self, text: str) -> list[int]:
        """'Reply:' and the reply's text with its newline."""
        return list(self.ids(REPLY)) + list(self.ids(" " + " ".join(text.split()))) + list(self.ids("\n"))


def target_ids(pieces: Pieces, target: Call | str) -> list[int]:
    """The ids the model learns to write after a prompt: a call, or a reply."""
    return pieces.call(target) if isinstance(target, Call) else pieces.reply(target)


def transcript_with(transcript: Transcript, *, history: Sequence[Exchange]) -> Transcript:
    return Transcript(song=transcript.song, settings=transcript.settings, history=tuple(history),
                      person=transcript.person, done=transcript.done)
