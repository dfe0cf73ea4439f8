"""finetune/chat."""
