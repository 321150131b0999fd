"""Synthesize every stage once (offline) and hand the templates to the tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synth:
    out: Path
    templates: dict[str, dict[str, Any]]  # stack construct id (dev, dev-edge, ...) -> template
    metadata: dict[str, dict[str, Any]]

    def resources(self, stack: str, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stack]["Resources"].items() if v["Type"] == type_}

    def one(self, stack: str, type_: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(stack, type_)
        assert len(found) == 1, f"{stack}: expected one {type_}, found {sorted(found)}"
        return next(iter(found.items()))


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    from infra.app import build

    out = tmp_path_factory.mktemp("infra") / "cdk.out"
    app, _ = build(out)
    assembly = app.synth()
    templates = {s.id: json.loads(Path(s.template_full_path).read_text()) for s in assembly.stacks}
    metadata = {
        s.id: json.loads((out / f"{s.id}.metadata.json").read_text())
        for s in assembly.stacks
        if (out / f"{s.id}.metadata.json").exists()
    }
    return Synth(out=out, templates=templates, metadata=metadata)


@pytest.fixture(autouse=True)
def _environment_put_back():
    """After each infra test, the environment and the app's caches as the session began: synthesis runs
    `chalice package` in this process, which leaves a stage's variables (its table, its secrets' names) in
    os.environ, and a test of another module run later on this worker would read them."""
    yield
    from tests.conftest import restore_environment

    restore_environment()
