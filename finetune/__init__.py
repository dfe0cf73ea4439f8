"""tunesmith.finetune."""
