// The operator's view of the customers: segment sizes over the segmentation runs, the last run's segments, the
// RFM grid of its customers as a heat map, and the ratings by segment.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { ChartCard } from "../../lib/charts.js";
import { count, dateTime } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { DataTable, ErrorBox, Loading, Money, Page, csvDownload, useLoad } from "../../lib/ui.js";
import { EmptyState, PeriodSelect, SEGMENTS, SERIES, csvYuan, periodOf, segmentName } from "./common.js";

addStrings({
  "zh-CN": {
    "ops.customers.title": "客户与分群",
    "ops.history.title": "每次分群运行的各分群人数",
    "ops.history.run": "运行日期",
    "ops.history.finished": "完成时间",
    "ops.segments.heading": "最近一次分群",
    "ops.segments.as_of": "分群日期：{as_of}",
    "ops.segments.caption": "各分群：人数、平均余额、建议策略",
    "ops.segments.size": "人数",
    "ops.segments.avg_balance": "平均余额",
    "ops.segments.avg_monetary": "90 天平均余额消费",
    "ops.segments.who": "说明",
    "ops.segments.strategy": "建议策略",
    "ops.rfm.heading": "RFM 热力图",
    "ops.rfm.caption": "最近一次分群的客户：最近一次余额支付距今天数（R）× 90 天内余额支付次数（F）",
    "ops.rfm.hint": "每格为客户人数，下方为该格客户 90 天内平均余额消费（M）；颜色越深人数越多。",
    "ops.rfm.sample": "按分群比例抽取 {n} 位客户（共 {total} 位）。",
    "ops.rfm.recency": "R：距上次余额支付",
    "ops.rfm.frequency": "F：90 天支付次数",
    "ops.rfm.customers": "客户数",
    "ops.rfm.avg_monetary": "平均余额消费（元）",
    "ops.rfm.r.0-7": "0–7 天",
    "ops.rfm.r.8-30": "8–30 天",
    "ops.rfm.r.31-60": "31–60 天",
    "ops.rfm.r.61-90": "61–90 天",
    "ops.rfm.r.over_90": "超过 90 天",
    "ops.rfm.r.never": "从未支付",
    "ops.rfm.f.0": "0 次",
    "ops.rfm.f.1": "1 次",
    "ops.rfm.f.2-3": "2–3 次",
    "ops.rfm.f.4-5": "4–5 次",
    "ops.rfm.f.6+": "6 次以上",
    "ops.rfm.cell": "{r}，{f}：{n} 位客户",
    "ops.rfm.loading": "正在读取分群客户…（{n}/{total}）",
    "ops.feedback.heading": "各分群的评价",
    "ops.feedback.title": "各分群的评分分布",
    "ops.feedback.ratings": "评价数",
    "ops.feedback.average": "平均分",
    "ops.feedback.stars": "{n} 星",
    "ops.feedback.total": "区间内 {ratings} 条评价，平均 {average} 分",
    "ops.feedback.by_tag": "按标签的评价",
    "ops.feedback.tag": "标签",
  },
  en: {
    "ops.customers.title": "Customers and segments",
    "ops.history.title": "Customers in each segment, by segmentation run",
    "ops.history.run": "Run day",
    "ops.history.finished": "Finished",
    "ops.segments.heading": "The last segmentation",
    "ops.segments.as_of": "Segmented as of {as_of}",
    "ops.segments.caption": "Segments: size, average balance, the suggested strategy",
    "ops.segments.size": "Customers",
    "ops.segments.avg_balance": "Average balance",
    "ops.segments.avg_monetary": "Average balance spend, 90 days",
    "ops.segments.who": "Who",
    "ops.segments.strategy": "Suggested strategy",
    "ops.rfm.heading": "RFM heat map",
    "ops.rfm.caption": "The last segmentation's customers: days since the last balance payment (R) × balance payments in 90 days (F)",
    "ops.rfm.hint": "Each cell counts customers, with their average balance spend in 90 days (M) below; darker means more customers.",
    "ops.rfm.sample": "A sample of {n} of {total} customers, in proportion to the segments.",
    "ops.rfm.recency": "R: since the last balance payment",
    "ops.rfm.frequency": "F: payments in 90 days",
    "ops.rfm.customers": "Customers",
    "ops.rfm.avg_monetary": "Average balance spend (yuan)",
    "ops.rfm.r.0-7": "0–7 days",
    "ops.rfm.r.8-30": "8–30 days",
    "ops.rfm.r.31-60": "31–60 days",
    "ops.rfm.r.61-90": "61–90 days",
    "ops.rfm.r.over_90": "Over 90 days",
    "ops.rfm.r.never": "Never paid",
    "ops.rfm.f.0": "None",
    "ops.rfm.f.1": "1",
    "ops.rfm.f.2-3": "2–3",
    "ops.rfm.f.4-5": "4–5",
    "ops.rfm.f.6+": "6 or more",
    "ops.rfm.cell": "{r}, {f}: {n} customers",
    "ops.rfm.loading": "Reading the segments' customers… ({n}/{total})",
    "ops.feedback.heading": "Ratings by segment",
    "ops.feedback.title": "How each segment rated",
    "ops.feedback.ratings": "Ratings",
    "ops.feedback.average": "Average",
    "ops.feedback.stars": "{n} stars",
    "ops.feedback.total": "{ratings} ratings in the period, {average} on average",
    "ops.feedback.by_tag": "Ratings by tag",
    "ops.feedback.tag": "Tag",
  },
});

const money = (v) => html`<${Money} fen=${v} />`;

// ---- segment sizes over the runs --------------------------------------------------------------------
function History() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/segments/history"));
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const runs = [...data.runs].reverse(); // oldest first, left to right
  if (runs.length === 0) return html`<${EmptyState} kind="segments" id="history-empty" />`;
  const seen = new Set(runs.flatMap((r) => Object.keys(r.sizes)));
  const names = [...SEGMENTS.filter((s) => seen.has(s)), ...[...seen].filter((s) => !SEGMENTS.includes(s)).sort()];
  const label = (r) => `${r.as_of || "—"} ${r.finished_at ? r.finished_at.slice(11, 16) : ""}`.trim();
  const config = {
    type: "bar",
    data: {
      labels: runs.map(label),
      datasets: names.map((name, i) => ({
        label: segmentName(name),
        data: runs.map((r) => r.sizes[name] || 0),
        backgroundColor: SERIES[i % SERIES.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  };
  const rows = runs.map((r) => ({ as_of: r.as_of, finished_at: r.finished_at, run_id: r.run_id, ...r.sizes }));
  const columns = [
    { key: "as_of", label: t("ops.history.run") },
    { key: "finished_at", label: t("ops.history.finished"), format: dateTime, csv: (v) => v || "" },
    ...names.map((name) => ({ key: name, label: segmentName(name), numeric: true, format: (v) => count(v || 0), csv: (v) => v || 0 })),
  ];
  return html`<${ChartCard} id="chart-segment-history" title=${t("ops.history.title")} config=${config} columns=${columns} rows=${rows} filename="segment-history.csv" />`;
}

// ---- the last run's segments ---------------------------------------------------------------------------
function Segments({ data }) {
  const rows = data.segments.map((s) => ({ ...s, label: segmentName(s.name) }));
  const columns = [
    { key: "label", label: t("ops.segment") },
    { key: "size", label: t("ops.segments.size"), numeric: true, format: count },
    { key: "avg_balance", label: t("ops.segments.avg_balance"), numeric: true, format: money },
    { key: "avg_monetary", label: t("ops.segments.avg_monetary"), numeric: true, format: money },
    { key: "description", label: t("ops.segments.who") },
    { key: "strategy", label: t("ops.segments.strategy") },
  ];
  return html`<section aria-labelledby="segments-heading" class="ops-section" id="segments">
    <h2 id="segments-heading">${t("ops.segments.heading")}</h2>
    <p class="hint">${t("ops.segments.as_of", { as_of: data.as_of || "—" })}</p>
    <${DataTable} id="segments-table" columns=${columns} rows=${rows} caption=${t("ops.segments.caption")} />
  </section>`;
}

// ---- the RFM grid ---------------------------------------------------------------------------------
const R_BANDS = [
  ["0-7", 7],
  ["8-30", 30],
  ["31-60", 60],
  ["61-90", 90],
  ["over_90", Infinity],
];
const F_BANDS = [
  ["0", 0],
  ["1", 1],
  ["2-3", 3],
  ["4-5", 5],
  ["6+", Infinity],
];
const SAMPLE = 5000; // customers read at most (pages of 100), in proportion to the segments' sizes
const PAGE = 100;

export function recencyBand(days) {
  if (days === null || days === undefined) return "never";
  return R_BANDS.find(([, upper]) => days <= upper)[0];
}

export function frequencyBand(n) {
  return F_BANDS.find(([, upper]) => (n || 0) <= upper)[0];
}

// members: [{recency_days, frequency, monetary}] -> {cells: {"r|f": {customers, monetary}}, max}
export function grid(members) {
  const cells = {};
  let max = 0;
  for (const m of members) {
    const key = `${recencyBand(m.recency_days)}|${frequencyBand(m.frequency)}`;
    const cell = (cells[key] ??= { customers: 0, monetary: 0 });
    cell.customers += 1;
    cell.monetary += m.monetary || 0;
    max = Math.max(max, cell.customers);
  }
  return { cells, max };
}

async function readMembers(segments, onProgress) {
  const total = segments.reduce((n, s) => n + s.size, 0);
  const scale = total > SAMPLE ? SAMPLE / total : 1;
  const members = [];
  for (const s of segments.filter((x) => x.size > 0)) {
    const quota = Math.max(1, Math.ceil(s.size * scale));
    let cursor = null;
    let taken = 0;
    do {
      const page = await api.get(`/v1/admin/segments/${encodeURIComponent(s.name)}/members`, {
        limit: Math.min(PAGE, quota - taken),
        cursor,
      });
      members.push(...page.members);
      taken += page.members.length;
      cursor = page.next_cursor;
      onProgress(members.length, Math.min(total, SAMPLE));
    } while (cursor && taken < quota);
  }
  return { members, total };
}

function level(n, max) {
  return n === 0 || max === 0 ? 0 : Math.min(5, 1 + Math.floor((4 * n) / max));
}

function RfmGrid({ segments }) {
  const [state, setState] = useState({ loading: true, error: null, members: [], total: 0, progress: [0, 0] });
  useEffect(() => {
    let live = true;
    readMembers(segments, (n, of) => live && setState((s) => ({ ...s, progress: [n, of] }))).then(
      ({ members, total }) => live && setState({ loading: false, error: null, members, total, progress: [0, 0] }),
      (error) => live && setState((s) => ({ ...s, loading: false, error })),
    );
    return () => {
      live = false;
    };
  }, [segments]);
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (state.loading) {
    return html`<p class="loading" role="status">${t("ops.rfm.loading", { n: state.progress[0], total: state.progress[1] })}</p>`;
  }
  const { cells, max } = grid(state.members);
  const rBands = [...R_BANDS.map(([b]) => b), "never"];
  const fBands = F_BANDS.map(([b]) => b);
  const csvColumns = [
    { key: "r", label: t("ops.rfm.recency") },
    { key: "f", label: t("ops.rfm.frequency") },
    { key: "customers", label: t("ops.rfm.customers") },
    { key: "avg", label: t("ops.rfm.avg_monetary"), csv: csvYuan },
  ];
  const csvRows = rBands.flatMap((r) =>
    fBands.map((f) => {
      const c = cells[`${r}|${f}`] || { customers: 0, monetary: 0 };
      return { r: t(`ops.rfm.r.${r}`), f: t(`ops.rfm.f.${f}`), customers: c.customers, avg: c.customers ? Math.round(c.monetary / c.customers) : null };
    }),
  );
  return html`<figure class="chart-card" id="rfm-grid">
    <figcaption>
      <h2>${t("ops.rfm.heading")}</h2>
      <div class="chart-actions">
        <button type="button" onClick=${() => csvDownload("rfm-grid.csv", csvColumns, csvRows)}>${t("app.download_csv")}</button>
      </div>
    </figcaption>
    <p class="hint">${t("ops.rfm.hint")}</p>
    ${state.members.length < state.total
      ? html`<p class="hint" id="rfm-sample">${t("ops.rfm.sample", { n: state.members.length, total: state.total })}</p>`
      : null}
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t("ops.rfm.heading")}>
      <table class="heatmap" id="rfm-table" data-customers=${state.members.length}>
        <caption>${t("ops.rfm.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">${t("ops.rfm.recency")} / ${t("ops.rfm.frequency")}</th>
            ${fBands.map((f) => html`<th scope="col" class="num">${t(`ops.rfm.f.${f}`)}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rBands.map(
            (r) => html`<tr>
              <th scope="row">${t(`ops.rfm.r.${r}`)}</th>
              ${fBands.map((f) => {
                const c = cells[`${r}|${f}`] || { customers: 0, monetary: 0 };
                return html`<td
                  class=${`num heat-${level(c.customers, max)}`}
                  data-r=${r}
                  data-f=${f}
                  data-count=${c.customers}
                  title=${t("ops.rfm.cell", { r: t(`ops.rfm.r.${r}`), f: t(`ops.rfm.f.${f}`), n: c.customers })}
                >
                  <span class="heat-count">${count(c.customers)}</span>
                  ${c.customers ? html`<span class="heat-sub"><${Money} fen=${Math.round(c.monetary / c.customers)} /></span>` : null}
                </td>`;
              })}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </figure>`;
}

function LastRun() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/segments"));
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  if (!data.run_id) return html`<${EmptyState} kind="segments" id="segments-empty" />`;
  return html`<${Segments} data=${data} />
    <section class="ops-section" id="rfm"><${RfmGrid} segments=${data.segments} /></section>`;
}

// ---- ratings by segment ----------------------------------------------------------------------------
const STAR_COLOURS = ["#a3181f", "#b06a00", "#6b6b6b", "#1f5fa8", "#1e6b34"];

function Feedback({ period }) {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/feedback", period), [period.from, period.to]);
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  if (data.total.ratings === 0) return html`<${EmptyState} kind="export" id="feedback-empty" />`;
  const rows = data.by_segment.map((s) => ({
    label: segmentName(s.segment),
    segment: s.segment,
    ratings: s.ratings,
    average: s.average,
    ...Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`r${n}`, s.distribution[String(n)] || 0])),
  }));
  const config = {
    type: "bar",
    data: {
      labels: rows.map((r) => r.label),
      datasets: [1, 2, 3, 4, 5].map((n) => ({
        label: t("ops.feedback.stars", { n }),
        data: rows.map((r) => r[`r${n}`]),
        backgroundColor: STAR_COLOURS[n - 1],
      })),
    },
    options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
  };
  const avg = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(2));
  const columns = [
    { key: "label", label: t("ops.segment") },
    { key: "ratings", label: t("ops.feedback.ratings"), numeric: true },
    { key: "average", label: t("ops.feedback.average"), numeric: true, format: avg, csv: avg },
    ...[1, 2, 3, 4, 5].map((n) => ({ key: `r${n}`, label: t("ops.feedback.stars", { n }), numeric: true })),
  ];
  const tags = data.by_tag.map((s) => ({ tag: s.tag, ratings: s.ratings, average: s.average }));
  return html`<p class="hint" id="feedback-total">${t("ops.feedback.total", { ratings: data.total.ratings, average: avg(data.total.average) })}</p>
    <${ChartCard} id="chart-feedback" title=${t("ops.feedback.title")} config=${config} columns=${columns} rows=${rows} filename="feedback-by-segment.csv" />
    ${tags.length
      ? html`<${DataTable}
          id="feedback-tags"
          caption=${t("ops.feedback.by_tag")}
          rows=${tags}
          columns=${[
            { key: "tag", label: t("ops.feedback.tag") },
            { key: "ratings", label: t("ops.feedback.ratings"), numeric: true },
            { key: "average", label: t("ops.feedback.average"), numeric: true, format: avg },
          ]}
        />`
      : null}`;
}

export default function Customers() {
  const [days, setDays] = useState(30);
  const period = periodOf(days);
  return html`<${Page} title=${t("ops.customers.title")}>
    <section class="ops-section" id="segment-history"><${History} /></section>
    <${LastRun} />
    <section aria-labelledby="feedback-heading" class="ops-section" id="feedback">
      <h2 id="feedback-heading">${t("ops.feedback.heading")}</h2>
      <div class="ops-toolbar"><${PeriodSelect} days=${days} onChange=${setDays} /></div>
      <${Feedback} period=${period} />
    </section>
  </${Page}>`;
}
