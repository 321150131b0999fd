"""`make package`: the Lambda bundle, as `chalice package` builds it, minus what the runtime already has.

pynamodb depends on botocore, so `chalice package` puts botocore (16 MB
zipped), urllib3, jmespath and dateutil into the zip although the Lambda
Python runtime ships them (boto3 and botocore are part of every Python
runtime). The bundle keeps everything else; stale `__pycache__` folders from
the working tree are dropped too. `check_imports` proves the stripped bundle
imports with only the standard library, the bundle and the runtime-provided
packages on the path. Run: python -m dev.package [STAGE] [OUT_DIR]

`layer` builds a Lambda layer (its `python/` folder) from a requirements file
of its own: pip installs wheels only, for the functions' architecture and this
interpreter's CPython version, with the bundle's stripping (tests and bytecode
dropped). A build is kept under `.local/layers/`, named by the hash of its
inputs, so a second synthesis or package reuses it without asking PyPI again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIVE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine of an ELF header
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "python_dateutil", "six"}
# The layers' wheels: glibc 2.17 at most (manylinux2014), because the python3.11 runtime runs on Amazon Linux 2,
# whose glibc is 2.26; a wheel built for a newer glibc (manylinux_2_28) installs here but fails to load there.
LAYER_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
LAYER_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"  # chalice packages for this interpreter's too
LAYER_CACHE = ROOT / ".local" / "layers"
LAYER_DROPPED = ("tests", "__pycache__")  # folders left out of a layer, at any depth
LAYER_FORMAT = "1"  # raise when what a build does changes: every cached build is then made again
# What Lambda unpacks of a function and its layers together, at most (its quota: 250 MB)
UNZIPPED_LIMIT = 262_144_000


def _provided(entry: str) -> bool:
    top = entry.split("/", 1)[0]
    base = top.split("-", 1)[0].removesuffix(".py").lower()
    return base in RUNTIME_PROVIDED


def build(stage: str, out_dir: Path, architecture: str | None = None) -> Path:
    """Run `chalice package` into out_dir and strip deployment.zip; return its path.

    ``architecture`` overrides the stage's ``lambda_architecture`` (``NATIVE`` builds a bundle
    this machine can import, since the deployed stages are arm64).
    """
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    code = (
        "import sys; from chalice import api; "
        "api.package_app(sys.argv[1], sys.argv[2], sys.argv[3], "
        "chalice_config={'lambda_architecture': sys.argv[4]} if sys.argv[4] else None)"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(out_dir), stage, architecture or ""],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return strip_bundle(out_dir / "deployment.zip")


def strip_bundle(zip_path: Path) -> Path:
    """Rewrite a `chalice package` zip without the runtime-provided packages and stale bytecode."""
    stripped = zip_path.with_suffix(".stripped.zip")
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if _provided(info.filename) or "/__pycache__/" in f"/{info.filename}":
                continue
            dst.writestr(info, src.read(info))
    stripped.replace(zip_path)
    return zip_path


def layer(requirements: Path, architecture: str, cache: Path = LAYER_CACHE) -> Path:
    """The layer's folder (its ``python/`` holds the packages) for ``requirements``: wheels only, for
    ``architecture`` and CPython LAYER_PYTHON, stripped; built once per content of the requirements file."""
    platform_tag = LAYER_PLATFORMS[architecture]
    pinned = [line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines()]  # not its comments
    inputs = "\n".join((LAYER_FORMAT, platform_tag, LAYER_PYTHON, *filter(None, pinned)))
    digest = hashlib.sha256(inputs.encode()).hexdigest()[:16]
    name = requirements.stem.removeprefix("requirements-")
    target = cache / f"{name}-{architecture}-cp{LAYER_PYTHON.replace('.', '')}-{digest}"
    if (target / "python").is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache))  # renamed into place when complete
    work.chmod(0o755)
    try:
        pip = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--only-binary=:all:",
                "--platform",
                platform_tag,
                "--python-version",
                LAYER_PYTHON,
                "--implementation",
                "cp",
                "--target",
                str(work / "python"),
                "-r",
                str(requirements),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if pip.returncode != 0:
            raise RuntimeError(
                f"the layer of {requirements.name} could not be built for {platform_tag}, CPython {LAYER_PYTHON} "
                f"(pip needs PyPI, and every package a wheel for that platform): {pip.stderr.strip()[-1500:]}"
            )
        strip_layer(work / "python")
        try:
            work.rename(target)
        except OSError:
            if not (target / "python").is_dir():  # not a build of the same inputs that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def strip_layer(site: Path) -> None:
    """Leave out of a layer what the bundle leaves out: the packages' own tests, bytecode, and pip's scripts.
    A module of a tests folder that the packages' own code imports stays (numpy.testing, which scipy imports,
    imports ``numpy._core.tests._natype``)."""
    kept = imported_from_tests(site)
    paths = sorted(site.rglob("*"), key=lambda p: len(p.parts), reverse=True)  # the deepest first
    for path in paths:
        parts = path.relative_to(site).parts
        if not any(part in LAYER_DROPPED for part in parts):
            continue
        if path.is_file() and path not in kept:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    shutil.rmtree(site / "bin", ignore_errors=True)


IMPORTED = re.compile(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)


def imported_from_tests(site: Path) -> set[Path]:
    """The files of tests folders that a module outside them imports (absolute imports), with their packages'
    ``__init__.py``; pytest's conftest.py files do not count."""
    kept: set[Path] = set()
    for source in site.rglob("*.py"):
        parts = source.relative_to(site).parts
        if source.name == "conftest.py" or any(part in LAYER_DROPPED for part in parts):
            continue
        for name in IMPORTED.findall(source.read_text(errors="replace")):
            dotted = name.split(".")
            if "tests" not in dotted[:-1] and dotted[-1] != "tests":
                continue
            for end in range(dotted.index("tests") + 1, len(dotted) + 1):
                folder = site.joinpath(*dotted[:end])
                kept.update(f for f in (folder / "__init__.py", folder.with_suffix(".py")) if f.is_file())
    return kept


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder`` (what Lambda unpacks of a layer)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def unzipped_size(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as z:
        return sum(i.file_size for i in z.infolist())


def native_architectures(zip_path: Path) -> dict[str, int]:
    """How many shared objects of the bundle are built for each architecture (by their ELF header)."""
    names = {v: k for k, v in ELF_MACHINE.items()}
    counts: dict[str, int] = {}
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".so") and ".so." not in info.filename:
                continue
            with z.open(info) as f:
                head = f.read(20)
            if head[:4] != b"\x7fELF":
                continue
            machine = struct.unpack("<H", head[18:20])[0]
            arch = names.get(machine, f"elf-{machine}")
            counts[arch] = counts.get(arch, 0) + 1
    return counts


def runtime_site(into: Path) -> Path:
    """A folder standing for the runtime's own packages: links to this environment's copies of them."""
    import importlib.util

    into.mkdir(parents=True, exist_ok=True)
    for name in sorted(RUNTIME_PROVIDED - {"python_dateutil"}):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (into / source.name).symlink_to(source)
    return into


def check_imports(
    zip_path: Path,
    env: dict[str, str] | None = None,
    layers: tuple[Path, ...] = (),
    then: str = "",
) -> subprocess.CompletedProcess:
    """`import app` from the extracted bundle: -I -S (no site-packages), -B (read-only task root); with
    ``layers`` (built by ``layer``) on the path after the bundle, as Lambda puts them, and ``then`` run after."""
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        bundle = Path(tmp) / "task"
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(bundle)
        runtime = runtime_site(Path(tmp) / "runtime")
        path = [str(bundle), *(str(folder / "python") for folder in layers), str(runtime)]
        code = "; ".join([f"import sys; sys.path[:0] = {path!r}; import app", *([then] if then else []), "print('ok')"])
        return subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", code],
            cwd=bundle,
            env=env if env is not None else {"AWS_DEFAULT_REGION": "us-east-1"},
            capture_output=True,
            text=True,
            timeout=120,
        )


# What the segmentation layer must run on the bundle: numpy and scipy's compiled modules, the BG/NBD fit
SEGMENTATION_SMOKE = (
    "from chalicelib.insight import bgnbd; "
    "m = bgnbd.fit([0, 1, 2, 4] * 5, [0, 10, 30, 60] * 5, [90] * 20); "
    "assert 0 < float(m.p_alive([1], [10], [90])[0]) <= 1"
)


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "prod"
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / ".local" / "package"
    zip_path = build(stage, out_dir)
    arches = native_architectures(zip_path)
    print(f"{zip_path}: {zip_path.stat().st_size / 1e6:.2f} MB; native code: {arches}")
    # The segmentation functions' layer (infra/functions.py LAYERS), for the stage's architecture
    architecture = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]["lambda_architecture"]
    requirements = ROOT / "requirements-segmentation.txt"
    t0 = time.perf_counter()
    built = layer(requirements, architecture)
    size, bundle = folder_size(built / "python"), unzipped_size(zip_path)
    print(
        f"{built}: {size / 1e6:.1f} MB unzipped ({time.perf_counter() - t0:.1f} s); with the bundle "
        f"{(size + bundle) / 1e6:.1f} MB of Lambda's {UNZIPPED_LIMIT / 1e6:.0f} MB"
    )
    # The deployed bundle may be for another CPU than this one: import an identical build for this CPU.
    native_dir = out_dir.parent / f"{out_dir.name}-{NATIVE}"
    native_zip = build(stage, native_dir, architecture=NATIVE)
    check = check_imports(native_zip)
    print(
        f"import app ({NATIVE} build of the same stage): "
        f"{'ok' if check.returncode == 0 else 'FAILED ' + check.stderr.strip()[-300:]}"
    )
    fitted = check_imports(native_zip, layers=(layer(requirements, NATIVE),), then=SEGMENTATION_SMOKE)
    print(
        f"the BG/NBD fit on the bundle with the segmentation layer ({NATIVE} build of the same requirements): "
        f"{'ok' if fitted.returncode == 0 else 'FAILED ' + fitted.stderr.strip()[-300:]}"
    )
    too_big = size + bundle > UNZIPPED_LIMIT
    return check.returncode or fitted.returncode or int(too_big)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
