// Small shared components. Every page renders inside <main> (the shell's), with one <h1>.
import { html, useCallback, useEffect, useState } from "../vendor/preact-htm.js";
import { t } from "./i18n.js";
import { yuan } from "./format.js";

export { html };

export function Page({ title, children, actions }) {
  useEffect(() => {
    document.title = `${title} · ${t("app.name")}`;
  }, [title]);
  return html`<section class="page-body">
    <div class="page-head"><h1>${title}</h1>${actions ? html`<div class="page-actions">${actions}</div>` : null}</div>
    ${children}
  </section>`;
}

export function Money({ fen, className = "" }) {
  return html`<span class=${`money ${className}`} data-fen=${fen}>${yuan(fen)}</span>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t("app.loading")}</p>`;
}

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  return html`<div class="error" role="alert" data-code=${error.code || ""}>
    <p><strong>${t("app.error")}</strong>: ${error.message || String(error)}</p>
    ${error.code ? html`<p class="code">${error.code}</p>` : null}
    ${retry ? html`<button type="button" onClick=${retry}>${t("app.retry")}</button>` : null}
  </div>`;
}

// useLoad(() => api.get(...), [deps]) -> {data, error, loading, reload}
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => live && setState({ data, error: null, loading: false }),
        (error) => live && setState({ data: null, error, loading: false }),
      );
    return () => {
      live = false;
    };
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(run, [run]);
  return { ...state, reload: run };
}

// columns: [{key, label, format?: (value,row)=>string|vnode, numeric?: bool}]
export function DataTable({ columns, rows, caption, id }) {
  if (!rows || rows.length === 0) return html`<p class="empty">${t("app.none")}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption || t("app.table")}>
    <table id=${id}>
      ${caption ? html`<caption>${caption}</caption>` : null}
      <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.numeric ? "num" : ""}>${c.label}</th>`)}</tr></thead>
      <tbody>
        ${rows.map(
          (row) => html`<tr>
            ${columns.map((c) => html`<td class=${c.numeric ? "num" : ""} data-key=${c.key}>${c.format ? c.format(row[c.key], row) : row[c.key] ?? "—"}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function csvCell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  // no formula injection when opened in a spreadsheet (a number, negative ones too, stays a number)
  const numeric = typeof v === "number" || /^-?\d+(\.\d+)?$/.test(s);
  const safe = !numeric && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvText(columns, rows) {
  const head = columns.map((c) => csvCell(c.label)).join(",");
  const body = rows.map((r) => columns.map((c) => csvCell(c.csv ? c.csv(r[c.key], r) : r[c.key])).join(","));
  return [head, ...body].join("\n") + "\n";
}

export function csvDownload(filename, columns, rows) {
  const blob = new Blob(["\ufeff", csvText(columns, rows)], { type: "text/csv;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function Field({ id, label, hint, error, children }) {
  return html`<div class=${`field ${error ? "invalid" : ""}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>` : null}
  </div>`;
}

export function Banner({ kind = "info", children }) {
  return html`<div class=${`banner ${kind}`} role=${kind === "warning" ? "alert" : "status"}>${children}</div>`;
}
