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
# The request and response models: a route names them ("wallet.WalletOut", chalicelib/api/routing.py) and its
# first request imports that resource's module, and pydantic with it.
MODELS = ("pydantic", "pydantic_core", "chalicelib.api.schemas.common", "chalicelib.api.schemas.wallet")
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


def test_importing_the_app_loads_no_model_and_not_pydantic():
    assert _loaded_by_import_app(MODELS) == []


def test_a_routes_first_request_loads_its_resources_models_only():
    """Resolving one route's model (as its first request does) loads its resource's module, not the others'."""
    code = (
        "import json, sys, app; from chalicelib.api.routing import ROUTES, model; "
        "[r] = [r for r in ROUTES if r.name == 'getWallet']; r.response; "
        "print(json.dumps([m for m in ('chalicelib.api.schemas.wallet', 'chalicelib.api.schemas.reports', "
        "'chalicelib.api.schemas.campaigns') if m in sys.modules]))"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=lambda_env(tracing=True), capture_output=True,
                       text=True, timeout=120)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.strip().splitlines()[-1]) == ["chalicelib.api.schemas.wallet"]
