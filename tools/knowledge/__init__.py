"""What tunesmith knows about styles and music theory, for music_knowledge and the other questions.

cards.toml holds one card per style of tokenization/styles.toml (meter, tempo range, form, melody,
rhythm, instruments and example tunes that are in the data), theory.toml the theory notes; both in
English and Chinese.  lookup.find_topic maps a free topic string to them; render.py writes the lines.
"""

from .lookup import Answer, find_topic, known_topics, library, topic_lang

__all__ = ["Answer", "find_topic", "known_topics", "library", "topic_lang"]
