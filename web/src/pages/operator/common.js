// What the operator's pages share: the report period (UTC days, as the API counts them), the empty states that
// say how to fill a report on the local stack, the names of segments, outcomes and reasons, and small formatters.
import { html } from "../../vendor/preact-htm.js";
import { addStrings, t } from "../../lib/i18n.js";

addStrings({
  "zh-CN": {
    "ops.period": "统计区间",
    "ops.period_days": "最近 {days} 天",
    "ops.period_range": "{from} 至 {to}（UTC 日）",
    "ops.empty.export": "此报表读取分析导出的数据，目前还没有数据。",
    "ops.empty.export_local": "本地环境：在 make run 运行时执行下面的命令，生成演示客户及其交易：",
    "ops.empty.segments": "还没有成功的分群运行。",
    "ops.empty.segments_local": "本地环境：执行下面的命令运行一次分群（make demo-data 会先生成演示客户，再分群）：",
    "ops.empty.campaigns": "还没有营销活动。",
    "ops.empty.campaigns_hint": "营销活动通过 API 创建（POST /v1/admin/campaigns，见 docs/campaigns.md），需要先有分群。",
    "ops.empty.ledger": "还没有钱包持有余额。",
    "ops.empty.ledger_local": "本地环境：make run 会创建演示用户并充值；make demo-data 会生成更多客户。",
    "ops.yuan_unit": "元",
    "ops.merchant": "商户",
    "ops.all_merchants": "全部商户",
    "ops.segment": "分群",
    "seg.top_up_and_forget": "充值后未消费",
    "seg.browsers_not_payers": "只浏览不支付",
    "seg.dormant_balance": "沉睡余额",
    "seg.new": "新客户",
    "seg.champions": "核心客户",
    "seg.loyal": "忠诚客户",
    "seg.promising": "潜力客户",
    "seg.needs_attention": "需要关注",
    "seg.at_risk": "流失风险",
    "seg.almost_lost": "即将流失",
    "seg.dormant": "沉睡客户",
    "seg.inactive": "不活跃",
    "seg.none": "未分群",
  },
  en: {
    "ops.period": "Period",
    "ops.period_days": "Last {days} days",
    "ops.period_range": "{from} to {to} (UTC days)",
    "ops.empty.export": "This report reads the analytics export, which holds nothing for it yet.",
    "ops.empty.export_local": "Local stack: with make run running, this writes demo customers and what they did:",
    "ops.empty.segments": "No segmentation run has succeeded yet.",
    "ops.empty.segments_local": "Local stack: run the segmentation once (make demo-data writes demo customers first, then segments):",
    "ops.empty.campaigns": "No campaign yet.",
    "ops.empty.campaigns_hint": "Campaigns are created through the API (POST /v1/admin/campaigns, see docs/campaigns.md), after a segmentation run.",
    "ops.empty.ledger": "No wallet holds money yet.",
    "ops.empty.ledger_local": "Local stack: make run creates the demo users and tops them up; make demo-data adds more customers.",
    "ops.yuan_unit": "yuan",
    "ops.merchant": "Merchant",
    "ops.all_merchants": "All merchants",
    "ops.segment": "Segment",
    "seg.top_up_and_forget": "Topped up, never spent",
    "seg.browsers_not_payers": "Browsers, not payers",
    "seg.dormant_balance": "Dormant balance",
    "seg.new": "New",
    "seg.champions": "Champions",
    "seg.loyal": "Loyal",
    "seg.promising": "Promising",
    "seg.needs_attention": "Needs attention",
    "seg.at_risk": "At risk",
    "seg.almost_lost": "Almost lost",
    "seg.dormant": "Dormant",
    "seg.inactive": "Inactive",
    "seg.none": "Not segmented",
  },
});

// the segments in the order the API documents them (chalicelib/insight/segments.py)
export const SEGMENTS = [
  "top_up_and_forget",
  "browsers_not_payers",
  "dormant_balance",
  "new",
  "champions",
  "loyal",
  "promising",
  "needs_attention",
  "at_risk",
  "almost_lost",
  "dormant",
  "inactive",
];

// twelve colours distinct enough side by side, each at least 3:1 against white (WCAG for graphics)
export const SERIES = [
  "#b4232c", "#1f5fa8", "#2d7d46", "#b06a00", "#6b3fa0", "#00707a",
  "#8a4b2a", "#4a4a4a", "#c2185b", "#3f51b5", "#5d7a00", "#7a5c00",
];

export function segmentName(name) {
  const key = `seg.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

export const PERIODS = [30, 90, 180, 365];

function utcDay(d) {
  return d.toISOString().slice(0, 10);
}

// the last `days` UTC days, today included: what the API's `from`/`to` name
export function periodOf(days) {
  const now = new Date();
  const from = new Date(now.getTime() - (days - 1) * 86400000);
  return { from: utcDay(from), to: utcDay(now) };
}

// every UTC day from..to, both included
export function daysBetween(from, to) {
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); utcDay(d) <= to; d = new Date(d.getTime() + 86400000)) out.push(utcDay(d));
  return out;
}

export function PeriodSelect({ id = "ops-period", days, onChange }) {
  const p = periodOf(days);
  return html`<div class="ops-toolbar-item">
    <label for=${id}>${t("ops.period")}</label>
    <select id=${id} value=${String(days)} data-from=${p.from} data-to=${p.to} onChange=${(e) => onChange(Number(e.target.value))}>
      ${PERIODS.map((n) => html`<option value=${String(n)} selected=${n === days}>${t("ops.period_days", { days: n })}</option>`)}
    </select>
    <span class="hint">${t("ops.period_range", p)}</span>
  </div>`;
}

// kind: export | segments | campaigns | ledger
export function EmptyState({ kind, id }) {
  const local = {
    export: ["ops.empty.export_local", "make demo-data"],
    segments: ["ops.empty.segments_local", "make segment"],
  }[kind];
  const lead = { export: "ops.empty.export", segments: "ops.empty.segments", campaigns: "ops.empty.campaigns", ledger: "ops.empty.ledger" }[kind];
  return html`<div class="ops-empty" data-empty=${kind} id=${id}>
    <p>${t(lead)}</p>
    ${local ? html`<p class="hint">${t(local[0])} <code>${local[1]}</code></p>` : null}
    ${kind === "campaigns" ? html`<p class="hint">${t("ops.empty.campaigns_hint")}</p>` : null}
    ${kind === "ledger" ? html`<p class="hint">${t("ops.empty.ledger_local")}</p>` : null}
  </div>`;
}

// basis points (1/10,000) as a percentage: 6250 -> "62.50%"
export function bp(value) {
  return value === null || value === undefined ? "—" : `${(value / 100).toFixed(2)}%`;
}

// fen -> yuan as a number, for a chart's axis (the tables show Money with the exact fen)
export function toYuan(fen) {
  return fen === null || fen === undefined ? null : Number(fen) / 100;
}

// a CSV cell of fen in yuan with two decimals ("12.34"); empty when there is none
export function csvYuan(fen) {
  return fen === null || fen === undefined ? "" : (Number(fen) / 100).toFixed(2);
}

export const yuanTicks = { callback: (v) => `¥${Number(v).toLocaleString()}` };
