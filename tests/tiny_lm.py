"""A tiny Gemma-3-shaped language model and a SentencePiece-style word tokenizer, built in code,
for tests of the pretrained-LM path (the real base is 270M parameters and is never loaded here)."""

from __future__ import annotations

EN_WORDS = """i you we the a my your home road way day night away stay light sea rain again go know
leave leaving left long gone song heart love time still here there where now walk walked down
town old cold hold river over morning evening little water mountain wind find mind around ground
and to of in on by from with for is was are be can will i'll i'm don't""".split()
ZH_CHARS = "我你家乡路远山水月光天明风花春夜心归行离开故里长江河"
ZH_WORDS = ["家乡", "离开", "月光", "故乡", "远方", "山水"]


def tiny_tokenizer():
    """Word-level pieces with '▁' marking a word start, like Gemma's, plus capitals and Han pieces."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    from tunesmith.finetune.lm.lyrics_data import prompt_table
    from transformers import PreTrainedTokenizerFast

    pieces = ["<pad>", "<eos>", "<bos>", "<unk>", "\n", "'", "ll", "m", "t", ":", "."]
    for word in EN_WORDS:
        for form in (word, word.capitalize()):
            if "'" not in form:
                pieces += [form, "▁" + form]
    pieces += ["▁I", "I", "▁don", "Don", "don"] + list(ZH_CHARS) + ZH_WORDS
    pieces += list("SongLyricsTitle") + ["▁song", "▁about", "▁lyrics", "Verse", "▁1"]
    zh = prompt_table()["zh"]  # every character of the Mandarin prompt and its worked example
    pieces += sorted(set(zh["prompt"].replace("\n", "") + zh.get("example_title", "") + "".join(zh.get("example", ()))))
    vocab = {p: k for k, p in enumerate(dict.fromkeys(pieces))}
    model = models.WordPiece(vocab=vocab, unk_token="<unk>", continuing_subword_prefix="", max_input_chars_per_word=100)
    tok = Tokenizer(model)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="never")
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")


def tiny_gemma(vocab_size: int, *, seed: int = 0):
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(seed)
    config = Gemma3TextConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=16,
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=512)
    return Gemma3ForCausalLM(config).eval()


def tiny_lyrics_lm(*, int8: bool = False):
    """A `LyricsLM` over the tiny model (what `Models(lm_loader=...)` gives in tests)."""
    from tunesmith.finetune.lm.lean import LeanLM
    from tunesmith.tools.lyrics.pretrained import LyricsLM

    tokenizer = tiny_tokenizer()
    return LyricsLM(LeanLM(tiny_gemma(len(tokenizer)), tokenizer, threads=1, int8_head=int8), label="tiny LM")
