"""Helpers the tests of every tier share (tests/README.md): the servers they start and stand-ins
for them, the counselor's browser, long messages, and the project's root folder."""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
"""The project's root folder, where the Makefile, domain.yml and haven/ are."""
