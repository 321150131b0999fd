"""The export is read back day by day as its analyses ask: exactly the days from start to end, in one listing."""

from __future__ import annotations

import gzip
import json
from datetime import date

import boto3
from moto import mock_aws

from chalicelib.insight import export

BUCKET = "export-test"


def _event(n: int, day: str, detail_type: str = "payment.succeeded") -> dict:
    return {"id": f"e{n}", "detail-type": detail_type, "source": "store-balance", "time": f"{day}T10:00:00Z",
            "detail": {"event_id": f"ev-{n}"}}  # fmt: skip


def test_read_returns_the_days_asked_for_and_no_other_in_one_listing():
    days = ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02", "2026-02-10", "2026-02-11"]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        n = 0
        for day in days:
            for detail_type in ("payment.succeeded", "checkout.opened"):
                events = [_event(n := n + 1, day, detail_type), _event(n := n + 1, day, detail_type)]
                for key, body in export.objects_of(events, "stream").items():
                    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        # something else in the bucket, beside the export and inside its prefix, is not read as an event
        s3.put_object(Bucket=BUCKET, Key="export/errors/2026-02-01/x.gz", Body=gzip.compress(b"{}\n"))
        s3.put_object(Bucket=BUCKET, Key="export/events/dt=2026-02-01/readme.txt", Body=b"not an event")

        calls: list[str] = []
        s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
        rows = export.read(s3, BUCKET, date(2026, 1, 31), date(2026, 2, 10))

    read_days = sorted({r[8] for r in rows})
    assert read_days == ["2026-01-31", "2026-02-01", "2026-02-02", "2026-02-10"]
    assert len(rows) == 4 * 2 * 2  # every event of those days, of both types, once
    assert {(r[8], r[9]) for r in rows} == {(d, t) for d in read_days for t in ("payment.succeeded", "checkout.opened")}
    assert all(json.loads(r[7])["event_id"].startswith("ev-") for r in rows)
    assert all(r[5][:10] == r[8] for r in rows)  # each row under its own event's day
    assert calls.count("ListObjectsV2") == 1 and calls.count("GetObject") == 8


def test_a_day_with_nothing_reads_nothing():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for key, body in export.objects_of([_event(1, "2026-03-01")], "stream").items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        assert export.read(s3, BUCKET, date(2026, 3, 2), date(2026, 3, 9)) == []
        assert export.read(s3, BUCKET, date(2026, 2, 1), date(2026, 2, 28)) == []
        assert len(export.read(s3, BUCKET, date(2026, 3, 1), date(2026, 3, 1))) == 1


def test_an_object_read_before_is_not_fetched_again_and_a_rewritten_one_is():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        objects = export.objects_of([_event(1, "2026-04-01"), _event(2, "2026-04-02")], "stream")
        for key, body in objects.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        calls: list[str] = []
        s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))

        first = export.read(s3, BUCKET, date(2026, 4, 1), date(2026, 4, 2))
        assert calls.count("GetObject") == 2
        again = export.read(s3, BUCKET, date(2026, 4, 1), date(2026, 4, 2))
        assert again == first and calls.count("GetObject") == 2  # listed again, fetched from neither object

        # one object rewritten under its own key (another ETag): read again, and only that one
        key = next(k for k in objects if "dt=2026-04-02" in k)
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress((json.dumps(_event(3, "2026-04-02")) + "\n").encode()))
        rewritten = export.read(s3, BUCKET, date(2026, 4, 1), date(2026, 4, 2))
        assert calls.count("GetObject") == 3
        assert sorted(json.loads(r[7])["event_id"] for r in rewritten) == ["ev-1", "ev-3"]


def test_the_cache_keeps_at_most_its_rows(monkeypatch):
    monkeypatch.setattr(export, "CACHED_ROWS", 2)
    monkeypatch.setattr(export, "_cache", export.OrderedDict())
    monkeypatch.setattr(export, "_cached_rows", 0)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for n, day in enumerate(("2026-05-01", "2026-05-02", "2026-05-03")):
            for key, body in export.objects_of([_event(n, day)], "stream").items():
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        assert len(export.read(s3, BUCKET, date(2026, 5, 1), date(2026, 5, 3))) == 3
        assert export._cached_rows == 2 and len(export._cache) == 2  # the oldest object's rows were let go
        assert [k[1].split("/")[2] for k in export._cache] == ["dt=2026-05-02", "dt=2026-05-03"]
