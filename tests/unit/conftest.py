"""Unit-test fixtures shared by the use-case tests."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture
def at(monkeypatch):
    """Set the use cases' clock: ``at(moment)``."""
    from chalicelib.services import clock

    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_clock
