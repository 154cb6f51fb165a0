"""The step-by-step plan a young person is walked through, and the answers given on the way."""
