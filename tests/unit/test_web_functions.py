"""The web app's pure functions that guard money and navigation, run in Node as the browser runs them: where
signing in may lead (``safeNext``), where the hosted checkout returns (``returnTarget``), money as yuan and
back (``yuan``, ``toFen``), and the CSV export (no spreadsheet formula, numbers kept as numbers)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "web" / "src"

SCRIPT = """
globalThis.location = new URL("http://127.0.0.1:8080/app/wallet");
const src = process.argv[1];
const { safeNext } = await import(`${src}/lib/auth.js`);
const { csvText } = await import(`${src}/lib/ui.js`);
const { yuan, toFen } = await import(`${src}/lib/format.js`);
const { returnTarget } = await import(`${src}/pages/customer/pay.js`);
const input = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  next: input.next.map(safeNext),
  csv: csvText([{ key: "a", label: "a" }], input.csv.map((a) => ({ a }))),
  yuan: input.yuan.map(yuan),
  fen: input.fen.map(toFen),
  ret: input.ret.map(([u, c, p, s]) => returnTarget(u, c, p, s)),
}));
"""


def run(**inputs):
    assert shutil.which("node"), "node is needed (make web uses npm)"
    done = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, str(SRC), json.dumps(inputs)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_guards_and_the_money_formatting():
    out = run(
        next=[
            "/app/history?x=1",
            "/app/..//evil.example/app/wallet",
            "//evil.example/app/",
            "https://evil.example/app/",
            "/v1/wallet",
            "javascript:alert(1)",
            "/app",
        ],
        csv=["=cmd", -12.5, "a\r=cmd", "-12.50", "@x", 'say "hi"'],
        yuan=[123456, -5, 0, None],
        fen=["12.3", "12", "0.05", "1.234", "abc", "-1", ""],
        ret=[
            ["https://shop.example/r?a=%20&b=~", "chk_1", "pay_2", "succeeded"],
            ["https://shop.example/r", "chk_1", None, None],
            ["javascript:alert(1)", "chk_1", "pay_2", "succeeded"],
        ],
    )
    assert out["next"] == ["/app/history?x=1", "/app/", "/app/", "/app/", "/app/", "/app/", "/app/"]
    assert out["csv"] == 'a\n\'=cmd\n-12.5\n"a\r=cmd"\n-12.50\n\'@x\n"say ""hi"""\n'
    assert out["yuan"] == ["¥1,234.56", "-¥0.05", "¥0.00", "—"]
    assert out["fen"] == [1230, 1200, 5, None, None, None, None]
    assert out["ret"] == [
        # the merchant's query as written, the outcome appended
        "https://shop.example/r?a=%20&b=~&checkout_id=chk_1&payment_id=pay_2&status=succeeded",
        "https://shop.example/r?checkout_id=chk_1",
        None,
    ]
