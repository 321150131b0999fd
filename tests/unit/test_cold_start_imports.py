"""What a cold start imports: the heavy libraries wait for the first request that needs them, and the
segmentation job's are never the API's.

A fresh interpreter with the deployed function's environment (tracing on) imports the app; the
libraries below must not be loaded yet. (Their cost is measured in `make bench`, benchmarks 3 and 6;
this only guards that nothing drags them back into the import.)
"""

from __future__ import annotations

import json
import subprocess
import sys

from dev.lambda_process import lambda_env
from dev.stack import ROOT

LAZY = ("botocore.session", "botocore.client", "boto3", "pynamodb", "cryptography", "jwt", "aws_xray_sdk", "urllib3")
# Not in the API's bundle at all (requirements-dev.txt only): numpy and scipy come from the segmentation functions'
# layer (infra/functions.py LAYERS), DuckDB and sqlglot run the analyses locally. On Lambda, `import app` loading
# one of them would fail every function, the API's too.
NOT_BUNDLED = ("numpy", "scipy", "duckdb", "sqlglot")


def _loaded_by_import_app(names: tuple[str, ...]) -> list[str]:
    code = f"import json, sys; import app; print(json.dumps([m for m in {list(names)!r} if m in sys.modules]))"
    p = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=lambda_env(tracing=True),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_importing_the_app_with_tracing_on_loads_none_of_the_heavy_libraries():
    assert _loaded_by_import_app(LAZY) == []


def test_importing_the_app_loads_none_of_the_libraries_its_bundle_leaves_out():
    assert _loaded_by_import_app(NOT_BUNDLED) == []
