"""The time every use case and job runs at: one clock, so a test (or a backfill of history through the real
services) can set it. ``now()`` is the instant; ``stamp()`` the same instant as the ledger writes it.

``use(source)`` sets what ``now()`` answers until ``reset()``; ``frozen(moment)`` does both around a block.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

from ..domain.moments import format_time


def _system() -> datetime:
    return datetime.now(timezone.utc)


_source: Callable[[], datetime] = _system


def now() -> datetime:
    return _source()


def stamp() -> str:
    """``now()`` formatted as every stored time is (``domain.moments.format_time``)."""
    return format_time(now())


def use(source: Callable[[], datetime]) -> None:
    global _source
    _source = source


def reset() -> None:
    use(_system)


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """The clock stands at ``moment`` inside the block."""
    use(lambda: moment)
    try:
        yield
    finally:
        reset()
