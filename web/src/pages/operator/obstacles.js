// What kept the period's checkouts from being paid by balance: the outcomes (fully, partly, not at all) and,
// for those not paid fully, each limit the last quote named, for every merchant or one.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { ChartCard } from "../../lib/charts.js";
import { count } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { ErrorBox, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { EmptyState, PeriodSelect, csvYuan, periodOf } from "./common.js";

addStrings({
  "zh-CN": {
    "ops.obstacles.title": "余额支付的障碍",
    "ops.obstacles.chart": "结账结果及原因（结账数）",
    "ops.obstacles.note": "未全额用余额支付的结账，按其最后一次报价给出的每项限制计入；一笔结账有多项限制时计入多行。",
    "ops.obstacles.outcome": "结果",
    "ops.obstacles.reason": "原因",
    "ops.obstacles.checkouts": "结账数",
    "ops.obstacles.amount": "结账金额（元）",
    "ops.obstacles.topup_needed": "尚缺余额（元）",
    "ops.obstacles.paid_fully": "全额余额支付",
    "ops.obstacles.never_quoted": "未报价",
    "ops.obstacles.abandoned": "报价后放弃",
    "ops.obstacles.topup_total": "余额不足的客户共缺：",
    "ops.outcome.full": "全额余额",
    "ops.outcome.partial": "部分余额",
    "ops.outcome.none": "未用余额",
    "ops.reason.paid_by_balance": "已用余额支付",
    "ops.reason.insufficient_balance": "余额不足",
    "ops.reason.min_order_not_met": "未达最低订单金额",
    "ops.reason.excluded_items": "含不可用余额的商品",
    "ops.reason.partial_payment_not_allowed": "不允许部分支付",
    "ops.reason.partial_share_capped": "余额支付比例受限",
    "ops.reason.daily_limit": "超出每日限额",
    "ops.reason.abandoned_after_quote": "报价后放弃",
    "ops.reason.open_after_quote": "报价后仍未支付",
    "ops.reason.never_quoted": "未报价",
  },
  en: {
    "ops.obstacles.title": "Obstacles to paying by balance",
    "ops.obstacles.chart": "Checkouts by outcome and reason",
    "ops.obstacles.note": "A checkout not paid fully by balance counts under each limit its last quote named: one with two limits counts in two rows.",
    "ops.obstacles.outcome": "Outcome",
    "ops.obstacles.reason": "Reason",
    "ops.obstacles.checkouts": "Checkouts",
    "ops.obstacles.amount": "Checkout amount (yuan)",
    "ops.obstacles.topup_needed": "Balance lacking (yuan)",
    "ops.obstacles.paid_fully": "Paid fully by balance",
    "ops.obstacles.never_quoted": "Never quoted",
    "ops.obstacles.abandoned": "Abandoned after a quote",
    "ops.obstacles.topup_total": "What the customers short of balance lacked, in all: ",
    "ops.outcome.full": "Fully by balance",
    "ops.outcome.partial": "Partly by balance",
    "ops.outcome.none": "Not by balance",
    "ops.reason.paid_by_balance": "Paid by balance",
    "ops.reason.insufficient_balance": "Balance too low",
    "ops.reason.min_order_not_met": "Below the minimum order",
    "ops.reason.excluded_items": "Items balance may not pay",
    "ops.reason.partial_payment_not_allowed": "Partial payment not allowed",
    "ops.reason.partial_share_capped": "Balance share capped",
    "ops.reason.daily_limit": "Daily limit reached",
    "ops.reason.abandoned_after_quote": "Abandoned after a quote",
    "ops.reason.open_after_quote": "Still open after the quote",
    "ops.reason.never_quoted": "Never quoted",
  },
});

const OUTCOMES = ["full", "partial", "none"];
const OUTCOME_COLOURS = { full: "#2d7d46", partial: "#b06a00", none: "#b4232c" };
const money = (v) => html`<${Money} fen=${v} />`;

function named(prefix, code) {
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

export const reasonName = (code) => named("ops.reason", code);
export const outcomeName = (code) => named("ops.outcome", code);

// rows -> the reasons ordered as a funnel: paid by balance first, then the others by checkouts, most first
function funnel(rows) {
  const by = new Map();
  for (const r of rows) {
    const e = by.get(r.reason) || { reason: r.reason, full: 0, partial: 0, none: 0, checkouts: 0 };
    e[r.outcome] = (e[r.outcome] || 0) + r.checkouts;
    e.checkouts += r.checkouts;
    by.set(r.reason, e);
  }
  return [...by.values()].sort((a, b) => (a.reason === "paid_by_balance" ? -1 : b.reason === "paid_by_balance" ? 1 : b.checkouts - a.checkouts));
}

function Report({ period, merchant, setMerchant, merchants }) {
  const params = { ...period, merchant_id: merchant || undefined };
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/obstacles", params), [period.from, period.to, merchant]);
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} retry=${reload} />`;
  const rows = data.rows;
  for (const r of rows) merchants.add(r.merchant_id);
  const picker = html`<div class="ops-toolbar-item">
    <label for="obstacles-merchant">${t("ops.merchant")}</label>
    <select id="obstacles-merchant" value=${merchant} onChange=${(e) => setMerchant(e.target.value)}>
      <option value="" selected=${merchant === ""}>${t("ops.all_merchants")}</option>
      ${[...merchants].sort().map((m) => html`<option value=${m} selected=${m === merchant}>${m}</option>`)}
    </select>
  </div>`;
  if (rows.length === 0) return html`<div class="ops-toolbar">${picker}</div><${EmptyState} kind="export" id="obstacles-empty" />`;
  const stages = funnel(rows);
  const sum = (pred) => rows.filter(pred).reduce((n, r) => n + r.checkouts, 0);
  const topup = rows.reduce((n, r) => n + r.topup_needed, 0);
  const config = {
    type: "bar",
    data: {
      labels: stages.map((s) => reasonName(s.reason)),
      datasets: OUTCOMES.map((o) => ({ label: outcomeName(o), data: stages.map((s) => s[o]), backgroundColor: OUTCOME_COLOURS[o] })),
    },
    options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
  };
  const columns = [
    { key: "merchant_id", label: t("ops.merchant") },
    { key: "outcome", label: t("ops.obstacles.outcome"), format: outcomeName, csv: (v) => v },
    { key: "reason", label: t("ops.obstacles.reason"), format: reasonName, csv: (v) => v },
    { key: "checkouts", label: t("ops.obstacles.checkouts"), numeric: true },
    { key: "amount", label: t("ops.obstacles.amount"), numeric: true, format: money, csv: csvYuan },
    { key: "topup_needed", label: t("ops.obstacles.topup_needed"), numeric: true, format: money, csv: csvYuan },
  ];
  return html`<div class="ops-toolbar">${picker}</div>
    <dl class="balance ops-figures" id="obstacles-summary">
      <div><dt>${t("ops.obstacles.paid_fully")}</dt><dd id="obstacles-full">${count(sum((r) => r.reason === "paid_by_balance"))}</dd></div>
      <div><dt>${t("ops.obstacles.abandoned")}</dt><dd id="obstacles-abandoned">${count(sum((r) => r.reason === "abandoned_after_quote"))}</dd></div>
      <div><dt>${t("ops.obstacles.never_quoted")}</dt><dd id="obstacles-never-quoted">${count(sum((r) => r.reason === "never_quoted"))}</dd></div>
    </dl>
    ${topup ? html`<p class="hint" id="obstacles-topup">${t("ops.obstacles.topup_total")}<${Money} fen=${topup} /></p>` : null}
    <p class="hint">${t("ops.obstacles.note")}</p>
    <${ChartCard} id="chart-obstacles" title=${t("ops.obstacles.chart")} config=${config} columns=${columns} rows=${rows} filename="obstacles.csv" />`;
}

export default function Obstacles() {
  const [days, setDays] = useState(30);
  const [merchant, setMerchant] = useState("");
  const [merchants] = useState(() => new Set());
  return html`<${Page} title=${t("ops.obstacles.title")}>
    <div class="ops-toolbar"><${PeriodSelect} days=${days} onChange=${setDays} /></div>
    <${Report} period=${periodOf(days)} merchant=${merchant} setMerchant=${setMerchant} merchants=${merchants} />
  </${Page}>`;
}
