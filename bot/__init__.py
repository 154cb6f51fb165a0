"""Haven's logic: everything that is not Rasa glue, testable without a running Rasa."""
