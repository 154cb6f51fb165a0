"""Logging that is safe for Haven: no typed text in any log (`privacy`), and log lines a flood of
events cannot multiply (`throttle`)."""
