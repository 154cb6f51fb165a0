"""Thin rasa-sdk actions: they translate between Rasa and the logic in `bot/`."""
