"""The segmentation functions as deployed: their schedule, rule, alarms and queue, and their layer (its pins, how
it is built and cached, what the stages deploy, that the API's bundle carries none of it).

The session's synthesis builds the real layer (dev/package.py ``layer``: pip, wheels for arm64 and CPython 3.11,
from PyPI the first time, then from .local/layers/); the build's own logic is checked here without the network.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dev import package
from infra.functions import BY_ID, FUNCTIONS, LAYERS
from infra.stages import ROOT, STAGE_SETTINGS

STAGES = ("dev", "prod")
LAYERED = {"SegmentDaily", "Segmentation", "CampaignMeasurement"}  # the jobs of numpy and scipy
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s#;]+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text())}


def test_the_layer_pins_exactly_the_versions_the_tests_run_with():
    layer = pins(ROOT / LAYERS["segmentation"].requirements)
    assert set(layer) == {"numpy", "scipy"}
    dev = pins(ROOT / "requirements-dev.txt")
    assert layer == {name: dev[name] for name in layer}
    assert not set(layer) & set(pins(ROOT / "requirements.txt"))  # never the API's bundle


@pytest.mark.parametrize("stage", STAGES)
def test_the_daily_run_is_scheduled_and_the_requested_runs_come_from_the_bus_with_alarms_and_a_queue(synth, stage):
    t = synth.templates[stage]["Resources"]
    daily = t["SegmentDaily"]["Properties"]
    assert [e["Properties"]["Schedule"] for e in daily["Events"].values()] == ["cron(30 2 * * ? *)"]
    assert daily["FunctionName"] == f"store-balance-{stage}-segment-daily"
    assert t["Segmentation"]["Properties"]["FunctionName"] == f"store-balance-{stage}-segmentation"
    [rule] = [
        r["Properties"]
        for r in t.values()
        if r["Type"] == "AWS::Events::Rule" and r["Properties"].get("Name") == f"store-balance-{stage}-segmentation"
    ]
    assert rule["EventPattern"]["detail-type"] == ["segmentation.requested"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["Segmentation", "Arn"]}
    alarms = {
        a["Properties"]["AlarmName"].removeprefix(f"store-balance-{stage}-")
        for a in t.values()
        if a["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert {
        "SegmentDailyFunctionErrors",
        "SegmentDailyFunctionThrottles",
        "SegmentationFunctionErrors",
        "SegmentationFunctionThrottles",
        "SegmentationDlqMessages",  # what the rule could not deliver, or the function failed on
    } <= alarms
    queues = {q["Properties"]["QueueName"] for q in t.values() if q["Type"] == "AWS::SQS::Queue"}
    assert f"store-balance-{stage}-segmentation-dlq" in queues
    assert "EventInvokeConfig" not in daily  # a schedule's run: its Errors alarm, and the next day's run


AWS_CLI_LAYER = "/opt/awscli/aws"  # the web app's deployment function's layer (CDK's aws-s3-deployment)


def _layer_resources(synth, stage: str) -> dict[str, dict[str, Any]]:
    layers = synth.resources(stage, "AWS::Lambda::LayerVersion")
    return {k: v for k, v in layers.items() if v["Properties"].get("Description") != AWS_CLI_LAYER}


@pytest.mark.parametrize("stage", STAGES)
def test_the_layer_is_attached_to_the_analyses_jobs_only(synth, stage):
    [(layer_id, layer)] = _layer_resources(synth, stage).items()
    functions = synth.resources(stage, "AWS::Serverless::Function")
    attached = {k: fn["Properties"]["Layers"] for k, fn in functions.items() if "Layers" in fn["Properties"]}
    assert attached == {k: [{"Ref": layer_id}] for k in LAYERED}
    assert {s.logical_id for s in FUNCTIONS if s.layers} == LAYERED
    assert "Layers" not in functions["APIHandler"]["Properties"]
    p = layer["Properties"]
    assert p["LayerName"] == f"store-balance-{stage}-segmentation"
    assert p["CompatibleArchitectures"] == ["arm64"]
    assert p["CompatibleRuntimes"] == [functions["SegmentDaily"]["Properties"]["Runtime"]] == ["python3.11"]
    for fn in LAYERED:  # the job's sizes (.chalice/config.json): Lambda's longest run, memory for the fit
        assert (functions[fn]["Properties"]["Timeout"], functions[fn]["Properties"]["MemorySize"]) == (900, 3008)
        assert BY_ID[fn].sizing(STAGE_SETTINGS[stage]) == (3008, 900)


def _layer_folder(synth, stage: str) -> Path:
    [layer] = _layer_resources(synth, stage).values()
    folder = synth.out / f"asset.{layer['Properties']['Content']['S3Key'].removesuffix('.zip')}"
    assert (folder / "python").is_dir(), folder
    return folder / "python"


def _elf_machines(folder: Path) -> set[int]:
    machines = set()
    for path in folder.rglob("*.so*"):
        with path.open("rb") as f:
            head = f.read(20)
        if head[:4] == b"\x7fELF":
            machines.add(struct.unpack("<H", head[18:20])[0])
    return machines


def test_the_deployed_layer_holds_the_pinned_wheels_for_arm64_stripped_and_within_lambdas_limit(synth):
    site = _layer_folder(synth, "prod")
    assert _layer_folder(synth, "dev") == site  # one build, one asset, for both stages
    wanted = pins(ROOT / LAYERS["segmentation"].requirements)
    assert {p.name for p in site.glob("*.dist-info")} == {f"{n}-{v}.dist-info" for n, v in wanted.items()}
    assert _elf_machines(site) == {package.ELF_MACHINE["arm64"]}
    assert not list(site.rglob("__pycache__")) and not list(site.rglob("*.pyc"))
    # of the packages' tests only what their own code imports (numpy.testing: numpy._core.tests._natype)
    assert not [p for p in site.rglob("test_*.py") if p.relative_to(site).parts[0] == "numpy"]
    assert (site / "numpy" / "_core" / "tests" / "_natype.py").is_file()
    assert not (site / "bin").exists()
    code = synth.templates["prod"]["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    [bundle] = [p for p in synth.out.glob("asset.*.zip") if p.name.split(".")[1] in json.dumps(code["Key"])]
    size = package.folder_size(site)
    assert 100e6 < size and size + package.unzipped_size(bundle) <= package.UNZIPPED_LIMIT


def test_the_api_bundle_carries_none_of_the_layers_packages(synth):
    code = synth.templates["prod"]["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    [bundle] = [p for p in synth.out.glob("asset.*.zip") if p.name.split(".")[1] in json.dumps(code["Key"])]
    with zipfile.ZipFile(bundle) as z:
        tops = {name.split("/", 1)[0].split("-", 1)[0].lower() for name in z.namelist()}
    assert not tops & {"numpy", "numpy.libs", "scipy", "scipy.libs", "duckdb", "sqlglot"}
    assert {"app.py", "chalicelib"} <= tops


# ------------------------------------------------------------------ the build, without the network
class FakePip:
    """subprocess.run standing for pip: installs a package with its tests, bytecode and a script into --target."""

    def __init__(self) -> None:
        self.runs: list[list[str]] = []

    def __call__(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        self.runs.append(cmd)
        site = Path(cmd[cmd.index("--target") + 1])
        files = {
            "pkg/__init__.py": "from pkg.testing import helper\n",
            "pkg/testing.py": "from pkg.core.tests._helper import helper\n",
            "pkg/core/__init__.py": "",
            "pkg/core/tests/__init__.py": "",
            "pkg/core/tests/_helper.py": "helper = 1\n",
            "pkg/core/tests/test_core.py": "import pkg\n",
            "pkg/core/tests/data/big.bin": "x" * 1000,
            "pkg/tests/test_pkg.py": "import pkg\n",
            "pkg/conftest.py": "from pkg.tests.test_pkg import pkg\n",
            "pkg/__pycache__/__init__.cpython-311.pyc": "",
            "pkg-1.0.dist-info/METADATA": "Name: pkg\n",
            "bin/pkg-tool": "#!/usr/bin/python\n",
        }
        for name, text in files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(text)
        return subprocess.CompletedProcess(cmd, 0, "", "")


@pytest.fixture
def fake_pip(monkeypatch):
    pip = FakePip()
    monkeypatch.setattr(package.subprocess, "run", pip)
    return pip


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_a_layer_is_built_once_per_requirements_and_reused(fake_pip, tmp_path):
    requirements = tmp_path / "requirements-job.txt"
    requirements.write_text("pkg==1.0\n")
    first = package.layer(requirements, "arm64", cache=tmp_path / "cache")
    assert package.layer(requirements, "arm64", cache=tmp_path / "cache") == first  # a second synthesis
    assert len(fake_pip.runs) == 1
    cmd = fake_pip.runs[0]
    for flag, value in (("--platform", "manylinux2014_aarch64"), ("--python-version", "3.11"), ("-r", None)):
        assert cmd[cmd.index(flag) + 1] == (value or str(requirements))
    assert {"--only-binary=:all:", "--no-compile"} <= set(cmd) and cmd[cmd.index("--implementation") + 1] == "cp"
    assert first.name.startswith("job-arm64-cp311-") and first.parent == tmp_path / "cache"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [first.name]  # no half-built folder left
    requirements.write_text("# what the job needs\npkg==1.0  # its pin\n")  # comments only: the same build
    assert package.layer(requirements, "arm64", cache=tmp_path / "cache") == first and len(fake_pip.runs) == 1
    requirements.write_text("pkg==1.1\n")  # new pins: a new build beside the old
    second = package.layer(requirements, "arm64", cache=tmp_path / "cache")
    assert second != first and len(fake_pip.runs) == 2
    assert package.layer(requirements, "x86_64", cache=tmp_path / "cache") not in (first, second)
    assert fake_pip.runs[2][fake_pip.runs[2].index("--platform") + 1] == "manylinux2014_x86_64"


def test_a_layer_keeps_of_the_tests_only_what_its_packages_import(fake_pip, tmp_path):
    requirements = tmp_path / "requirements-job.txt"
    requirements.write_text("pkg==1.0\n")
    built = package.layer(requirements, "arm64", cache=tmp_path / "cache") / "python"
    assert _files(built) == {
        "pkg/__init__.py",
        "pkg/testing.py",
        "pkg/core/__init__.py",
        "pkg/core/tests/__init__.py",
        "pkg/core/tests/_helper.py",  # pkg.testing imports it
        "pkg/conftest.py",  # pytest's, outside any tests folder: kept, but what it imports is not
        "pkg-1.0.dist-info/METADATA",
    }


def test_a_failed_build_says_why_and_leaves_nothing_behind(monkeypatch, tmp_path):
    def no_network(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for numpy==9")

    monkeypatch.setattr(package.subprocess, "run", no_network)
    requirements = tmp_path / "requirements-job.txt"
    requirements.write_text("numpy==9\n")
    with pytest.raises(RuntimeError, match="manylinux2014_aarch64, CPython 3.11.*No matching distribution"):
        package.layer(requirements, "arm64", cache=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
