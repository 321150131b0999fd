"""docs/configuration.md is what dev/configuration_doc.py writes from chalicelib/config.py, and that is true.

A setting added to ``Settings`` without a description, or a page not regenerated after a change, fails here;
so does a row that names a variable the setting does not actually read.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from chalicelib.config import Settings, get_settings
from dev import configuration_doc as doc


def test_the_committed_page_is_what_the_generator_writes():
    assert doc.PAGE.read_text() == doc.render(), (
        "docs/configuration.md is out of date: run `python -m dev.configuration_doc` and commit the page"
    )


def test_every_settings_field_has_a_description_and_every_description_a_field():
    paths = doc.field_paths()
    assert {f.name for f in dataclasses.fields(Settings)} <= {p.split(".")[0] for p in paths}
    assert "points.return_window_days" in paths  # the nested policy is documented field by field
    assert sorted(doc.DESCRIPTIONS) == sorted(paths)
    for path, text in doc.DESCRIPTIONS.items():
        assert text.strip() and "\n" not in text, path


def test_a_field_without_a_description_stops_the_generator(monkeypatch):
    described = dict(doc.DESCRIPTIONS)
    del described["max_body_bytes"]
    monkeypatch.setattr(doc, "DESCRIPTIONS", described)
    with pytest.raises(SystemExit, match="max_body_bytes"):
        doc.render()


def test_every_field_is_read_from_the_environment_and_each_row_names_the_variables_get_settings_reads():
    rows = {s.field: s for s in doc.settings_rows()}
    assert rows["region"].variables == ("AWS_REGION", "AWS_DEFAULT_REGION")
    assert rows["aws_endpoint"].variables == ("AWS_ENDPOINT", "DYNAMODB_ENDPOINT")
    assert rows["points.return_window_days"].variables == ("POINTS_RETURN_WINDOW_DAYS",)
    assert rows["idempotency_ttl_seconds"].default == "`172800`"
    assert rows["jwks_url"].default == "`<issuer>/.well-known/jwks.json`"
    documented = [v for s in rows.values() for v in s.variables]
    assert set(documented) >= {"STAGE", "LEDGER_TABLE", "FAULT_INJECTION", "SPEND_ORDER", "MAX_BODY_BYTES"}


def _other_value(current):
    """A valid value for a variable that makes its setting differ from ``current``."""
    if isinstance(current, bool):
        return "false" if current else "true"
    if isinstance(current, (int, float)):
        return str(int(current) + 7)
    if isinstance(current, tuple):
        return ",".join(str(v) for v in reversed(current)) if len(current) > 1 else "123,456"
    return "http://documented.example" if current is None else f"{current}-documented"


def test_setting_each_documented_variable_alone_changes_its_field(monkeypatch):
    rows = doc.settings_rows()
    every = {v for s in rows for v in s.variables}
    for name in every:
        monkeypatch.delenv(name, raising=False)
    base = get_settings.__wrapped__()
    for setting in rows:
        for name in setting.variables:
            value = _other_value(doc._value(base, setting.field))
            monkeypatch.setenv(name, value)
            try:
                changed = doc._value(get_settings.__wrapped__(), setting.field)
            finally:
                monkeypatch.delenv(name)
            assert changed != doc._value(base, setting.field), (setting.field, name, value)


def test_the_generator_leaves_the_environment_as_it_found_it(monkeypatch):
    monkeypatch.setenv("LEDGER_TABLE", "a-table-of-this-test")
    doc.render()
    assert os.environ["LEDGER_TABLE"] == "a-table-of-this-test"


def test_the_variables_read_elsewhere_are_not_settings_rows_too():
    settings_vars = {v for s in doc.settings_rows() for v in s.variables}
    elsewhere = " ".join(row[0] for row in doc.ELSEWHERE)
    assert not [v for v in settings_vars if f"`{v}`" in elsewhere]
