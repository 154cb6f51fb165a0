"""Understanding a message without Rasa: crisis patterns, stated facts, questions, language and
region, the sentence encoders and encoding a message ahead of Rasa. The NLU components that Rasa
runs (haven/rasa_edge/nlu/) only translate between these and Rasa's messages."""
