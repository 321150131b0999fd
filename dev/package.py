"""`make package`: the Lambda bundle, as `chalice package` builds it, minus what the runtime already has.

pynamodb depends on botocore, so `chalice package` puts botocore (16 MB
zipped), urllib3, jmespath and dateutil into the zip although the Lambda
Python runtime ships them (boto3 and botocore are part of every Python
runtime). The bundle keeps everything else; stale `__pycache__` folders from
the working tree are dropped too. `check_imports` proves the stripped bundle
imports with only the standard library, the bundle and the runtime-provided
packages on the path. Run: python -m dev.package [STAGE] [OUT_DIR]
"""

from __future__ import annotations

import os
import platform
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIVE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine of an ELF header
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "python_dateutil", "six"}


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


def check_imports(zip_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`import app` from the extracted bundle: -I -S (no site-packages), -B (read-only task root)."""
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        bundle = Path(tmp) / "task"
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(bundle)
        runtime = runtime_site(Path(tmp) / "runtime")
        code = f"import sys; sys.path[:0] = [{str(bundle)!r}, {str(runtime)!r}]; import app; print('ok')"
        return subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", code],
            cwd=bundle,
            env=env if env is not None else {"AWS_DEFAULT_REGION": "us-east-1"},
            capture_output=True,
            text=True,
            timeout=120,
        )


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "prod"
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / ".local" / "package"
    zip_path = build(stage, out_dir)
    arches = native_architectures(zip_path)
    print(f"{zip_path}: {zip_path.stat().st_size / 1e6:.2f} MB; native code: {arches}")
    # The deployed bundle may be for another CPU than this one: import an identical build for this CPU.
    native_dir = out_dir.parent / f"{out_dir.name}-{NATIVE}"
    check = check_imports(build(stage, native_dir, architecture=NATIVE))
    print(
        f"import app ({NATIVE} build of the same stage): "
        f"{'ok' if check.returncode == 0 else 'FAILED ' + check.stderr.strip()[-300:]}"
    )
    return check.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
