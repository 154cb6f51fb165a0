"""The NLU components config.yml names: each reads a message with the Rasa-free logic of
`haven.nlu` and writes what it found as Rasa intents and entities."""
