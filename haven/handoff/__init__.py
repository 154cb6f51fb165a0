"""Talking to a person: the handoff queue and audit trail, the live-chat relay, counselor
accounts and sessions, the counselor console and its command line (`python -m
haven.handoff.cli`)."""
