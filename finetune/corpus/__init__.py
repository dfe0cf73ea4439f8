"""finetune/corpus."""
