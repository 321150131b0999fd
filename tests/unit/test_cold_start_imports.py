"""What a cold start imports: the heavy libraries wait for the first request that needs them.

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


def test_importing_the_app_with_tracing_on_loads_none_of_the_heavy_libraries():
    code = f"import json, sys; import app; print(json.dumps([m for m in {list(LAZY)!r} if m in sys.modules]))"
    p = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=lambda_env(tracing=True),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.strip().splitlines()[-1]) == []
