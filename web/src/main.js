// The shell: a router over the three areas' route lists, the navigation the signed-in user may use, the
// language switch and sign-out. Pages are loaded when first visited (dynamic import), so each page carries
// only its own code.
import { html, render, useEffect, useState } from "./vendor/preact-htm.js";
import { roles, session, signOut } from "./lib/auth.js";
import { addStrings, lang, languages, onLang, setLang, t } from "./lib/i18n.js";
import { ErrorBox, Loading } from "./lib/ui.js";
import { routes as customer } from "./pages/customer/routes.js";
import { routes as merchant } from "./pages/merchant/routes.js";
import { routes as operator } from "./pages/operator/routes.js";

addStrings({
  "zh-CN": { "lang.zh-CN": "中文", "lang.en": "English" },
  en: { "lang.zh-CN": "中文", "lang.en": "English" },
});

const SHELL = [
  { path: "/app/signin", load: () => import("./pages/signin.js"), public: true },
  { path: "/app/callback", load: () => import("./pages/callback.js"), public: true },
];
const ALL = [...SHELL, ...customer, ...merchant, ...operator].map((r) => ({ ...r, match: compile(r.path) }));

function compile(path) {
  const names = [];
  const re = path.replace(/\/:(\w+)/g, (_, name) => {
    names.push(name);
    return "/([^/]+)";
  });
  const rx = new RegExp(`^${re}/?$`);
  return (p) => {
    const m = rx.exec(p);
    if (!m) return null;
    try {
      return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    } catch {
      return null; // a malformed escape: no such page
    }
  };
}

function allowed(route, r) {
  if (route.public) return true;
  if (!r.customer) return false;
  if (route.role === "admin") return r.admin;
  if (route.role === "merchant") return r.admin || r.merchants.length > 0;
  return true;
}

function home(r) {
  if (r.admin) return "/app/ops";
  if (r.merchants.length) return `/app/merchant/${encodeURIComponent(r.merchants[0])}`;
  return "/app/wallet";
}

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  dispatchEvent(new Event("sb:navigate"));
}

function resolve(pathname) {
  for (const route of ALL) {
    const params = route.match(pathname);
    if (params) return { route, params };
  }
  return null;
}

function useLocation() {
  const [loc, setLoc] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setLoc(location.pathname + location.search);
    addEventListener("popstate", update);
    addEventListener("sb:navigate", update);
    update(); // a child's effect may have navigated before these listeners were attached
    return () => {
      removeEventListener("popstate", update);
      removeEventListener("sb:navigate", update);
    };
  }, []);
  return loc;
}

function Nav({ r, current }) {
  const items = [...customer, ...merchant, ...operator].filter((x) => x.nav && allowed(x, r));
  const groups = [
    ["area.customer", items.filter((x) => x.role !== "merchant" && x.role !== "admin")],
    ["area.merchant", items.filter((x) => x.role === "merchant")],
    ["area.operator", items.filter((x) => x.role === "admin")],
  ].filter(([, list]) => list.length);
  const href = (x) => (x.href ? x.href(r) : x.path);
  // the current page's link: the longest one the path starts with (an overview's link is a prefix of its area's)
  const here = items
    .map(href)
    .filter((h) => current === h || current.startsWith(`${h}/`))
    .sort((a, b) => b.length - a.length)[0];
  return html`<nav class="shell-nav" aria-label=${t("app.menu")}>
    ${groups.map(
      ([area, list]) => html`<div class="nav-group">
        <p class="nav-area">${t(area)}</p>
        <ul>
          ${list.map(
            (x) => html`<li><a href=${href(x)} aria-current=${href(x) === here ? "page" : undefined}>${t(x.nav)}</a></li>`,
          )}
        </ul>
      </div>`,
    )}
  </nav>`;
}

function NotFound() {
  useEffect(() => {
    document.title = `${t("app.not_found")} · ${t("app.name")}`;
  }, []);
  return html`<section class="page-body not-found" data-view="not-found">
    <h1>${t("app.not_found")}</h1>
    <p>${t("app.not_found_hint")}</p>
    <p><a href="/app/">${t("app.home")}</a></p>
  </section>`;
}

function Forbidden() {
  return html`<section class="page-body" data-view="forbidden"><h1>${t("app.forbidden")}</h1><p><a href="/app/">${t("app.home")}</a></p></section>`;
}

function Routed({ loc }) {
  const url = new URL(location.href); // `loc` only triggers the render; the browser's own parse of where we are
  const s = session();
  const r = roles(s);
  const [mod, setMod] = useState({ key: null, Page: null, error: null });
  let found = resolve(url.pathname);
  let redirect = null;
  if (!found && (url.pathname === "/app" || url.pathname === "/app/")) {
    if (s) redirect = home(r);
    else found = resolve("/app/signin");
  }
  const needSignIn = Boolean(found && !found.route.public && !s);
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
    else if (needSignIn) navigate(`/app/signin?next=${encodeURIComponent(url.pathname + url.search)}`, { replace: true });
  }, [redirect, needSignIn, loc]);
  const key = found?.route.path;
  useEffect(() => {
    if (!found || needSignIn) return;
    let live = true;
    found.route.load().then(
      (m) => live && setMod({ key, Page: m.default, error: null }),
      (error) => live && setMod({ key, Page: null, error }),
    );
    return () => {
      live = false;
    };
  }, [key, needSignIn]);
  if (redirect) return html`<${Loading} />`;
  if (!found) return html`<${NotFound} />`;
  if (needSignIn) return html`<${Loading} />`;
  if (!allowed(found.route, r)) return html`<${Forbidden} />`;
  if (mod.key !== key) return html`<${Loading} />`;
  if (mod.error) return html`<${ErrorBox} error=${mod.error} />`;
  const query = Object.fromEntries(url.searchParams.entries());
  return html`<${mod.Page} params=${found.params} query=${query} roles=${r} navigate=${navigate} key=${loc} />`;
}

function Shell() {
  const loc = useLocation();
  const [, setLangState] = useState(lang());
  useEffect(() => onLang(setLangState), []);
  const s = session();
  const r = roles(s);
  return html`<a class="skip" href="#main">${t("app.skip")}</a>
    <header class="shell-header">
      <a class="brand" href="/app/">${t("app.name")}</a>
      <div class="shell-tools">
        <label class="lang">
          <span class="visually-hidden">${t("app.language")}</span>
          <select id="lang-switch" value=${lang()} onChange=${(e) => setLang(e.target.value)}>
            ${languages().map((l) => html`<option value=${l} selected=${l === lang()}>${t(`lang.${l}`)}</option>`)}
          </select>
        </label>
        ${s
          ? html`<span class="who" id="signed-in-user">${s.username}</span>
              <button type="button" id="sign-out" onClick=${() => signOut()}>${t("app.sign_out")}</button>`
          : null}
      </div>
    </header>
    <div class="shell-body">
      ${s ? html`<${Nav} r=${r} current=${location.pathname} />` : null}
      <main id="main" class="page" tabindex="-1"><${Routed} loc=${loc} /></main>
    </div>`;
}

// links inside the app navigate without a reload
document.addEventListener("click", (e) => {
  const a = e.target.closest?.("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.download) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/app/") || url.pathname.startsWith("/app/vendor/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
  document.getElementById("main")?.focus({ preventScroll: true });
  scrollTo(0, 0);
});

document.documentElement.lang = lang();
const root = document.getElementById("root");
root.textContent = "";
render(html`<${Shell} />`, root);
