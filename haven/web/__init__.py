"""What Haven's web channels check and serve, without Rasa: the input checks of the REST and
web chat channels, rate limits, the typed text, the widget's site and the security headers."""
