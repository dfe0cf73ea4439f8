"""The style labels tunesmith knows: corpus labels, how people name them, and a default meter.

A style is a lowercase slug.  Genres hang under their parent (`chinese-han-xiaodiao` is
a `chinese-han`).  The corpus builder assigns these labels; the codec makes one control
token per label; the CLI accepts the slugs and a few aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import MusicValueError


@dataclass(frozen=True, slots=True)
class Style:
    """One style label and what it usually sounds like."""

    name: str
    description: str
    meter: str
    tempo: int
    parent: str | None = None


STYLES: tuple[Style, ...] = (
    Style("german-folk", "German and Central-European folk song (Essen collection)", "3/4", 100),
    Style("lorraine-folk", "Folk songs from Lorraine (Essen, lot.abc)", "2/4", 100),
    Style("luxembourg-folk", "Folk songs from Luxembourg (Essen, lux.abc)", "2/4", 100),
    Style("irish-folk", "Irish folk songs (Essen, irl.abc)", "6/8", 100),
    Style("chinese-han", "Han Chinese folk song (Essen han1/han2)", "2/4", 80),
    Style("chinese-han-xiaodiao", "Han folk song, xiaodiao (ditty)", "2/4", 80, "chinese-han"),
    Style("chinese-han-shange", "Han folk song, shange (mountain song)", "2/4", 72, "chinese-han"),
    Style("chinese-han-haozi", "Han folk song, haozi (work song)", "2/4", 96, "chinese-han"),
    Style("chinese-han-erge", "Han folk song, erge (children's song)", "2/4", 100, "chinese-han"),
    Style("chinese-han-wuge", "Han folk song, wuge (dance song, yangge)", "2/4", 100, "chinese-han"),
    # Default meters as the corpus writes them (train split): reels 2/2 475, 2/4 225, 4/4 3;
    # hornpipes 2/4 248, 2/2 206, 4/4 28.  In 4/4 the model writes reels in sixteenths.
    Style("irish-reel", "Irish reel (O'Neill's, Ryan's)", "2/2", 112, None),
    Style("irish-jig", "Irish double jig (O'Neill's, Ryan's)", "6/8", 116, None),
    Style("irish-slip-jig", "Irish slip jig in 9/8 (O'Neill's)", "9/8", 116, None),
    Style("irish-hornpipe", "Hornpipe (O'Neill's, Ryan's)", "2/4", 96, None),
    Style("irish-air", "Slow Irish air (O'Neill's)", "3/4", 72, None),
    Style("scottish-strathspey", "Scottish strathspey (Ryan's)", "4/4", 104, None),
    Style("scottish-air", "Scottish airs and tunes (Aird's)", "4/4", 96, None),
    Style("fiddle-tune", "Other fiddle tunes: marches, waltzes, clogs, flings (Ryan's, O'Neill's)", "4/4", 108, None),
    Style("american-fife", "American fife and Northumbrian tunes (music21 miscFolk)", "2/4", 110, None),
    Style("bach-chorale", "J.S. Bach chorale soprano line with four-part harmony", "4/4", 80, None),
)
STYLE_NAMES: tuple[str, ...] = tuple(s.name for s in STYLES)
_ALIASES = {
    "german": "german-folk", "lorraine": "lorraine-folk", "luxembourg": "luxembourg-folk",
    "chinese": "chinese-han", "han": "chinese-han", "xiaodiao": "chinese-han-xiaodiao",
    "shange": "chinese-han-shange", "haozi": "chinese-han-haozi", "erge": "chinese-han-erge",
    "wuge": "chinese-han-wuge",
    "reel": "irish-reel", "jig": "irish-jig", "slip-jig": "irish-slip-jig", "hornpipe": "irish-hornpipe",
    "air": "irish-air", "strathspey": "scottish-strathspey", "chorale": "bach-chorale", "bach": "bach-chorale",
}


def get_style(name: str) -> Style:
    """Look a style up by slug or alias.

    >>> get_style("Jig").name
    'irish-jig'
    >>> get_style("polka")
    Traceback (most recent call last):
    tunesmith.tokenization.errors.MusicValueError: unknown style 'polka'; known styles: german-folk, lorraine-folk, luxembourg-folk, irish-folk, chinese-han, chinese-han-xiaodiao, chinese-han-shange, chinese-han-haozi, chinese-han-erge, chinese-han-wuge, irish-reel, irish-jig, irish-slip-jig, irish-hornpipe, irish-air, scottish-strathspey, scottish-air, fiddle-tune, american-fife, bach-chorale
    """
    slug = name.strip().lower().replace(" ", "-").replace("_", "-")
    slug = _ALIASES.get(slug, slug)
    for style in STYLES:
        if style.name == slug:
            return style
    raise MusicValueError(f"unknown style {name!r}; known styles: {', '.join(STYLE_NAMES)}")
