// The operator's overview: what the wallets hold (liability by age of the money and by expiry), the bonus that
// expired unused (breakage by month) and the share of sales balance paid, per merchant and day.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { ChartCard, PALETTE } from "../../lib/charts.js";
import { dateTime, day, yuan } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { ErrorBox, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { EmptyState, PeriodSelect, bp, csvYuan, daysBetween, periodOf, toYuan, yuanTicks } from "./common.js";

addStrings({
  "zh-CN": {
    "ops.overview.title": "运营概览",
    "ops.liability.heading": "负债：钱包持有的余额",
    "ops.liability.at": "截至 {at}，{wallets} 个钱包",
    "ops.liability.total": "合计",
    "ops.liability.cash": "现金",
    "ops.liability.bonus": "赠送金",
    "ops.liability.by_age": "负债按资金账龄",
    "ops.liability.by_expiry": "负债按到期月份",
    "ops.liability.age": "账龄（天）",
    "ops.liability.expires": "到期",
    "ops.age.0-30": "0–30 天",
    "ops.age.31-90": "31–90 天",
    "ops.age.91-180": "91–180 天",
    "ops.age.181-365": "181–365 天",
    "ops.age.over_365": "超过 365 天",
    "ops.expiry.never": "不过期",
    "ops.expiry.on_hold": "预授权冻结",
    "ops.cash_yuan": "现金（元）",
    "ops.bonus_yuan": "赠送金（元）",
    "ops.total_yuan": "合计（元）",
    "ops.breakage.heading": "沉淀：按月过期未用的赠送金",
    "ops.breakage.title": "赠送金发放与过期（按月）",
    "ops.breakage.month": "月份",
    "ops.breakage.granted": "发放（元）",
    "ops.breakage.expired": "过期（元）",
    "ops.breakage.customers": "过期客户数",
    "ops.breakage.rate": "沉淀率",
    "ops.breakage.total": "区间合计：发放 {granted}，过期 {expired}，沉淀率 {rate}",
    "ops.share.heading": "余额支付占比",
    "ops.share.title": "各商户余额支付占销售额的比例（按日）",
    "ops.share.day": "日期",
    "ops.share.payments": "支付笔数",
    "ops.share.sales": "销售额（元）",
    "ops.share.external": "外部支付（元）",
    "ops.share.balance_paid": "余额支付（元）",
    "ops.share.refunded": "退回余额（元）",
    "ops.share.net": "余额净额（元）",
    "ops.share.share": "余额占比",
    "ops.share.share_axis": "余额占比（%）",
    "ops.share.total": "区间合计：销售额 {sales}，余额净额 {net}，占比 {share}",
    "ops.share.top_note": "图中显示销售额最高的 {n} 个商户；数据表列出全部。",
  },
  en: {
    "ops.overview.title": "Operations overview",
    "ops.liability.heading": "Liability: what the wallets hold",
    "ops.liability.at": "At {at}, {wallets} wallets",
    "ops.liability.total": "Total",
    "ops.liability.cash": "Cash",
    "ops.liability.bonus": "Bonus",
    "ops.liability.by_age": "Liability by age of the money",
    "ops.liability.by_expiry": "Liability by month of expiry",
    "ops.liability.age": "Age (days)",
    "ops.liability.expires": "Expires",
    "ops.age.0-30": "0–30 days",
    "ops.age.31-90": "31–90 days",
    "ops.age.91-180": "91–180 days",
    "ops.age.181-365": "181–365 days",
    "ops.age.over_365": "Over 365 days",
    "ops.expiry.never": "Never",
    "ops.expiry.on_hold": "On hold",
    "ops.cash_yuan": "Cash (yuan)",
    "ops.bonus_yuan": "Bonus (yuan)",
    "ops.total_yuan": "Total (yuan)",
    "ops.breakage.heading": "Breakage: bonus that expired unused, by month",
    "ops.breakage.title": "Bonus granted and expired, by month",
    "ops.breakage.month": "Month",
    "ops.breakage.granted": "Granted (yuan)",
    "ops.breakage.expired": "Expired (yuan)",
    "ops.breakage.customers": "Customers whose bonus expired",
    "ops.breakage.rate": "Breakage",
    "ops.breakage.total": "Over the period: granted {granted}, expired {expired}, breakage {rate}",
    "ops.share.heading": "Balance share",
    "ops.share.title": "Share of each merchant's sales paid by balance, by day",
    "ops.share.day": "Day",
    "ops.share.payments": "Payments",
    "ops.share.sales": "Sales (yuan)",
    "ops.share.external": "Paid outside (yuan)",
    "ops.share.balance_paid": "Balance paid (yuan)",
    "ops.share.refunded": "Refunded to balance (yuan)",
    "ops.share.net": "Balance, net (yuan)",
    "ops.share.share": "Balance share",
    "ops.share.share_axis": "Balance share (%)",
    "ops.share.total": "Over the period: sales {sales}, balance net {net}, share {share}",
    "ops.share.top_note": "The chart shows the {n} merchants with the most sales; the table lists them all.",
  },
});

const TOP_MERCHANTS = 8;
const money = (v) => html`<${Money} fen=${v} />`;

function ageLabel(age) {
  return t(`ops.age.${age}`);
}

function expiryLabel(expires) {
  if (expires === "never") return t("ops.expiry.never");
  if (expires === "on_hold") return t("ops.expiry.on_hold");
  return expires;
}

function balanceColumns(key, label, format) {
  return [
    { key, label, format, csv: format },
    { key: "cash", label: t("ops.cash_yuan"), numeric: true, format: money, csv: csvYuan },
    { key: "bonus", label: t("ops.bonus_yuan"), numeric: true, format: money, csv: csvYuan },
    { key: "total", label: t("ops.total_yuan"), numeric: true, format: money, csv: csvYuan },
  ];
}

function stacked(labels, rows) {
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: t("ops.liability.cash"), data: rows.map((r) => toYuan(r.cash)), backgroundColor: PALETTE[1] },
        { label: t("ops.liability.bonus"), data: rows.map((r) => toYuan(r.bonus)), backgroundColor: PALETTE[0] },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: yuanTicks } } },
  };
}

function Liability() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/liability"));
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const empty = data.total.total === 0;
  return html`<section aria-labelledby="liability-heading" class="ops-section" id="liability">
    <h2 id="liability-heading">${t("ops.liability.heading")}</h2>
    <p class="hint" id="liability-at">${t("ops.liability.at", { at: dateTime(data.at), wallets: data.wallets })}</p>
    <dl class="balance" id="liability-total">
      <div><dt>${t("ops.liability.total")}</dt><dd id="liability-total-total"><${Money} fen=${data.total.total} /></dd></div>
      <div><dt>${t("ops.liability.cash")}</dt><dd id="liability-total-cash"><${Money} fen=${data.total.cash} /></dd></div>
      <div><dt>${t("ops.liability.bonus")}</dt><dd id="liability-total-bonus"><${Money} fen=${data.total.bonus} /></dd></div>
    </dl>
    ${empty
      ? html`<${EmptyState} kind="ledger" id="liability-empty" />`
      : html`<div class="grid two">
          <${ChartCard}
            id="chart-liability-age"
            title=${t("ops.liability.by_age")}
            config=${stacked(data.by_age.map((r) => ageLabel(r.age_days)), data.by_age)}
            columns=${balanceColumns("age_days", t("ops.liability.age"), ageLabel)}
            rows=${data.by_age}
            filename="liability-by-age.csv"
          />
          <${ChartCard}
            id="chart-liability-expiry"
            title=${t("ops.liability.by_expiry")}
            config=${stacked(data.by_expiry.map((r) => expiryLabel(r.expires)), data.by_expiry)}
            columns=${balanceColumns("expires", t("ops.liability.expires"), expiryLabel)}
            rows=${data.by_expiry}
            filename="liability-by-expiry.csv"
          />
        </div>`}
  </section>`;
}

function Breakage({ period }) {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/breakage", period), [period.from, period.to]);
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const months = data.months;
  const empty = months.every((m) => m.granted === 0 && m.expired === 0);
  const config = {
    type: "bar",
    data: {
      labels: months.map((m) => m.month),
      datasets: [
        { label: t("ops.breakage.granted"), data: months.map((m) => toYuan(m.granted)), backgroundColor: PALETTE[1], yAxisID: "y" },
        { label: t("ops.breakage.expired"), data: months.map((m) => toYuan(m.expired)), backgroundColor: PALETTE[0], yAxisID: "y" },
        {
          type: "line",
          label: t("ops.breakage.rate"),
          data: months.map((m) => (m.breakage_bp === null ? null : m.breakage_bp / 100)),
          borderColor: PALETTE[3],
          backgroundColor: PALETTE[3],
          yAxisID: "y1",
        },
      ],
    },
    options: {
      scales: {
        y: { beginAtZero: true, ticks: yuanTicks },
        y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v}%` } },
      },
    },
  };
  const columns = [
    { key: "month", label: t("ops.breakage.month") },
    { key: "granted", label: t("ops.breakage.granted"), numeric: true, format: money, csv: csvYuan },
    { key: "expired", label: t("ops.breakage.expired"), numeric: true, format: money, csv: csvYuan },
    { key: "customers", label: t("ops.breakage.customers"), numeric: true },
    { key: "breakage_bp", label: t("ops.breakage.rate"), numeric: true, format: bp, csv: bp },
  ];
  return html`<section aria-labelledby="breakage-heading" class="ops-section" id="breakage">
    <h2 id="breakage-heading">${t("ops.breakage.heading")}</h2>
    ${empty
      ? html`<${EmptyState} kind="export" id="breakage-empty" />`
      : html`<p class="hint" id="breakage-total">
            ${t("ops.breakage.total", {
              granted: yuan(data.total.granted),
              expired: yuan(data.total.expired),
              rate: bp(data.total.breakage_bp),
            })}
          </p>
          <${ChartCard} id="chart-breakage" title=${t("ops.breakage.title")} config=${config} columns=${columns} rows=${months} filename="breakage.csv" />`}
  </section>`;
}

function shareConfig(rows, from, to) {
  const days = daysBetween(from, to);
  const sales = new Map();
  for (const r of rows) sales.set(r.merchant_id, (sales.get(r.merchant_id) || 0) + r.sales);
  const merchants = [...sales.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_MERCHANTS).map(([m]) => m);
  const datasets = merchants.map((m, i) => {
    const byDay = new Map(rows.filter((r) => r.merchant_id === m).map((r) => [r.day, r.share_bp]));
    return {
      label: m,
      data: days.map((d) => (byDay.has(d) && byDay.get(d) !== null ? byDay.get(d) / 100 : null)),
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      spanGaps: true,
      pointRadius: 3,
    };
  });
  return {
    config: {
      type: "line",
      data: { labels: days, datasets },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: t("ops.share.share_axis") }, ticks: { callback: (v) => `${v}%` } } } },
    },
    shown: merchants.length,
    merchants: sales.size,
  };
}

function BalanceShare({ period }) {
  const [merchant, setMerchant] = useState("");
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/balance-share", period), [period.from, period.to]);
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const all = data.rows;
  const merchants = [...new Set(all.map((r) => r.merchant_id))].sort();
  const rows = merchant ? all.filter((r) => r.merchant_id === merchant) : all;
  const chart = shareConfig(rows, data.from, data.to);
  const tableRows = rows.map((r) => ({
    ...r,
    balance_paid_total: r.balance_paid.total,
    refunded_total: r.refunded.total,
    net_total: r.net.total,
  }));
  const columns = [
    { key: "day", label: t("ops.share.day"), format: day, csv: (v) => v },
    { key: "merchant_id", label: t("ops.merchant") },
    { key: "payments", label: t("ops.share.payments"), numeric: true },
    { key: "sales", label: t("ops.share.sales"), numeric: true, format: money, csv: csvYuan },
    { key: "external", label: t("ops.share.external"), numeric: true, format: money, csv: csvYuan },
    { key: "balance_paid_total", label: t("ops.share.balance_paid"), numeric: true, format: money, csv: csvYuan },
    { key: "refunded_total", label: t("ops.share.refunded"), numeric: true, format: money, csv: csvYuan },
    { key: "net_total", label: t("ops.share.net"), numeric: true, format: money, csv: csvYuan },
    { key: "share_bp", label: t("ops.share.share"), numeric: true, format: bp, csv: bp },
  ];
  return html`<section aria-labelledby="share-heading" class="ops-section" id="balance-share">
    <h2 id="share-heading">${t("ops.share.heading")}</h2>
    ${all.length === 0
      ? html`<${EmptyState} kind="export" id="balance-share-empty" />`
      : html`<div class="ops-toolbar">
            <div class="ops-toolbar-item">
              <label for="share-merchant">${t("ops.merchant")}</label>
              <select id="share-merchant" value=${merchant} onChange=${(e) => setMerchant(e.target.value)}>
                <option value="" selected=${merchant === ""}>${t("ops.all_merchants")}</option>
                ${merchants.map((m) => html`<option value=${m} selected=${m === merchant}>${m}</option>`)}
              </select>
            </div>
          </div>
          ${merchant
            ? null
            : html`<p class="hint" id="balance-share-total">
                ${t("ops.share.total", {
                  sales: yuan(data.total.sales),
                  net: yuan(data.total.net.total),
                  share: bp(data.total.share_bp),
                })}
              </p>`}
          ${chart.merchants > chart.shown ? html`<p class="hint">${t("ops.share.top_note", { n: chart.shown })}</p>` : null}
          <${ChartCard}
            id="chart-balance-share"
            title=${t("ops.share.title")}
            config=${chart.config}
            columns=${columns}
            rows=${tableRows}
            filename="balance-share.csv"
          />`}
  </section>`;
}

export default function Overview() {
  const [days, setDays] = useState(30);
  const period = periodOf(days);
  return html`<${Page} title=${t("ops.overview.title")}>
    <${Liability} />
    <div class="ops-toolbar"><${PeriodSelect} days=${days} onChange=${setDays} /></div>
    <${Breakage} period=${period} />
    <${BalanceShare} period=${period} />
  </${Page}>`;
}
