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
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "python_dateutil", "six"}


def _provided(entry: str) -> bool:
    top = entry.split("/", 1)[0]
    base = top.split("-", 1)[0].removesuffix(".py").lower()
    return base in RUNTIME_PROVIDED


def build(stage: str, out_dir: Path) -> Path:
    """Run `chalice package` into out_dir and strip deployment.zip; return its path."""
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "package", "--stage", stage, str(out_dir)], cwd=ROOT, env=env, check=True,
                   capture_output=True, text=True)
    zip_path = out_dir / "deployment.zip"
    stripped = out_dir / "deployment.stripped.zip"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if _provided(info.filename) or "/__pycache__/" in f"/{info.filename}":
                continue
            dst.writestr(info, src.read(info))
    stripped.replace(zip_path)
    return zip_path


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
        return subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code], cwd=bundle,
                              env=env if env is not None else {"AWS_DEFAULT_REGION": "us-east-1"},
                              capture_output=True, text=True, timeout=120)


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "prod"
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / ".local" / "package"
    zip_path = build(stage, out_dir)
    check = check_imports(zip_path)
    print(f"{zip_path}: {zip_path.stat().st_size / 1e6:.2f} MB; import app: "
          f"{'ok' if check.returncode == 0 else 'FAILED ' + check.stderr.strip()[-300:]}")
    return check.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
