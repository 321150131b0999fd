"""The local event runner reads its sources only when moto's request count moved (dev/moto_server.py,
dev/lifecycle.py): the count must see every request but the runner's own, and the runner must pass again
whenever it moved, found work, or has been quiet for a second."""

from __future__ import annotations

import urllib3

from dev.lifecycle import QUIET_POLL_SECONDS, RequestCount, marked, pass_due
from dev.stack import aws_client


def test_the_count_moves_for_every_request_but_the_pollers(moto_table):
    count = RequestCount(moto_table)
    plain, poller = aws_client("dynamodb", moto_table), marked(aws_client("dynamodb", moto_table))
    before = count.read()
    assert isinstance(before, int)
    plain.list_tables()
    assert count.read() == before + 1
    plain.describe_table(TableName=plain.list_tables()["TableNames"][0])
    assert count.read() == before + 3
    poller.list_tables()
    poller.list_tables()
    assert count.read() == before + 3  # the runner's own reads are not work
    assert count.read() == before + 3  # nor is reading the count


def test_a_moto_without_the_count_means_polling_every_time():
    assert RequestCount("http://127.0.0.1:9").read() is None  # nothing listens on the discard port
    assert pass_due(busy=0, count=None, seen=None, quiet_for=0.0)


def test_the_runner_passes_when_anything_may_be_waiting():
    assert not pass_due(busy=0, count=7, seen=7, quiet_for=0.0)
    assert not pass_due(busy=0, count=7, seen=7, quiet_for=QUIET_POLL_SECONDS - 0.01)
    assert pass_due(busy=0, count=8, seen=7, quiet_for=0.0)  # somebody asked moto for something
    assert pass_due(busy=2, count=7, seen=7, quiet_for=0.0)  # the last pass found work: there may be more
    assert pass_due(busy=0, count=7, seen=7, quiet_for=QUIET_POLL_SECONDS)  # schedules due, messages visible again


def test_the_count_is_answered_outside_moto(moto_table):
    answer = urllib3.PoolManager().request("GET", f"{moto_table}/_local/requests")
    assert answer.status == 200 and answer.data.decode().isdigit()
