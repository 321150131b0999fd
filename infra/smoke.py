"""After `make deploy`: check from outside that a deployed stage keeps its edge promises.

    make smoke STAGE=dev [REGION=ap-southeast-1]

Reads the service stack's outputs (CloudFormation DescribeStacks: ``Url``,
``RestApiId``) and sends a handful of HTTPS requests, anonymous unless
``SMOKE_TOKEN`` is set; no money moves. Each promise the templates make but
synthesis cannot prove is checked against the real thing:

* the API answers through CloudFront, with the security-headers policy applied;
* a private route refuses a caller without a token, or with a forged one, in
  the service's error envelope (API Gateway's Cognito authorizer and the
  app's own check agree on the shape);
* with ``SMOKE_TOKEN`` set to an ID token of the stage's pool, that token is
  let through as the app expects it (``Authorization: Bearer <token>``) and
  reads the caller's wallet (a read: nothing is written);
* the public OpenAPI document is served from CloudFront's cache on a repeat;
* a request sent straight to the API's execute-api endpoint is refused (the
  API key only CloudFront knows);
* plain HTTP is refused.

Prints one line per check and exits 1 if any failed. ``--url`` (and
``--origin``) point it at anything else, e.g. the local stack, where the
checks that need CloudFront are reported as not applicable.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

import requests

from .stages import STAGE_SETTINGS

TIMEOUT = 15
PASS, FAIL, NOT_APPLICABLE = "pass", "FAIL", "n/a"


@dataclass(frozen=True)
class Target:
    url: str  # the API's public base, ending in /v1
    origin: str | None = None  # the execute-api base of the same stage, ending in /v1 (deployed only)
    token: str | None = field(default=None, repr=False)  # an ID token of the stage's user pool, if given

    @property
    def behind_cloudfront(self) -> bool:
        return self.origin is not None


@dataclass(frozen=True)
class Result:
    check: str
    outcome: str
    detail: str


def stack_target(stage: str, region: str, endpoint_url: str | None = None) -> Target:
    """The deployed stage's public URL and its API's own endpoint, from the service stack's outputs."""
    import boto3

    settings = STAGE_SETTINGS[stage]
    cfn = boto3.client("cloudformation", region_name=region, endpoint_url=endpoint_url)
    [stack] = cfn.describe_stacks(StackName=settings.prefix)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = {"Url", "RestApiId"} - set(outputs)
    if missing:
        raise SystemExit(f"stack {settings.prefix} has no output {', '.join(sorted(missing))}: is it deployed?")
    origin = f"https://{outputs['RestApiId']}.execute-api.{region}.amazonaws.com/{settings.api_stage}/v1"
    return Target(url=outputs["Url"].rstrip("/"), origin=origin)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: requests.Response) -> str | None:
    error = _json(response).get("error")
    return error.get("code") if isinstance(error, dict) else None


def _expect_refusal(response: requests.Response, status: int, code: str | None) -> tuple[bool, str]:
    """The status, in the service's error envelope; with `code`, that error code."""
    got = _error_code(response)
    ok = response.status_code == status and got is not None and (code is None or got == code)
    return ok, f"{response.status_code} {got or response.text[:80]!r} (want {status} {code or 'in the envelope'})"


def check_health(t: Target, http: requests.Session) -> tuple[str, str]:
    r = http.get(f"{t.url}/health", timeout=TIMEOUT)
    ok = r.status_code == 200 and bool(r.headers.get("X-Request-Id")) and _json(r).get("status") == "ok"
    return (PASS if ok else FAIL), f"{r.status_code} {r.text[:80]!r}, X-Request-Id {r.headers.get('X-Request-Id')!r}"


def check_security_headers(t: Target, http: requests.Session) -> tuple[str, str]:
    if not t.behind_cloudfront:
        return NOT_APPLICABLE, "added by CloudFront's response headers policy"
    r = http.get(f"{t.url}/health", timeout=TIMEOUT)
    hsts, nosniff = r.headers.get("Strict-Transport-Security"), r.headers.get("X-Content-Type-Options")
    ok = bool(hsts) and (nosniff or "").lower() == "nosniff"
    return (PASS if ok else FAIL), f"Strict-Transport-Security {hsts!r}, X-Content-Type-Options {nosniff!r}"


def check_private_route_without_token(t: Target, http: requests.Session) -> tuple[str, str]:
    ok, detail = _expect_refusal(http.get(f"{t.url}/wallet", timeout=TIMEOUT), 401, "unauthenticated")
    return (PASS if ok else FAIL), detail


def check_private_route_with_forged_token(t: Target, http: requests.Session) -> tuple[str, str]:
    forged = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZvcmdlZCJ9.eyJzdWIiOiJhbnlvbmUifQ.c2lnbmF0dXJl"
    r = http.get(f"{t.url}/wallet", headers={"Authorization": f"Bearer {forged}"}, timeout=TIMEOUT)
    ok, detail = _expect_refusal(r, 401, "unauthenticated")
    return (PASS if ok else FAIL), detail


def check_valid_token_is_let_through(t: Target, http: requests.Session) -> tuple[str, str]:
    """The one check that needs a user: API Gateway's authorizer and the app both accept the token as sent."""
    if not t.token:
        return NOT_APPLICABLE, "set SMOKE_TOKEN to an ID token of the stage's user pool"
    r = http.get(f"{t.url}/wallet", headers={"Authorization": f"Bearer {t.token}"}, timeout=TIMEOUT)
    ok = r.status_code == 200 and "user_id" in _json(r)
    return (PASS if ok else FAIL), f"{r.status_code} (want 200 and the caller's wallet)"


def check_public_document_is_cached(t: Target, http: requests.Session) -> tuple[str, str]:
    if not t.behind_cloudfront:
        return NOT_APPLICABLE, "CloudFront's cache"
    seen = []
    for _ in range(3):  # the first request of an edge location is a miss
        r = http.get(f"{t.url}/openapi.json", timeout=TIMEOUT)
        seen.append(f"{r.status_code} {r.headers.get('X-Cache')!r}")
        if r.status_code == 200 and "hit" in (r.headers.get("X-Cache") or "").lower():
            return PASS, ", ".join(seen)
    return FAIL, ", ".join(seen)


def check_origin_refuses_direct_calls(t: Target, http: requests.Session) -> tuple[str, str]:
    if not t.behind_cloudfront:
        return NOT_APPLICABLE, "no origin behind the URL"
    # 403 whichever gateway response type API Gateway picks for a missing key (INVALID_API_KEY: forbidden)
    ok, detail = _expect_refusal(http.get(f"{t.origin}/health", timeout=TIMEOUT), 403, None)
    return (PASS if ok else FAIL), detail


def check_plain_http_is_refused(t: Target, http: requests.Session) -> tuple[str, str]:
    if not t.behind_cloudfront:
        return NOT_APPLICABLE, "HTTPS is CloudFront's"
    parts = urlsplit(t.url)
    plain = urlunsplit(("http", parts.netloc, f"{parts.path}/health", "", ""))
    r = http.get(plain, timeout=TIMEOUT, allow_redirects=False)
    return (PASS if r.status_code == 403 else FAIL), f"{plain} -> {r.status_code} (want 403)"


CHECKS: list[tuple[str, Callable[[Target, requests.Session], tuple[str, str]]]] = [
    ("health answers through the public URL", check_health),
    ("security headers are added", check_security_headers),
    ("a private route refuses a missing token (401)", check_private_route_without_token),
    ("a private route refuses a forged token (401)", check_private_route_with_forged_token),
    ("a valid ID token is let through (200)", check_valid_token_is_let_through),
    ("the OpenAPI document is served from the cache", check_public_document_is_cached),
    ("the API refuses calls that bypass CloudFront (403)", check_origin_refuses_direct_calls),
    ("plain HTTP is refused (403)", check_plain_http_is_refused),
]


def run_checks(target: Target, http: requests.Session | None = None) -> list[Result]:
    http = http or requests.Session()
    results = []
    for name, check in CHECKS:
        try:
            outcome, detail = check(target, http)
        except requests.RequestException as exc:
            outcome, detail = FAIL, f"{type(exc).__name__}: {exc}"
        results.append(Result(name, outcome, detail))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--stage", choices=sorted(STAGE_SETTINGS), help="a deployed stage: its stack's outputs name the URLs"
    )
    where.add_argument("--url", help="the API's base URL, ending in /v1")
    parser.add_argument("--origin", help="with --url: the execute-api base URL of the same stage, ending in /v1")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
        help="the service stack's region (with --stage)",
    )
    args = parser.parse_args(argv)
    if args.stage:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            target = stack_target(args.stage, args.region)
        except (BotoCoreError, ClientError) as exc:
            raise SystemExit(f"cannot read the outputs of stage {args.stage} in {args.region}: {exc}") from None
    else:
        target = Target(url=args.url.rstrip("/"), origin=args.origin.rstrip("/") if args.origin else None)
    target = replace(target, token=os.environ.get("SMOKE_TOKEN") or None)
    print(f"smoke: {target.url}" + (f" (origin {target.origin})" if target.origin else ""))
    results = run_checks(target)
    width = max(len(r.check) for r in results)
    for r in results:
        print(f"  {r.outcome:4} {r.check:{width}}  {r.detail}")
    failed = [r for r in results if r.outcome == FAIL]
    print(
        f"{len(results) - len(failed)} of {len(results)} checks did not fail"
        if not failed
        else f"{len(failed)} of {len(results)} checks FAILED"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
