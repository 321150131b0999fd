// The merchant's insight: its own balance share over time and its obstacles report, as charts with their tables
// one click away and a CSV each. Both reports (GET /v1/admin/reports/balance-share and .../obstacles) answer a
// merchant's staff for their own merchant (merchant_id); the other reports are the operator's.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, day, yuan } from "../../lib/format.js";
import { ChartCard, PALETTE } from "../../lib/charts.js";
import { ErrorBox, Field, Loading, Money, useLoad } from "../../lib/ui.js";
import { MerchantPage, basisPoints, codeLabel, isForbidden, mayOpen } from "./common.js";

addStrings({
  "zh-CN": {
    "m.insight.title": "经营洞察",
    "m.insight.period": "时间范围",
    "m.insight.days": "近 {n} 天",
    "m.insight.period_note": "{from} 至 {to}（UTC 日期）。数据来自导出的事件，可能有几分钟延迟。",
    "m.insight.share": "余额支付占比（按天）",
    "m.insight.share_total": "期间合计：余额净支付 {net}，占销售额 {sales} 的 {share}。",
    "m.insight.sales_chart": "销售额与余额净支付（元，按天）",
    "m.insight.day": "日期",
    "m.insight.payments": "支付笔数",
    "m.insight.sales": "销售额",
    "m.insight.net": "余额净支付",
    "m.insight.refunded": "退款退回余额",
    "m.insight.share_bp": "余额占比",
    "m.insight.share_pct": "余额占比（%）",
    "m.insight.obstacles": "结账结果与原因",
    "m.insight.obstacles_hint": "期间每个结账的结果（余额全额、部分或未支付）及最后一次报价时的限制。",
    "m.insight.outcome": "结果",
    "m.insight.reason": "原因",
    "m.insight.checkouts": "结账数",
    "m.insight.amount": "金额",
    "m.insight.topup_needed": "顾客缺少的余额",
    "m.insight.outcome.full": "余额全额支付",
    "m.insight.outcome.partial": "余额部分支付",
    "m.insight.outcome.none": "未用余额",
  },
  en: {
    "m.insight.title": "Insight",
    "m.insight.period": "Period",
    "m.insight.days": "Last {n} days",
    "m.insight.period_note": "{from} to {to} (UTC days). From the exported events: a few minutes behind.",
    "m.insight.share": "Balance share by day",
    "m.insight.share_total": "Over the period: {net} paid by balance, net, of {sales} sales: {share}.",
    "m.insight.sales_chart": "Sales and paid by balance, net (yuan, by day)",
    "m.insight.day": "Day",
    "m.insight.payments": "Payments",
    "m.insight.sales": "Sales",
    "m.insight.net": "Paid by balance, net",
    "m.insight.refunded": "Refunded to balance",
    "m.insight.share_bp": "Balance share",
    "m.insight.share_pct": "Balance share (%)",
    "m.insight.obstacles": "Checkouts by outcome and reason",
    "m.insight.obstacles_hint": "Each checkout of the period: paid in full, in part or not at all by balance, and the limits of its last quote.",
    "m.insight.outcome": "Outcome",
    "m.insight.reason": "Reason",
    "m.insight.checkouts": "Checkouts",
    "m.insight.amount": "Amount",
    "m.insight.topup_needed": "Balance the customers lacked",
    "m.insight.outcome.full": "Paid in full by balance",
    "m.insight.outcome.partial": "Paid in part by balance",
    "m.insight.outcome.none": "Not paid by balance",
  },
});

const PERIODS = [7, 30, 90];
const OUTCOMES = ["full", "partial", "none"];

function utcDay(d) {
  return d.toISOString().slice(0, 10);
}

function period(days) {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  return { from: utcDay(from), to: utcDay(to) };
}

// every UTC day of the report's period, those without a row too (no sales that day: no share)
function everyDay(from, to) {
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); utcDay(d) <= to; d = new Date(d.getTime() + 86400000)) out.push(utcDay(d));
  return out;
}

const money = (v) => html`<${Money} fen=${v} />`;
const csvYuan = (v) => (v === null || v === undefined ? "" : (Number(v) / 100).toFixed(2));

function Share({ report }) {
  const byDay = Object.fromEntries(report.rows.map((r) => [r.day, r]));
  const rows = everyDay(report.from, report.to).map((d) => {
    const r = byDay[d];
    return {
      day: d,
      payments: r ? r.payments : 0,
      sales: r ? r.sales : 0,
      net: r ? r.net.total : 0,
      refunded: r ? r.refunded.total : 0,
      share_bp: r ? r.share_bp : null,
    };
  });
  const labels = rows.map((r) => day(r.day));
  const columns = [
    { key: "day", label: t("m.insight.day"), format: (v) => day(v) },
    { key: "payments", label: t("m.insight.payments"), numeric: true, format: count },
    { key: "sales", label: t("m.insight.sales"), numeric: true, format: money, csv: csvYuan },
    { key: "net", label: t("m.insight.net"), numeric: true, format: money, csv: csvYuan },
    { key: "refunded", label: t("m.insight.refunded"), numeric: true, format: money, csv: csvYuan },
    { key: "share_bp", label: t("m.insight.share_bp"), numeric: true, format: basisPoints, csv: (v) => (v === null ? "" : (v / 100).toFixed(2)) },
  ];
  const share = {
    type: "line",
    data: {
      labels,
      datasets: [
        {
          label: t("m.insight.share_pct"),
          data: rows.map((r) => (r.share_bp === null ? null : r.share_bp / 100)),
          borderColor: PALETTE[0],
          backgroundColor: PALETTE[0],
          spanGaps: true,
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true, suggestedMax: 100 } } },
  };
  const sales = {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: t("m.insight.sales"), data: rows.map((r) => r.sales / 100), backgroundColor: PALETTE[1] },
        { label: t("m.insight.net"), data: rows.map((r) => r.net / 100), backgroundColor: PALETTE[0] },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  const total = report.total;
  return html`<p id="share-total" data-bp=${total.share_bp ?? ""} data-sales=${total.sales} data-net=${total.net.total}>
      ${t("m.insight.share_total", { net: yuan(total.net.total), sales: yuan(total.sales), share: basisPoints(total.share_bp) })}
    </p>
    <${ChartCard} id="chart-share" title=${t("m.insight.share")} config=${share} columns=${columns} rows=${rows} filename="balance-share.csv" />
    <${ChartCard} id="chart-sales" title=${t("m.insight.sales_chart")} config=${sales} columns=${columns} rows=${rows} filename="balance-sales.csv" />`;
}

function Obstacles({ report }) {
  const reasons = [...new Set(report.rows.map((r) => r.reason))];
  const config = {
    type: "bar",
    data: {
      labels: reasons.map((r) => codeLabel("m.reason", r)),
      datasets: OUTCOMES.map((o, i) => ({
        label: t(`m.insight.outcome.${o}`),
        data: reasons.map((reason) => report.rows.filter((r) => r.reason === reason && r.outcome === o).reduce((n, r) => n + r.checkouts, 0)),
        backgroundColor: [PALETTE[2], PALETTE[3], PALETTE[0]][i],
      })),
    },
    options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
  };
  const columns = [
    { key: "outcome", label: t("m.insight.outcome"), format: (v) => codeLabel("m.insight.outcome", v) },
    { key: "reason", label: t("m.insight.reason"), format: (v) => codeLabel("m.reason", v) },
    { key: "checkouts", label: t("m.insight.checkouts"), numeric: true, format: count },
    { key: "amount", label: t("m.insight.amount"), numeric: true, format: money, csv: csvYuan },
    { key: "topup_needed", label: t("m.insight.topup_needed"), numeric: true, format: money, csv: csvYuan },
  ];
  return html`<p class="hint">${t("m.insight.obstacles_hint")}</p>
    <${ChartCard} id="chart-obstacles" title=${t("m.insight.obstacles")} config=${config} columns=${columns} rows=${report.rows} filename="obstacles.csv" />`;
}

export default function Insight({ params, roles }) {
  const merchantId = params.merchant_id;
  const [days, setDays] = useState(30);
  const p = period(days);
  const allowed = mayOpen(roles, merchantId);
  const share = useLoad(() => (allowed ? api.get("/v1/admin/reports/balance-share", { merchant_id: merchantId, ...p }) : null), [merchantId, days]);
  const obstacles = useLoad(() => (allowed ? api.get("/v1/admin/reports/obstacles", { merchant_id: merchantId, ...p }) : null), [merchantId, days]);
  const forbidden = [share.error, obstacles.error].find(isForbidden) || null;
  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="insight" title=${t("m.insight.title")} forbidden=${forbidden}>
    <div class="period-pick">
      <${Field} id="insight-period" label=${t("m.insight.period")}>
        <select id="insight-period" value=${days} onChange=${(e) => setDays(Number(e.target.value))}>
          ${PERIODS.map((n) => html`<option value=${n} selected=${n === days}>${t("m.insight.days", { n })}</option>`)}
        </select>
      </${Field}>
      <p class="hint">${t("m.insight.period_note", { from: day(p.from), to: day(p.to) })}</p>
    </div>
    <section aria-labelledby="insight-share-h">
      <h2 id="insight-share-h">${t("m.insight.share")}</h2>
      ${share.loading ? html`<${Loading} />` : null}
      <${ErrorBox} error=${share.error} retry=${share.reload} />
      ${share.data ? html`<${Share} report=${share.data} />` : null}
    </section>
    <section aria-labelledby="insight-obstacles-h">
      <h2 id="insight-obstacles-h">${t("m.insight.obstacles")}</h2>
      ${obstacles.loading ? html`<${Loading} />` : null}
      <${ErrorBox} error=${obstacles.error} retry=${obstacles.reload} />
      ${obstacles.data ? html`<${Obstacles} report=${obstacles.data} />` : null}
    </section>
  </${MerchantPage}>`;
}
