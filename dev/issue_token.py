"""`make token SUB=alice GROUPS="merchant:m1 admin"`: print a valid ID token for a local user, nothing else.

GROUPS, when given, become exactly the user's groups; without it the user keeps the groups it has.
"""

from __future__ import annotations

import sys

from dev.stack import StackInfo, issue_token


def main(argv: list[str]) -> int:
    if not argv or not argv[0].strip():
        print('usage: make token SUB=<user> [GROUPS="admin merchant:m1"]', file=sys.stderr)
        return 2
    groups = [g for arg in argv[1:] for g in arg.split()]
    # no GROUPS: keep the groups the user has (make token SUB=operator stays an admin)
    print(issue_token(StackInfo.load(), argv[0].strip(), groups or None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
