"""The web app's sources (web/src): every module parses, every string shown has both languages, and nothing
that the strict Content-Security-Policy would block (inline script, inline handlers, eval) is in them.

The browser tests (tests/browser) drive the pages themselves; these checks are the cheap ones that name the
file and the key at once."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "web" / "src"
MODULES = sorted(p for p in SRC.rglob("*.js") if "vendor" not in p.parts)
HTML = sorted(p for p in SRC.rglob("*.html") if "vendor" not in p.parts)
LANGS = ("zh-CN", "en")


def _block(text: str, start: int) -> str:
    """The text of the JavaScript object literal whose ``{`` is at ``start`` (string literals skipped)."""
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    raise AssertionError(f"unbalanced object literal at {start}")


def string_tables(text: str) -> dict[str, set[str]]:
    """The keys each language gets from the module's addStrings({...}) calls."""
    keys: dict[str, set[str]] = {lang: set() for lang in LANGS}
    for call in re.finditer(r"addStrings\(\s*\{", text):
        table = _block(text, call.end() - 1)
        for lang in LANGS:
            label = re.escape(f'"{lang}"') if "-" in lang else f'(?:"{lang}"|{lang})'
            for m in re.finditer(rf"{label}\s*:\s*\{{", table):
                keys[lang] |= set(re.findall(r'"([\w.\-]+)"\s*:', _block(table, m.end() - 1)))
    return keys


def test_the_sources_are_there():
    assert (SRC / "index.html").is_file() and (SRC / "main.js").is_file()
    assert len(MODULES) >= 10, [str(p) for p in MODULES]


def test_every_module_parses():
    assert shutil.which("node"), "node is needed (make web uses npm)"
    bad = []
    for path in MODULES:
        done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=30)
        if done.returncode:
            bad.append(f"{path.relative_to(SRC)}: {done.stderr.strip().splitlines()[-1:]}")
    assert not bad, bad


def test_each_module_gives_both_languages_the_same_keys():
    uneven = {}
    for path in MODULES:
        tables = string_tables(path.read_text(encoding="utf-8"))
        if tables["zh-CN"] != tables["en"]:
            uneven[str(path.relative_to(SRC))] = {
                "only zh-CN": sorted(tables["zh-CN"] - tables["en"]),
                "only en": sorted(tables["en"] - tables["zh-CN"]),
            }
    assert not uneven, uneven


def test_every_literal_key_shown_is_defined():
    defined: set[str] = set()
    for path in MODULES:
        defined |= string_tables(path.read_text(encoding="utf-8"))["en"]
    missing = {}
    for path in MODULES:
        used = set(re.findall(r"\bt\(\s*\"([\w.\-]+)\"", path.read_text(encoding="utf-8")))
        if used - defined:
            missing[str(path.relative_to(SRC))] = sorted(used - defined)
    assert not missing, missing


def test_the_string_reader_sees_a_gap():
    """The checks above can fail: a table with a key in one language only is seen as uneven."""
    tables = string_tables('addStrings({"zh-CN": {"a.b": "甲", "c": "{x}"}, en: {"a.b": "A"}});')
    assert tables == {"zh-CN": {"a.b", "c"}, "en": {"a.b"}}


def test_nothing_the_content_security_policy_blocks():
    found = []
    for path in HTML:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            if "src=" not in m.group(1) or m.group(2).strip():
                found.append(f"{path.name}: inline script")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"\sstyle\s*=", text):
            found.append(f"{path.name}: inline handler or style attribute")
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\beval\s*\(|new\s+Function\s*\(|innerHTML\s*=|insertAdjacentHTML|document\.write", text):
            found.append(f"{path.relative_to(SRC)}: eval, Function, innerHTML or document.write")
    assert not found, found
