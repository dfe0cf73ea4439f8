"""The action layer: one function per operation on a song, shared by every front end.

An action takes the song state (the current song and the person's settings), a Context
(where files go, which models to use) and the tool's arguments exactly as the tool contract
(prompts/tools.toml) declares them, and returns an Outcome: the new state, the files, the
summary the chat model reads and the findings.  The one-shot CLI commands, the agent's
tools, `run`, `batch` and `chat` are thin wrappers over these functions, so the same
arguments and seed give the same files whichever way a person asks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .base import Context, Outcome


def actions() -> Mapping[str, Callable[..., Outcome]]:
    """Tool name -> action, for every tool of the contract (imported lazily: music21 is slow)."""
    from . import chords, lyrics, melody, song

    return {"set_style": melody.set_style, "generate_melody": melody.generate_melody,
            "continue_melody": melody.continue_melody, "regenerate_bars": melody.regenerate_bars,
            "vary_melody": melody.vary_melody, "recommend_chords": chords.recommend_chords,
            "write_lyrics": lyrics.write_lyrics, "check_theory": song.check_theory,
            "analyze_melody": song.analyze_melody, "export_song": song.export_song}


__all__ = ["Context", "Outcome", "actions"]
