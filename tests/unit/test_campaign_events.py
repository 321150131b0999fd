"""The campaign items' changes as the stream publisher turns them into events, each valid by its schema."""

from __future__ import annotations

import jsonschema

from chalicelib.events.catalogue import SCHEMAS
from chalicelib.events.mapping import events_of

CAMPAIGN = {
    "pk": "CAMPAIGNS",
    "sk": "CA#cmp_1",
    "kind": "campaign",
    "campaign_id": "cmp_1",
    "name": "win back",
    "segment": "at_risk",
    "action": {"kind": "grant_coupon", "definition_id": "cd-1"},
    "holdout_percent": 10,
    "status": "scheduled",
    "measurement": {"state": "not_requested"},
}


def valid(events):
    for detail_type, detail in events:
        jsonschema.validate(detail, SCHEMAS[detail_type])
    return [t for t, _ in events]


def test_a_campaign_starting_completing_and_asked_to_measure_publishes_one_event_each():
    running = {**CAMPAIGN, "status": "running", "started_at": "2026-12-02T10:00:00Z"}
    assert valid(events_of("INSERT", None, CAMPAIGN)) == []
    assert valid(events_of("MODIFY", CAMPAIGN, running)) == ["campaign.started"]
    assert valid(events_of("MODIFY", running, {**running, "delivery": {"pages": 2}})) == []  # progress: nothing
    counts = {"targeted": 10, "treated": 9, "holdout": 1, "delivered": 8, "failed": 1, "inbox_only": 3}
    done = {**running, "status": "completed", "completed_at": "2026-12-02T10:01:00Z", "counts": counts}
    [(kind, detail)] = events_of("MODIFY", running, done)
    assert kind == "campaign.completed" and {k: detail[k] for k in counts} == counts
    valid([(kind, detail)])
    queued = {**done, "measurement": {"state": "queued", "requested_at": "2026-12-03T00:00:00Z"}}
    assert valid(events_of("MODIFY", done, queued)) == ["campaign.measurement_requested"]
    assert events_of("MODIFY", queued, {**queued, "version": 9}) == []  # still queued: not again


def test_a_survey_answer_publishes_survey_answered_once():
    member = {
        "pk": "CA#cmp_1",
        "sk": "MB#u1",
        "kind": "campaign_member",
        "campaign_id": "cmp_1",
        "user_id": "u1",
        "segment": "new",
        "outcome": "delivered",
    }
    answered = {**member, "answer_choice": "yes", "answer_class": "low", "answered_at": "2026-12-02T11:00:00Z"}
    [(kind, detail)] = events_of("MODIFY", member, answered)
    assert kind == "survey.answered" and (detail["survey_id"], detail["choice"]) == ("cmp_1", "yes")
    valid([(kind, detail)])
    assert events_of("MODIFY", answered, {**answered, "outcome_at": "x"}) == []
    assert events_of("INSERT", None, member) == []
