"""Fault injection for the crash-safety tests: off unless FAULT_INJECTION is set (never in the cloud).

With it on, a request carrying ``X-Fault-Inject: after-commit`` fails right
after its transaction commits and before any response is built, as a Lambda
that dies at that instant would.
"""

from __future__ import annotations

from typing import Any, Callable


class InjectedCrash(RuntimeError):
    pass


def _crash() -> None:
    raise InjectedCrash("injected crash after commit")


def after_commit_hook(call: Any) -> Callable[[], None] | None:
    if call.settings.fault_injection and call.headers.get("x-fault-inject") == "after-commit":
        return _crash
    return None
