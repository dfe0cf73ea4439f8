"""finetune/text."""
