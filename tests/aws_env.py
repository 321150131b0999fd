"""Where the in-process tests' DynamoDB is: a moto server the integration fixtures start on this port.

Set in the environment by tests/conftest.py before any test module is imported, because the
store's models bind their endpoint and table name when their classes are built, and any test
module (tests/infra imports the table definition) may import them first.
"""

from __future__ import annotations

from dev.stack import free_port

PORT = free_port()
ENDPOINT = f"http://127.0.0.1:{PORT}"
TABLE = "balance-ledger-it"
