"""The web app on the local stack: what CloudFront does in production, on one origin (a process thread of
`make run`, and of the browser tests).

- ``/app/*``: the files of ``web/src/`` (the folder the infra deploys to the app's bucket), extensionless paths
  answered with ``index.html`` as the distribution's viewer-request function does, gzip when the browser
  accepts it (CloudFront compresses), and the security headers of the ``/app/*`` response-headers policy, read
  from the same definition (infra/web_headers.py).
- ``/app/config.json``: the local sign-in settings (production's is written by the infra).
- everything else (``/v1/...``): passed to `chalice local` unchanged, as the distribution's default behaviour
  passes it to API Gateway, so the app calls the API on its own origin with no CORS.
- ``/local/...``: local-only stand-ins that production does not have and does not need:
  ``/local/cognito/`` forwards the sign-in page's Cognito call (InitiateAuth) to the local user pool in moto;
  ``/local/topups/{id}/confirm`` plays the payment provider confirming a top-up (a signed webhook, as the
  provider would send it); ``/local/session`` puts a demo user's session into the tab (the benchmarks' way in);
  ``/local/shop/return`` is the demo shop's page the hosted checkout returns to.

Written here rather than taken from a library: the standard library's server is enough for one developer's
browser and the tests, and the mapping above is the whole of it.
"""

from __future__ import annotations

import gzip
import html
import json
import mimetypes
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalicelib.api.signature import sign
from dev.stack import ROOT, StackInfo, issue_token

WEB_ROOT = ROOT / "web" / "src"
DEMO_USERS = ("alice", "bob", "carol", "merchant1", "operator")
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}
MAX_BODY = 1 << 20
NOT_FOUND = b'{"error":{"code":"not_found","message":"no such local page"}}'
SESSION_SCRIPT = """
const meta = document.querySelector('meta[name="sb-session"]');
sessionStorage.setItem("sb.session", meta.content);
location.replace(document.querySelector('meta[name="sb-next"]').content);
"""

mimetypes.add_type("application/javascript", ".js")
mimetypes.add_type("image/svg+xml", ".svg")


def security_headers() -> dict[str, str]:
    from infra.web_headers import security_headers as headers

    return headers(None)


def safe_next(next_url: str) -> str:
    return next_url if next_url.startswith("/app/") and not next_url.startswith("//") else "/app/"


class WebServer:
    def __init__(self, info: StackInfo, port: int = 0, root: Path = WEB_ROOT, host: str = "127.0.0.1") -> None:
        self.info, self.root = info, root
        self.headers = security_headers()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="web", daemon=True)

    def start(self) -> "WebServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def config(self) -> dict[str, Any]:
        return {
            "auth": "local",
            "clientId": self.info.client_id,
            "region": self.info.region,
            "cognitoPath": "/local/cognito/",
            "demoUsers": list(DEMO_USERS),
            "topupConfirmPath": "/local/topups/{topup_id}/confirm",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the API logs its own requests
                return

            def do_GET(self) -> None:
                self.route()

            def do_HEAD(self) -> None:
                self.route()

            def do_POST(self) -> None:
                self.route()

            def do_PUT(self) -> None:
                self.route()

            def do_DELETE(self) -> None:
                self.route()

            def do_PATCH(self) -> None:
                self.route()

            def do_OPTIONS(self) -> None:
                self.route()

            def route(self) -> None:
                # this machine's own names only (a page elsewhere rebinding its DNS name to 127.0.0.1 gets
                # nothing), and an origin-form request target
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                if host not in ("127.0.0.1", "localhost") or not self.path.startswith("/"):
                    self.send(421, b"this server answers 127.0.0.1 and localhost only", "text/plain")
                    return
                url = urllib.parse.urlsplit(self.path)
                path = url.path
                try:
                    if path == "/app/config.json":
                        self.send(200, json.dumps(server.config()).encode(), "application/json", cache="no-store")
                    elif path == "/app" or path.startswith("/app/"):
                        self.static(path)
                    elif path == "/local/cognito/" and self.command == "POST":
                        self.cognito()
                    elif path.startswith("/local/topups/") and path.endswith("/confirm") and self.command == "POST":
                        self.confirm_topup(path.split("/")[3])
                    elif path == "/local/session":
                        self.session(urllib.parse.parse_qs(url.query))
                    elif path == "/local/session.js":
                        self.send(200, SESSION_SCRIPT.encode(), "application/javascript", cache="no-store")
                    elif path == "/local/shop/return":
                        self.shop_return(urllib.parse.parse_qs(url.query))
                    elif path.startswith("/local/"):
                        self.send(
                            404, b'{"error":{"code":"not_found","message":"no such local page"}}', "application/json"
                        )
                    else:
                        self.proxy()
                except BrokenPipeError:
                    return
                except ValueError:
                    self.send(413, b'{"error":{"code":"body_too_large","message":"at most 1 MiB"}}', "application/json")

            def body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > MAX_BODY:
                    raise ValueError("body too large")
                return self.rfile.read(length) if length else b""

            def send(
                self,
                status: int,
                body: bytes,
                content_type: str,
                cache: str = "no-cache",
                extra: dict[str, str] | None = None,
            ) -> None:
                compress = (
                    len(body) > 512
                    and "gzip" in (self.headers.get("Accept-Encoding") or "")
                    and content_type.startswith(COMPRESSIBLE)
                )
                if compress:
                    body = gzip.compress(body, compresslevel=6)
                self.send_response(status)
                textual = content_type.startswith(COMPRESSIBLE) and "charset" not in content_type
                self.send_header("Content-Type", content_type + ("; charset=utf-8" if textual else ""))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", cache)
                if compress:
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Vary", "Accept-Encoding")
                for name, value in {**server.headers, **(extra or {})}.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def static(self, path: str) -> None:
                relative = path.removeprefix("/app").lstrip("/")
                name = relative.rsplit("/", 1)[-1]
                if "." not in name:  # an app route: the viewer-request function's rewrite
                    relative = "index.html"
                target = (server.root / relative).resolve()
                if not target.is_relative_to(server.root.resolve()) or not target.is_file():
                    self.send(404, b"not found", "text/plain")
                    return
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                self.send(
                    200, target.read_bytes(), kind, cache="no-cache" if relative == "index.html" else "max-age=300"
                )

            def cognito(self) -> None:
                request = urllib.request.Request(
                    server.info.aws_endpoint + "/",
                    data=self.body(),
                    method="POST",
                    headers={
                        "Content-Type": "application/x-amz-json-1.1",
                        "X-Amz-Target": self.headers.get("X-Amz-Target", ""),
                    },
                )
                self.relay(request)

            def confirm_topup(self, topup_id: str) -> None:
                try:
                    amount = int(json.loads(self.body() or b"{}").get("amount"))
                except (ValueError, TypeError, AttributeError):
                    self.send(
                        400,
                        b'{"error":{"code":"invalid_request","message":"send {\\"amount\\": <fen>}"}}',
                        "application/json",
                    )
                    return
                body = json.dumps(
                    {"topup_id": topup_id, "status": "succeeded", "amount": amount, "provider_ref": f"local-{topup_id}"}
                ).encode()
                request = urllib.request.Request(
                    server.info.api_url + "/v1/webhooks/payments",
                    data=body,
                    method="POST",
                    headers={"Content-Type": "application/json", "X-Signature": sign(server.info.webhook_secret, body)},
                )
                self.relay(request)

            def session(self, query: dict[str, list[str]]) -> None:
                user = (query.get("user") or [""])[0]
                groups = [g for g in (query.get("groups") or [""])[0].split(",") if g]
                if user not in DEMO_USERS and not user.startswith("bench-"):
                    self.send(400, b"a demo user or bench-<name>", "text/plain")
                    return
                # a demo user keeps the groups the seeding gave it; only a benchmark's own user takes groups
                token = issue_token(server.info, user, groups if user.startswith("bench-") and groups else None)
                value = html.escape(json.dumps({"idToken": token, "username": user}), quote=True)
                target = html.escape(safe_next((query.get("next") or ["/app/"])[0]), quote=True)
                page = (
                    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>session</title>'
                    f'<meta name="sb-session" content="{value}"><meta name="sb-next" content="{target}">'
                    '<script src="/local/session.js"></script></head><body></body></html>'
                )
                self.send(200, page.encode(), "text/html", cache="no-store")

            def shop_return(self, query: dict[str, list[str]]) -> None:
                esc = html.escape
                detail = "".join(
                    f'<li><code>{esc(k)}</code> = <code id="return-{esc(k)}">{esc(v[0])}</code></li>'
                    for k, v in sorted(query.items())
                )
                page = (
                    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width, initial-scale=1">'
                    "<title>演示商店 · Demo shop</title></head><body><main>"
                    "<h1>演示商店：已返回 · Demo shop: back from the checkout</h1>"
                    f"<p>(local only)</p><ul>{detail}</ul></main></body></html>"
                )
                self.send(200, page.encode(), "text/html", cache="no-store")

            def proxy(self) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                body = self.body()
                request = urllib.request.Request(
                    server.info.api_url + self.path,
                    data=body if body or self.command in ("POST", "PUT", "PATCH") else None,
                    method=self.command,
                    headers=headers,
                )
                self.relay(request)

            def relay(self, request: urllib.request.Request) -> None:
                try:
                    # the local stack's own http endpoints (moto, chalice local)
                    with urllib.request.urlopen(request, timeout=60) as answer:  # nosec B310 - local endpoints only
                        status, data, headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, data, headers = error.code, error.read(), error.headers
                except OSError as error:
                    message = json.dumps({"error": {"code": "upstream_unavailable", "message": str(error)}})
                    self.send(502, message.encode(), "application/json")
                    return
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-encoding":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

        return Handler


def main() -> int:
    """`python -m dev.web_server [PORT]`: the web app in front of the running `make run` stack."""
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = WebServer(StackInfo.load(), port).start()
    print(f"web app: {server.url}/app/", flush=True)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
