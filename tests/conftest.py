"""Shared fixtures: the project's domain, loaded once."""

from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def domain() -> dict:
    """domain.yml as the action server receives it (a plain dict)."""
    with (PROJECT / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
