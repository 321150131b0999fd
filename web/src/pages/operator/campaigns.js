// The campaigns: each with its counts and, once measured, the uplift of treated over holdout with its 95 %
// interval, drawn as a floating bar [low, high] with the difference as a point (docs/campaigns.md).
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { ChartCard } from "../../lib/charts.js";
import { count, dateTime } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { DataTable, ErrorBox, Loading, Page, useLoad } from "../../lib/ui.js";
import { EmptyState, segmentName } from "./common.js";

addStrings({
  "zh-CN": {
    "ops.campaigns.title": "营销活动",
    "ops.campaigns.list": "全部营销活动（最新在前）",
    "ops.campaigns.name": "名称",
    "ops.campaigns.status": "状态",
    "ops.campaigns.run_at": "执行时间",
    "ops.campaigns.targeted": "覆盖",
    "ops.campaigns.treated": "实验组",
    "ops.campaigns.holdout": "对照组",
    "ops.campaigns.delivered": "已送达",
    "ops.campaigns.measurement": "效果评估",
    "ops.campaigns.chart": "各活动的提升：{metric}（95% 置信区间）",
    "ops.campaigns.metric": "指标",
    "ops.campaigns.cuped": "CUPED 调整（以活动前同长度时期为协变量）",
    "ops.campaigns.none_measured": "还没有可比较的评估结果：活动执行后，在活动详情页点击“立即评估”；每组至少 30 位客户才有置信区间。",
    "ops.status.scheduled": "已排期",
    "ops.status.running": "执行中",
    "ops.status.completed": "已完成",
    "ops.status.cancelled": "已取消",
    "ops.mstate.not_requested": "未评估",
    "ops.mstate.queued": "排队中",
    "ops.mstate.running": "评估中",
    "ops.mstate.succeeded": "已评估",
    "ops.mstate.failed": "评估失败",
    "ops.metric.payer_rate": "余额支付客户比例",
    "ops.metric.payments_per_customer": "人均余额支付次数",
    "ops.metric.spent_per_customer": "人均余额消费",
    "ops.unit.payer_rate": "百分点",
    "ops.unit.payments_per_customer": "次",
    "ops.unit.spent_per_customer": "元",
    "ops.uplift.interval": "95% 置信区间",
    "ops.uplift.difference": "提升（实验组 − 对照组）",
    "ops.uplift.low": "下限",
    "ops.uplift.high": "上限",
    "ops.uplift.p_value": "p 值",
    "ops.uplift.result": "结果",
    "ops.uplift.method": "方法",
    "ops.uplift.welch": "Welch",
    "ops.uplift.cuped": "CUPED",
    "ops.ustatus.ok": "有区间",
    "ops.ustatus.no_variance": "无差异（各组取值相同）",
    "ops.ustatus.insufficient": "样本不足",
  },
  en: {
    "ops.campaigns.title": "Campaigns",
    "ops.campaigns.list": "Every campaign, newest first",
    "ops.campaigns.name": "Name",
    "ops.campaigns.status": "Status",
    "ops.campaigns.run_at": "Runs at",
    "ops.campaigns.targeted": "Targeted",
    "ops.campaigns.treated": "Treated",
    "ops.campaigns.holdout": "Holdout",
    "ops.campaigns.delivered": "Delivered",
    "ops.campaigns.measurement": "Measurement",
    "ops.campaigns.chart": "Uplift by campaign: {metric} (95 % interval)",
    "ops.campaigns.metric": "Metric",
    "ops.campaigns.cuped": "CUPED-adjusted (the same length of time before the run as covariate)",
    "ops.campaigns.none_measured": "No measurement to compare yet: once a campaign has run, press “Measure now” on its page; an interval needs 30 customers in each group.",
    "ops.status.scheduled": "Scheduled",
    "ops.status.running": "Running",
    "ops.status.completed": "Completed",
    "ops.status.cancelled": "Cancelled",
    "ops.mstate.not_requested": "Not measured",
    "ops.mstate.queued": "Queued",
    "ops.mstate.running": "Measuring",
    "ops.mstate.succeeded": "Measured",
    "ops.mstate.failed": "Failed",
    "ops.metric.payer_rate": "Share paying by balance",
    "ops.metric.payments_per_customer": "Balance payments per customer",
    "ops.metric.spent_per_customer": "Balance spend per customer",
    "ops.unit.payer_rate": "percentage points",
    "ops.unit.payments_per_customer": "payments",
    "ops.unit.spent_per_customer": "yuan",
    "ops.uplift.interval": "95 % interval",
    "ops.uplift.difference": "Uplift (treated − holdout)",
    "ops.uplift.low": "Low",
    "ops.uplift.high": "High",
    "ops.uplift.p_value": "p value",
    "ops.uplift.result": "Result",
    "ops.uplift.method": "Method",
    "ops.uplift.welch": "Welch",
    "ops.uplift.cuped": "CUPED",
    "ops.ustatus.ok": "Interval",
    "ops.ustatus.no_variance": "No variance (every value alike)",
    "ops.ustatus.insufficient": "Too few customers",
  },
});

export const METRICS = ["payer_rate", "payments_per_customer", "spent_per_customer"];
// the API's figures in the unit a person reads: a rate's difference in percentage points, fen in yuan
const SCALE = { payer_rate: 100, payments_per_customer: 1, spent_per_customer: 0.01 };
const DECIMALS = { payer_rate: 2, payments_per_customer: 3, spent_per_customer: 2 };

export function scaled(metric, value) {
  return value === null || value === undefined ? null : Number((value * SCALE[metric]).toFixed(DECIMALS[metric] + 2));
}

export function shown(metric, value) {
  const v = scaled(metric, value);
  return v === null ? "—" : v.toFixed(DECIMALS[metric]);
}

export const statusName = (s) => t(`ops.status.${s}`);
export const measurementName = (s) => t(`ops.mstate.${s || "not_requested"}`);
export const upliftStatus = (s) => t(`ops.ustatus.${s}`);

// one figure of an uplift ({status, difference, ci95}) as a chart's two values: the interval and the point
export function figure(metric, u) {
  if (!u || (u.status !== "ok" && u.status !== "no_variance")) return { interval: null, point: null };
  return {
    interval: u.ci95 ? [scaled(metric, u.ci95[0]), scaled(metric, u.ci95[1])] : null,
    point: scaled(metric, u.difference),
  };
}

// labels, and per label an uplift figure: a floating bar for the interval and a point for the difference
export function upliftConfig(metric, labels, figures) {
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          type: "bar",
          label: t("ops.uplift.interval"),
          data: figures.map((f) => f.interval),
          backgroundColor: "rgba(31, 95, 168, 0.35)",
          borderColor: "#1f5fa8",
          borderWidth: 1,
          barPercentage: 0.5,
        },
        {
          type: "line",
          label: t("ops.uplift.difference"),
          data: figures.map((f) => f.point),
          showLine: false,
          pointRadius: 6,
          pointStyle: "rectRot",
          borderColor: "#b4232c",
          backgroundColor: "#b4232c",
        },
      ],
    },
    options: {
      scales: {
        y: {
          title: { display: true, text: t(`ops.unit.${metric}`) },
          grid: { color: (ctx) => (ctx.tick && ctx.tick.value === 0 ? "#1d1d1f" : "#e5e5ea") },
        },
      },
    },
  };
}

export function upliftColumns(metric, first) {
  return [
    first,
    { key: "status", label: t("ops.uplift.result"), format: upliftStatus, csv: (v) => v },
    { key: "difference", label: `${t("ops.uplift.difference")} (${t(`ops.unit.${metric}`)})`, numeric: true, format: (v) => shown(metric, v), csv: (v) => scaled(metric, v) ?? "" },
    { key: "low", label: t("ops.uplift.low"), numeric: true, format: (v) => shown(metric, v), csv: (v) => scaled(metric, v) ?? "" },
    { key: "high", label: t("ops.uplift.high"), numeric: true, format: (v) => shown(metric, v), csv: (v) => scaled(metric, v) ?? "" },
    { key: "p_value", label: t("ops.uplift.p_value"), numeric: true, format: (v) => (v === null || v === undefined ? "—" : String(v)) },
  ];
}

export function upliftRow(u) {
  return {
    status: u?.status || "insufficient",
    difference: u?.difference ?? null,
    low: u?.ci95 ? u.ci95[0] : null,
    high: u?.ci95 ? u.ci95[1] : null,
    p_value: u?.p_value ?? null,
  };
}

function UpliftAcross({ campaigns }) {
  const [metric, setMetric] = useState(METRICS[2]);
  const [cuped, setCuped] = useState(false);
  const measured = campaigns.filter((c) => {
    const u = c.measurement?.uplift?.[metric];
    return c.measurement?.state === "succeeded" && u && u.status !== "insufficient";
  });
  const pick = (c) => {
    const u = c.measurement.uplift[metric];
    return cuped ? u.cuped || u : u;
  };
  const rows = measured.map((c) => ({ name: c.name, campaign_id: c.campaign_id, ...upliftRow(pick(c)) }));
  const config = upliftConfig(
    metric,
    measured.map((c) => c.name),
    measured.map((c) => figure(metric, pick(c))),
  );
  return html`<section class="ops-section" id="uplift-across">
    <div class="ops-toolbar">
      <div class="ops-toolbar-item">
        <label for="uplift-metric">${t("ops.campaigns.metric")}</label>
        <select id="uplift-metric" value=${metric} onChange=${(e) => setMetric(e.target.value)}>
          ${METRICS.map((m) => html`<option value=${m} selected=${m === metric}>${t(`ops.metric.${m}`)}</option>`)}
        </select>
      </div>
      <div class="ops-toolbar-item ops-check">
        <input type="checkbox" id="uplift-cuped" checked=${cuped} onChange=${(e) => setCuped(e.target.checked)} />
        <label for="uplift-cuped">${t("ops.campaigns.cuped")}</label>
      </div>
    </div>
    ${measured.length === 0
      ? html`<p class="ops-empty" data-empty="measurements" id="uplift-empty">${t("ops.campaigns.none_measured")}</p>`
      : html`<${ChartCard}
          id="chart-uplift"
          title=${t("ops.campaigns.chart", { metric: t(`ops.metric.${metric}`) })}
          config=${config}
          columns=${upliftColumns(metric, { key: "name", label: t("ops.campaigns.name") })}
          rows=${rows}
          filename=${`uplift-${metric}.csv`}
        />`}
  </section>`;
}

export default function Campaigns() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/campaigns"));
  const campaigns = data?.campaigns || [];
  const columns = [
    { key: "name", label: t("ops.campaigns.name"), format: (v, r) => html`<a href=${`/app/ops/campaigns/${encodeURIComponent(r.campaign_id)}`}>${v}</a>` },
    { key: "segment", label: t("ops.segment"), format: segmentName },
    { key: "status", label: t("ops.campaigns.status"), format: statusName },
    { key: "run_at", label: t("ops.campaigns.run_at"), format: dateTime },
    { key: "targeted", label: t("ops.campaigns.targeted"), numeric: true, format: count },
    { key: "treated", label: t("ops.campaigns.treated"), numeric: true, format: count },
    { key: "holdout", label: t("ops.campaigns.holdout"), numeric: true, format: count },
    { key: "delivered", label: t("ops.campaigns.delivered"), numeric: true, format: count },
    { key: "measurement", label: t("ops.campaigns.measurement"), format: (m) => measurementName(m?.state) },
  ];
  return html`<${Page} title=${t("ops.campaigns.title")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data && campaigns.length === 0 ? html`<${EmptyState} kind="campaigns" id="campaigns-empty" />` : null}
    ${campaigns.length
      ? html`<${UpliftAcross} campaigns=${campaigns} />
          <${DataTable} id="campaigns-table" columns=${columns} rows=${campaigns} caption=${t("ops.campaigns.list")} />`
      : null}
  </${Page}>`;
}
