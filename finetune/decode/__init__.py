"""finetune/decode."""
