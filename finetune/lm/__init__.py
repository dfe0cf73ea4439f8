"""finetune/lm: the pretrained language model under lyrics (and, later, chat): loading, lean decoding, LoRA."""
