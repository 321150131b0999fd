// Lighthouse on a page of the web app that needs a signed-in user (bench/web.py runs it).
//
// The app keeps its session in sessionStorage, which a fresh Lighthouse run does not have; a redirect through a
// page that stores it would make Lighthouse measure two navigations. So: Lighthouse's Node API on a page of
// puppeteer-core (both pinned, installed by bench/web.py into .local/lighthouse), the system's Chromium, and the
// session put into sessionStorage by a script evaluated on every new document of the app's origin, before the
// app's own scripts run. The measured navigation is then the page itself, cold, as a signed-in user opens it.
//
// Input (stdin, JSON): {modules, chrome, args, url, origin, sessionKey, session, categories, out}
// Output: the Lighthouse result (lhr) written to `out`; one line of JSON on stdout with the scores.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const load = (rel) => import(pathToFileURL(join(input.modules, rel)).href);
const { default: lighthouse } = await load("lighthouse/core/index.js");
const puppeteer = (await load("puppeteer-core/lib/esm/puppeteer/puppeteer-core.js")).default;

const browser = await puppeteer.launch({
  executablePath: input.chrome,
  headless: true,
  args: input.args,
  defaultViewport: null,
});
try {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(
    (origin, key, value) => {
      if (location.origin === origin) sessionStorage.setItem(key, value);
    },
    input.origin,
    input.sessionKey,
    input.session,
  );
  // the defaults: the mobile form factor (a Moto G Power's screen, simulated 4G and a 4x slower CPU)
  const result = await lighthouse(
    input.url,
    { output: "json", logLevel: "error", onlyCategories: input.categories },
    undefined,
    page,
  );
  if (!result) throw new Error("lighthouse returned no result");
  const lhr = result.lhr;
  writeFileSync(input.out, JSON.stringify(lhr));
  const scores = Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, c.score]));
  const audits = lhr.audits;
  const metric = (id) => audits[id]?.numericValue ?? null;
  console.log(
    JSON.stringify({
      requestedUrl: lhr.requestedUrl,
      finalUrl: lhr.finalDisplayedUrl ?? lhr.finalUrl,
      formFactor: lhr.configSettings.formFactor,
      lighthouseVersion: lhr.lighthouseVersion,
      userAgent: lhr.environment?.hostUserAgent,
      runtimeError: lhr.runtimeError ?? null,
      runWarnings: lhr.runWarnings ?? [],
      scores,
      metrics: {
        first_contentful_paint_ms: metric("first-contentful-paint"),
        largest_contentful_paint_ms: metric("largest-contentful-paint"),
        total_blocking_time_ms: metric("total-blocking-time"),
        cumulative_layout_shift: metric("cumulative-layout-shift"),
        speed_index_ms: metric("speed-index"),
        total_byte_weight: metric("total-byte-weight"),
      },
      failedAccessibility: Object.values(audits)
        .filter((a) => a.score !== null && a.score < 1 && lhr.categories.accessibility?.auditRefs.some((r) => r.id === a.id && r.weight > 0))
        .map((a) => a.id),
    }),
  );
} finally {
  await browser.close();
}
