"""Which words show that a lyric line is on its theme: the drafters rank by them, the evals count them."""

from __future__ import annotations

from . import en
from . import zh
from .lexicon import match_themes


def theme_hints(theme: str, lang: str) -> set[str]:
    """Words (en) or characters (zh) that show a line is on the theme: the theme's own and its table's.

    >>> sorted(theme_hints("离家", "zh")), "home" in theme_hints("leaving home", "en")
    (['家', '离'], True)
    """
    table = match_themes(theme)
    if lang == "zh":
        return set(zh.han_chars(theme)) | {c for t in table for c in t.han}
    own = {w.lower() for w in en.words_of(theme) if not en.is_function(w)}
    return own | {w for t in table for w in (*t.nouns, *t.adjectives)}
