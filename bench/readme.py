"""bench/README.md from a `make bench` run's results: the command, the date, every benchmark's table.

`make bench` (bench/run.py) calls ``write`` with the results it also puts in bench/results/bench.json;
``python -m bench.readme [bench.json]`` writes the page again from such a file (default: the last run's).
Everything from ``NOTES_MARKER`` on is written by hand (what a run's figures mean, why a goal was missed)
and kept as it is; the rest of the page is replaced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .common import RESULTS_DIR, ROOT, met_text

README = ROOT / "bench" / "README.md"
RESULTS_FILE = RESULTS_DIR / "bench.json"
COMMAND = "make bench"  # = .venv/bin/python -m bench.run
NOTES_MARKER = "<!-- notes: written by hand from here on; `make bench` keeps them -->"
NO_NOTES = "## Notes\n\nNone yet: what the figures mean, and why a goal was missed, is written here by hand.\n"

HEADER = """\
# Benchmarks

<!-- Written by `make bench` (bench/run.py, bench/readme.py) from the run's results; the page above the notes
     marker is replaced by every run. `python -m bench.readme` writes it again from bench/results/bench.json. -->

`make bench` starts its own local stack (serialized moto server + `chalice local`, on free ports), runs every
benchmark and stops the stack whatever happens: storage calls per operation, HTTP vs raw-storage latency
ratio (pay, and quote and pay with rules, coupon and points), a cold process serving a payment vs boto3,
concurrent throughput, a coupon budget under 64 payers, the domain events' commit-to-bus lag (on a stack of
its own with the event runner), then, with the stack stopped, the cold import ratio and the Lambda bundle's
size. It prints a table per benchmark and a table of targets, writes every figure to
`bench/results/bench.json` (git-ignored) and writes this page. A benchmark that fails is reported and the
others still run (exit status 1); a missed target does not fail the run. It takes minutes and measures
latencies: run it on a quiet machine.
"""


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + [
        "| " + " | ".join(_cell(c) for c in r) + " |" for r in rows
    ]


def render_figures(results: dict[str, Any]) -> str:
    """The generated part of the page: the run (command, date, machine) and its tables."""
    meta = results.get("meta", {})
    lines = [HEADER, "## The last run", ""]
    lines.append(
        f"Command: `{meta.get('command', COMMAND)}`, started {meta.get('started_at', '?')} "
        f"at commit `{meta.get('git_head', '?')}`; Python {meta.get('python', '?')} on "
        f"{meta.get('platform', '?')}, {meta.get('cpus', '?')} CPUs; it took "
        f"{meta.get('duration_s', '?')} s."
    )
    targets = results.get("targets", [])
    if targets:
        lines += ["", "### Targets", ""]
        lines += _table(
            ("benchmark", "metric", "value", "target", "met"),
            [
                (t["benchmark"].split(" ", 1)[0].rstrip("."), t["metric"], t["value"], t["target"], met_text(t["met"]))
                for t in targets
            ],
        )
    for table in results.get("tables", []):
        lines += ["", f"### {table['title']}", ""]
        lines += _table(
            ("metric", "value", "target", "met"),
            [(r["metric"], r["value"], r["target"], met_text(r["met"])) for r in table["rows"]],
        )
        if table.get("extra"):
            lines += ["", "```", table["extra"], "```"]
    errors = results.get("errors", {})
    if errors:
        lines += ["", "### Errors", ""]
        lines += _table(("benchmark", "error"), [(key, e.get("error", "?")) for key, e in errors.items()])
    return "\n".join(lines) + "\n"


def kept_notes(path: Path = README) -> str:
    """The hand-written notes of the page as it is (from the marker on), or a stub."""
    text = path.read_text() if path.exists() else ""
    if NOTES_MARKER in text:
        return text[text.index(NOTES_MARKER) :]
    return f"{NOTES_MARKER}\n\n{NO_NOTES}"


def render(results: dict[str, Any], path: Path = README) -> str:
    return render_figures(results) + "\n" + kept_notes(path)


def write(results: dict[str, Any], path: Path = README) -> Path:
    path.write_text(render(results, path))
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else RESULTS_FILE
    if not source.exists():
        print(f"{source} does not exist: run `make bench` first", file=sys.stderr)
        return 1
    print(f"wrote {write(json.loads(source.read_text())).relative_to(ROOT)} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
