"""The web app's security headers, read from ``web/headers.json``: the one source for production (CloudFront's
response-headers policy on ``/app/*``, infra/concerns/web.py) and the local server (dev/web_server.py).

Standard library only (the local server imports it without the CDK). ``{cognito}`` in a directive stands for the
origin of the user pool's hosted sign-in: production passes it, locally there is none and the entry is left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

HEADERS_FILE = Path(__file__).resolve().parent.parent / "web" / "headers.json"
COGNITO = "{cognito}"
# what a strict policy never allows: inline script or style, eval, any scheme or host at all
FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*")
SCRIPT_DIRECTIVES = ("default-src", "script-src", "script-src-elem", "worker-src")
REQUIRED_DIRECTIVES = {"default-src", "script-src", "object-src", "base-uri", "frame-ancestors"}
# an https origin: no path, no space, nothing that ends a source list or a directive (CDK tokens pass: ${Token[..]})
ORIGIN = re.compile(r"https://[^\s;,'\"/]+")
DIRECTIVE = re.compile(r"[a-z-]+")
SOURCE = re.compile(r"[^\s;,]+")
FRAME_OPTIONS = ("DENY", "SAMEORIGIN")
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)


@dataclass(frozen=True)
class HeaderPolicy:
    """What ``web/headers.json`` says, checked: a strict CSP (by directive), HSTS and the fixed headers."""

    csp: Mapping[str, tuple[str, ...]]
    hsts_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool
    content_type_options: str
    frame_options: str
    referrer_policy: str
    permissions_policy: str

    def content_security_policy(self, cognito_origin: str | None) -> str:
        """The CSP header's value; ``{cognito}`` becomes ``cognito_origin``, or is left out without one."""
        if cognito_origin is not None and not ORIGIN.fullmatch(cognito_origin):
            raise ValueError(f"the sign-in origin must be https://host with nothing after it, not {cognito_origin!r}")
        directives = []
        for name, sources in self.csp.items():
            values = [cognito_origin if s == COGNITO else s for s in sources]
            kept = [v for v in values if v is not None]
            directives.append(" ".join([name, *kept]))
        return "; ".join(directives)

    @property
    def strict_transport_security(self) -> str:
        return "; ".join(
            [f"max-age={self.hsts_seconds}"]
            + (["includeSubDomains"] if self.hsts_include_subdomains else [])
            + (["preload"] if self.hsts_preload else [])
        )


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{what}: a non-empty list of sources, not {value!r}")
    return tuple(value)


def load(path: Path = HEADERS_FILE) -> HeaderPolicy:
    """Read and check the file: a directive or value that would weaken the policy is refused, not passed on."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    csp_raw = raw.get("csp")
    if not isinstance(csp_raw, dict):
        raise ValueError(f"{path}: 'csp' must map directives to lists of sources")
    csp: dict[str, tuple[str, ...]] = {}
    for name, sources in csp_raw.items():
        if not DIRECTIVE.fullmatch(name):
            raise ValueError(f"{path}: {name!r} is not a directive name")
        csp[name] = _strings(sources, f"{path}: {name}")
        for source in csp[name]:
            if source in FORBIDDEN_SOURCES or not SOURCE.fullmatch(source):
                raise ValueError(f"{path}: {name} {source!r} is not allowed in this policy")
            if name in SCRIPT_DIRECTIVES and source.endswith(":"):  # data:, blob:, https: run anyone's script
                raise ValueError(f"{path}: {name} {source!r} would allow script from anywhere")
    missing = REQUIRED_DIRECTIVES - csp.keys()
    if missing:
        raise ValueError(f"{path}: the policy needs {sorted(missing)}")
    if csp["frame-ancestors"] != ("'none'",):
        raise ValueError(f"{path}: frame-ancestors must be 'none' (the app is never framed)")
    hsts = raw.get("hsts_seconds")
    if not isinstance(hsts, int) or isinstance(hsts, bool) or hsts < 31536000:
        raise ValueError(f"{path}: hsts_seconds must be a whole number of at least a year (31536000), not {hsts!r}")
    frame_options = raw.get("frame_options", "DENY")
    if frame_options not in FRAME_OPTIONS:
        raise ValueError(f"{path}: frame_options must be one of {FRAME_OPTIONS}, not {frame_options!r}")
    referrer = raw.get("referrer_policy")
    if referrer not in REFERRER_POLICIES:
        raise ValueError(f"{path}: referrer_policy must be one of {REFERRER_POLICIES}, not {referrer!r}")
    if raw.get("content_type_options", "nosniff") != "nosniff":
        raise ValueError(f"{path}: content_type_options can only be 'nosniff'")
    permissions = raw.get("permissions_policy")
    if not isinstance(permissions, str) or not permissions.strip() or "\n" in permissions:
        raise ValueError(f"{path}: permissions_policy must be a one-line header value")
    return HeaderPolicy(
        csp=csp,
        hsts_seconds=hsts,
        hsts_include_subdomains=bool(raw.get("hsts_include_subdomains", True)),
        hsts_preload=bool(raw.get("hsts_preload", True)),
        content_type_options="nosniff",
        frame_options=frame_options,
        referrer_policy=referrer,
        permissions_policy=permissions.strip(),
    )


def security_headers(cognito_origin: str | None, path: Path = HEADERS_FILE) -> dict[str, str]:
    """Header name -> value for every response of the app; ``cognito_origin`` is the hosted sign-in's origin
    (``https://<prefix>.auth.<region>.amazoncognito.com``), or None where sign-in is on the same origin."""
    policy = load(path)
    return {
        "Content-Security-Policy": policy.content_security_policy(cognito_origin),
        "Strict-Transport-Security": policy.strict_transport_security,
        "X-Content-Type-Options": policy.content_type_options,
        "X-Frame-Options": policy.frame_options,
        "Referrer-Policy": policy.referrer_policy,
        "Permissions-Policy": policy.permissions_policy,
    }
