"""``make segment``: run the segmentation job against the running local stack, now (or ``--as-of YYYY-MM-DD``),
and print its summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date

from dev.stack import StackInfo, app_environment


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make segment")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    os.environ.update(app_environment(StackInfo.load()))
    from chalicelib.handlers.segmentation import run_segmentation

    print(json.dumps(run_segmentation(args.as_of), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
