"""Invoke one of the app's functions as Lambda would, against a local stack, and print its answer as JSON.

    python -m dev.invoke lifecycle < event.json        # a bus event (e.g. wallet.balance_low)
    python -m dev.invoke remind [--at 2026-11-25T01:00:00Z]   # a schedule, fired for that time (default now)

The stack is the running one (`make run`), or with ``--here`` the one this process's environment names
(the tests pass the app's environment). The answer is the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.invoke")
    parser.add_argument("function")
    parser.add_argument("--at", default=None, help="for a schedule: the time it fires for (ISO UTC)")
    parser.add_argument("--here", action="store_true", help="use this environment's stack")
    args = parser.parse_args(argv)
    if not args.here:
        from dev.stack import StackInfo, app_environment

        os.environ.update(app_environment(StackInfo.load()))
    import app as application

    if args.function == "lifecycle":
        from chalice.test import Client

        event = json.load(sys.stdin)
        with Client(application.app, stage_name="local") as client:
            payload = client.lambda_.invoke("lifecycle", event).payload
    else:
        from dev.reconcile import fire

        payload = fire(schedule=args.function, at=args.at)
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
