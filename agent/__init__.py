"""tunesmith.agent."""
