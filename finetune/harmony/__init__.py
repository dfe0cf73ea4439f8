"""finetune/harmony."""
