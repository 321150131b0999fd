"""A merchant's return origins: where the hosted checkout may send its customer back to (no open redirect).

An origin is a scheme, a host and a port, nothing else: ``https://shop.example.com`` or
``https://shop.example.com:8443``; plain ``http`` only for ``localhost`` and ``127.0.0.1`` (a developer's own
machine). Hosts are ASCII letters, digits and hyphens in dot-separated labels (an internationalised name in its
``xn--`` form); no userinfo, no path, query or fragment, no trailing dot. Origins are kept lower-case and without
the scheme's default port, as a browser compares them.
"""

from __future__ import annotations

import re
from typing import Iterable

from .errors import InvalidRequest

MAX_RETURN_ORIGINS = 10
MAX_ORIGIN_LENGTH = 270  # "https://" + a 253-character host + ":65535"
MAX_RETURN_URL_LENGTH = 2048

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"{_LABEL}(\.{_LABEL})*"
_PORT = r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
_LOCAL = r"([Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|127\.0\.0\.1)"
# the whole rule in one pattern, read alike by JSON Schema (ECMA-262) and by Python: letters spelled in both
# cases since a JSON Schema pattern has no flags
ORIGIN_PATTERN = rf"^([Hh][Tt][Tt][Pp][Ss]://{_HOST}{_PORT}|[Hh][Tt][Tt][Pp]://{_LOCAL}{_PORT})$"
_ORIGIN = re.compile(ORIGIN_PATTERN)

# a return URL: scheme "://" authority, then nothing or a path, query or fragment
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([/?#].*)?", re.DOTALL)
_AUTHORITY = re.compile(rf"(?P<host>{_HOST})(:(?P<port>[0-9]{{1,5}}))?")
_DEFAULT_PORT = {"https": 443, "http": 80}


def _origin(scheme: str, host: str, port: int | None) -> str:
    scheme, host = scheme.lower(), host.lower()
    shown = "" if port is None or port == _DEFAULT_PORT[scheme] else f":{port}"
    return f"{scheme}://{host}{shown}"


def normalise_origin(text: str, field: str = "return_origins") -> str:
    """The origin ``text`` names, lower-case and without the default port; InvalidRequest
    (``invalid_return_origin``) if it is not exactly an origin of the form above."""
    if len(text) > MAX_ORIGIN_LENGTH or not _ORIGIN.fullmatch(text):
        raise InvalidRequest(
            f"{field}: {text[:80]!r} is not an origin: https://host[:port] (http only for localhost and "
            "127.0.0.1), with no path, query, fragment or user",
            code="invalid_return_origin",
            field=field,
        )
    scheme, rest = text.split("://", 1)
    host, _, port = rest.partition(":")
    return _origin(scheme, host, int(port) if port else None)


def normalise_origins(texts: Iterable[str]) -> tuple[str, ...]:
    """Each origin normalised, duplicates dropped, in the order given; at most MAX_RETURN_ORIGINS."""
    seen: dict[str, None] = {}
    for i, text in enumerate(texts):
        seen.setdefault(normalise_origin(text, f"return_origins.{i}"), None)
    if len(seen) > MAX_RETURN_ORIGINS:
        raise InvalidRequest(
            f"return_origins: at most {MAX_RETURN_ORIGINS} origins",
            code="invalid_return_origin",
            field="return_origins",
        )
    return tuple(seen)


def origin_of(url: str) -> str | None:
    """The origin a browser would go to for ``url``, or None when ``url`` is not plainly an absolute http(s) URL
    of an ASCII host: anything a browser might read differently from this function (whitespace or control
    characters anywhere, which browsers drop; backslashes, which they read as slashes; userinfo; percent signs,
    brackets or anything else in the host; a scheme without "//") is None, so it matches no origin."""
    if len(url) > MAX_RETURN_URL_LENGTH or any(c <= " " or c >= "\x7f" or c == "\\" for c in url):
        return None
    found = _URL.fullmatch(url)
    if found is None:
        return None
    scheme, authority = found.group(1).lower(), found.group(2)
    if scheme not in _DEFAULT_PORT:
        return None
    parts = _AUTHORITY.fullmatch(authority)
    if parts is None:
        return None
    port = int(parts["port"]) if parts["port"] else None
    if port is not None and not 0 < port <= 65535:
        return None
    return _origin(scheme, parts["host"], port)


def allowed_return(url: str, origins: Iterable[str]) -> bool:
    """Whether the hosted checkout may send its customer to ``url``: its origin is exactly one of the merchant's
    registered ``origins`` (normalised as normalise_origin keeps them). Invariant: no URL whose origin, as a
    browser reads it, is not registered is ever allowed (an unclear URL is refused)."""
    origin = origin_of(url)
    return origin is not None and origin in set(origins)
