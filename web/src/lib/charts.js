// Chart.js, loaded only by pages that draw charts (its 70 KB stay off the customer's pages). Every chart has its
// table one click away and a CSV download (ChartCard).
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { t } from "./i18n.js";
import { DataTable, csvDownload } from "./ui.js";

let loading;
export function loadChart() {
  loading ??= new Promise((resolve, reject) => {
    if (globalThis.Chart) return resolve(globalThis.Chart);
    const s = document.createElement("script");
    s.src = "/app/vendor/chart.umd.js";
    s.onload = () => resolve(globalThis.Chart);
    s.onerror = () => reject(new Error("chart.umd.js"));
    document.head.appendChild(s);
  });
  return loading;
}

export const PALETTE = ["#b4232c", "#1f5fa8", "#2d7d46", "#b06a00", "#6b3fa0", "#00707a", "#8a4b2a", "#4a4a4a"];

// config: a Chart.js config ({type, data, options}); columns/rows: the same numbers as a table
export function ChartCard({ id, title, config, columns, rows, filename }) {
  const canvas = useRef(null);
  const [showTable, setShowTable] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (showTable || !canvas.current) return undefined;
    let chart;
    let live = true;
    loadChart()
      .then((Chart) => {
        if (!live) return;
        chart = new Chart(canvas.current, {
          ...config,
          options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) },
        });
        canvas.current.dataset.drawn = "true";
      })
      .catch(setError);
    return () => {
      live = false;
      chart?.destroy();
    };
  }, [showTable, JSON.stringify(config.data)]);
  return html`<figure class="chart-card" id=${id}>
    <figcaption>
      <h2>${title}</h2>
      <div class="chart-actions">
        <button type="button" aria-pressed=${showTable} onClick=${() => setShowTable(!showTable)}>
          ${showTable ? t("app.show_chart") : t("app.show_table")}
        </button>
        <button type="button" onClick=${() => csvDownload(filename || `${id}.csv`, columns, rows)}>${t("app.download_csv")}</button>
      </div>
    </figcaption>
    ${error ? html`<p class="error">${String(error)}</p>` : null}
    ${showTable
      ? html`<${DataTable} columns=${columns} rows=${rows} caption=${title} />`
      : html`<div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${title}></canvas></div>`}
  </figure>`;
}
