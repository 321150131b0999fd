"""The profile store's contract, on the fake and on moto: a run's profiles read back as written, a later run
replaces them, runs list newest first, a queued run is claimed once, a segment's members page by page."""

from __future__ import annotations

import uuid


def profile(user_id: str, segment: str) -> dict:
    return {
        "user_id": user_id,
        "segment": segment,
        "frequency_class": "low",
        "rfm": {"recency_days": 3, "frequency": 2, "monetary": 1500, "r_score": 5, "f_score": 3, "m_score": 4},
        "top_categories": ["books", "tea"],
        "average_rating": 4.5,
        "prediction": None,
        "prediction_reason": "fewer than 500 paying customers",
    }


def test_a_profile_reads_back_as_the_run_wrote_it_and_the_next_run_replaces_it(profile_store):
    user = f"u-{uuid.uuid4().hex[:8]}"
    assert profile_store.get_profile(user) is None
    assert profile_store.put_profiles([profile(user, "promising")], "run-1", "2026-12-01T00:00:00.000Z") == 1
    got = profile_store.get_profile(user)
    assert got == {**profile(user, "promising"), "run_id": "run-1", "computed_at": "2026-12-01T00:00:00.000Z"}
    profile_store.put_profiles([profile(user, "champions")], "run-2", "2026-12-02T00:00:00.000Z")
    assert profile_store.get_profile(user)["segment"] == "champions"


def test_runs_read_back_and_list_newest_first(profile_store):
    tag = uuid.uuid4().hex[:6]
    first = {
        "run_id": f"seg_9{tag}a",
        "state": "succeeded",
        "started_at": "2026-01-01T00:00:00.000Z",
        "finished_at": "t2",
        "customers": 3,
        "summary": {"promising": {"size": 3, "avg_balance": 150}},
        "error": None,
        "as_of": "2026-12-01",
        "requested_by": None,
    }
    second = {**first, "run_id": f"seg_9{tag}b", "state": "running", "finished_at": None, "customers": 0, "summary": {}}
    profile_store.put_run(first)
    profile_store.put_run(second)
    assert profile_store.get_run(first["run_id"]) == first
    newest = profile_store.latest_runs(2)
    assert [r["run_id"] for r in newest] == [second["run_id"], first["run_id"]]
    assert profile_store.get_run("seg_none") is None


def test_a_queued_run_is_added_once_and_claimed_once(profile_store):
    tag = uuid.uuid4().hex[:6]
    run = {
        "run_id": f"seg_8{tag}",
        "state": "queued",
        "started_at": "2026-01-01T00:00:00.000Z",
        "finished_at": None,
        "customers": 0,
        "summary": {},
        "error": None,
        "as_of": "2026-12-01",
        "requested_by": "ops",
    }
    assert profile_store.add_run(run) is True
    assert profile_store.add_run({**run, "requested_by": "someone else"}) is False
    assert profile_store.get_run(run["run_id"]) == run
    assert profile_store.claim_run(run["run_id"], "2026-01-01T00:01:00.000Z") is True
    assert profile_store.claim_run(run["run_id"], "2026-01-01T00:02:00.000Z") is False  # a redelivery
    assert profile_store.get_run(run["run_id"]) == {**run, "state": "running", "started_at": "2026-01-01T00:01:00.000Z"}
    assert profile_store.claim_run(f"seg_7{tag}", "2026-01-01T00:01:00.000Z") is False  # no such run


def test_a_segments_members_are_listed_page_by_page_once_each_and_follow_a_change_of_segment(profile_store):
    tag = uuid.uuid4().hex[:6]
    segment = "needs_attention"
    users = [f"u-{tag}-{i:02d}" for i in range(13)]
    profile_store.put_profiles([{**profile(u, segment), "balance": i} for i, u in enumerate(users)], "r1", "t")

    def listed(limit: int) -> list[dict]:
        out, cursor = [], None
        while True:
            page, cursor = profile_store.members(segment, cursor, limit)
            assert len(page) <= limit
            out += page
            if cursor is None:
                return [m for m in out if m["user_id"].startswith(f"u-{tag}-")]

    for limit in (1, 4, 100):
        got = listed(limit)
        assert sorted(m["user_id"] for m in got) == users, limit
    assert next(m for m in listed(100) if m["user_id"] == users[5]) == {
        "user_id": users[5],
        "balance": 5,
        "recency_days": None,
        "frequency": 2,
        "monetary": 1500,
        "frequency_class": "low",
    }
    profile_store.put_profiles([profile(users[0], "champions")], "r2", "t")
    assert sorted(m["user_id"] for m in listed(100)) == users[1:]
