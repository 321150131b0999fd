"""`make reconcile`: recompute every wallet of the running local stack from its entries; exit 1 on mismatch."""
from __future__ import annotations

import json
import os
import sys

from dev.stack import StackInfo, app_environment


def main() -> int:
    os.environ.update(app_environment(StackInfo.load()))
    from chalicelib.events.reconciliation import run_reconciliation

    report = run_reconciliation()
    print(json.dumps(report, indent=2))
    return 1 if report["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
