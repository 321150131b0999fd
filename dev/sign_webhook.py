"""`make -s sign BODY='...'`: the X-Signature header value for a webhook body, with the running stack's secret.

The secret is the one the local app checks (PAYMENT_WEBHOOK_SECRET when `make run`
was started with it, else the local default), read from the running stack's state.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib.api.signature import sign
from dev.stack import STATE_FILE, StackInfo


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("body", help="the exact bytes the webhook will carry")
    parser.add_argument("--state-file", type=Path, default=STATE_FILE)
    args = parser.parse_args(argv)
    if not args.body:
        parser.error("BODY is empty: make -s sign BODY='{\"topup_id\": ...}'")
    print(sign(StackInfo.load(args.state_file).webhook_secret, args.body.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
