// One campaign: what it did (targeted, treated, holdout, delivered), each group's figures once measured, and the
// uplift of each metric with its 95 % interval, plain (Welch) and CUPED-adjusted; "measure now" asks for one.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { ChartCard } from "../../lib/charts.js";
import { count, dateTime, percent } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { Banner, DataTable, ErrorBox, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { segmentName } from "./common.js";
import { METRICS, figure, measurementName, statusName, upliftColumns, upliftConfig, upliftRow } from "./campaigns.js";

addStrings({
  "zh-CN": {
    "ops.campaign.back": "返回营销活动列表",
    "ops.campaign.facts": "活动信息",
    "ops.campaign.action": "动作",
    "ops.campaign.holdout_percent": "对照组比例",
    "ops.campaign.measure_days": "评估天数",
    "ops.campaign.started": "开始",
    "ops.campaign.completed": "完成",
    "ops.campaign.failed": "送达失败",
    "ops.campaign.measure": "立即评估",
    "ops.campaign.measuring": "正在评估…",
    "ops.campaign.measure_queued": "已请求评估，结果出来后本页会更新。",
    "ops.campaign.window": "评估区间：{from} 至 {to}",
    "ops.campaign.window_open": "评估区间尚未结束，数据截至 {at}。",
    "ops.campaign.measured_at": "评估时间：{at}",
    "ops.campaign.measure_failed": "评估失败：{error}",
    "ops.campaign.groups": "各组数据（评估期）",
    "ops.campaign.group": "组",
    "ops.campaign.customers": "客户数",
    "ops.campaign.payers": "余额支付客户",
    "ops.campaign.payments": "余额支付次数",
    "ops.campaign.spent": "余额消费",
    "ops.campaign.payer_rate": "支付客户比例",
    "ops.campaign.insufficient": "每组至少需要 {needed} 位客户才有置信区间（实验组 {treated}，对照组 {holdout}）。",
    "ops.campaign.uplift_title": "{metric}的提升（95% 置信区间）",
    "ops.campaign.not_found": "没有这个营销活动。",
  },
  en: {
    "ops.campaign.back": "Back to the campaigns",
    "ops.campaign.facts": "The campaign",
    "ops.campaign.action": "Action",
    "ops.campaign.holdout_percent": "Holdout",
    "ops.campaign.measure_days": "Measured over (days)",
    "ops.campaign.started": "Started",
    "ops.campaign.completed": "Completed",
    "ops.campaign.failed": "Not delivered",
    "ops.campaign.measure": "Measure now",
    "ops.campaign.measuring": "Measuring…",
    "ops.campaign.measure_queued": "Measurement requested; this page updates when it is done.",
    "ops.campaign.window": "Measured from {from} to {to}",
    "ops.campaign.window_open": "The window has not closed yet: figures up to {at}.",
    "ops.campaign.measured_at": "Measured at {at}",
    "ops.campaign.measure_failed": "The measurement failed: {error}",
    "ops.campaign.groups": "Each group over the measured period",
    "ops.campaign.group": "Group",
    "ops.campaign.customers": "Customers",
    "ops.campaign.payers": "Paid by balance",
    "ops.campaign.payments": "Balance payments",
    "ops.campaign.spent": "Balance spend",
    "ops.campaign.payer_rate": "Share paying",
    "ops.campaign.insufficient": "An interval needs {needed} customers in each group (treated {treated}, holdout {holdout}).",
    "ops.campaign.uplift_title": "Uplift of {metric} (95 % interval)",
    "ops.campaign.not_found": "There is no such campaign.",
  },
});

const POLL_MS = 2000;
const POLLS = 60;

function UpliftChart({ campaign, metric }) {
  const u = campaign.measurement.uplift?.[metric];
  const title = t("ops.campaign.uplift_title", { metric: t(`ops.metric.${metric}`) });
  if (!u || u.status === "insufficient") {
    return html`<div class="chart-card" id=${`chart-uplift-${metric}`}>
      <h2>${title}</h2>
      <p class="hint">${t("ops.campaign.insufficient", { needed: u?.needed ?? "—", treated: u?.customers?.treated ?? "—", holdout: u?.customers?.holdout ?? "—" })}</p>
    </div>`;
  }
  const methods = [
    { method: t("ops.uplift.welch"), u },
    { method: t("ops.uplift.cuped"), u: u.cuped || null },
  ].filter((m) => m.u);
  const rows = methods.map((m) => ({ method: m.method, ...upliftRow(m.u) }));
  // drawn: the methods with a difference (CUPED has none where the pre-period is alike for all); the table has all
  const drawn = methods.filter((m) => figure(metric, m.u).point !== null);
  return html`<${ChartCard}
    id=${`chart-uplift-${metric}`}
    title=${title}
    config=${upliftConfig(metric, drawn.map((m) => m.method), drawn.map((m) => figure(metric, m.u)))}
    columns=${upliftColumns(metric, { key: "method", label: t("ops.uplift.method") })}
    rows=${rows}
    filename=${`uplift-${campaign.campaign_id}-${metric}.csv`}
  />`;
}

function Groups({ groups }) {
  const rows = ["treated", "holdout"].filter((g) => groups[g]).map((g) => ({ group: g, ...groups[g] }));
  const columns = [
    { key: "group", label: t("ops.campaign.group"), format: (g) => t(`ops.campaigns.${g}`) },
    { key: "customers", label: t("ops.campaign.customers"), numeric: true, format: count },
    { key: "payers", label: t("ops.campaign.payers"), numeric: true, format: count },
    { key: "payments", label: t("ops.campaign.payments"), numeric: true, format: count },
    { key: "spent", label: t("ops.campaign.spent"), numeric: true, format: (v) => html`<${Money} fen=${v} />` },
    { key: "payer_rate", label: t("ops.campaign.payer_rate"), numeric: true, format: (v) => percent(v) },
  ];
  return html`<${DataTable} id="campaign-groups" columns=${columns} rows=${rows} caption=${t("ops.campaign.groups")} />`;
}

function Measurement({ campaign }) {
  const m = campaign.measurement || {};
  if (m.state === "failed") return html`<${Banner} kind="warning">${t("ops.campaign.measure_failed", { error: m.error || "" })}</${Banner}>`;
  if (m.state !== "succeeded") return null;
  const w = m.window || {};
  return html`<section class="ops-section" id="campaign-measurement">
    <p class="hint">
      ${t("ops.campaign.window", { from: dateTime(w.from), to: dateTime(w.to) })} · ${t("ops.campaign.measured_at", { at: dateTime(m.measured_at) })}
    </p>
    ${w.complete === false ? html`<${Banner} kind="info">${t("ops.campaign.window_open", { at: dateTime(w.measured_to) })}</${Banner}>` : null}
    <${Groups} groups=${m.groups || {}} />
    <div class="grid two">${METRICS.map((metric) => html`<${UpliftChart} campaign=${campaign} metric=${metric} />`)}</div>
  </section>`;
}

export default function Campaign({ params }) {
  const id = params.campaign_id;
  const { data, error, loading, reload } = useLoad(() => api.get(`/v1/admin/campaigns/${encodeURIComponent(id)}`), [id]);
  const [asking, setAsking] = useState(false);
  const [askError, setAskError] = useState(null);
  const [polls, setPolls] = useState(0);
  const state = data?.measurement?.state;
  const pending = state === "queued" || state === "running";
  useEffect(() => {
    if (!pending || polls >= POLLS) return undefined;
    const timer = setTimeout(() => {
      setPolls((n) => n + 1);
      reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, polls, data]);
  async function measure() {
    setAsking(true);
    setAskError(null);
    try {
      await api.post(`/v1/admin/campaigns/${encodeURIComponent(id)}/measurements`, {});
      setPolls(0);
      reload();
    } catch (e) {
      setAskError(e);
    } finally {
      setAsking(false);
    }
  }
  const title = data?.name || t("ops.campaigns.title");
  return html`<${Page} title=${title}>
    <p><a href="/app/ops/campaigns">${t("ops.campaign.back")}</a></p>
    ${loading && !data ? html`<${Loading} />` : null}
    ${error?.status === 404 ? html`<p class="empty" id="campaign-not-found">${t("ops.campaign.not_found")}</p>` : html`<${ErrorBox} error=${error} retry=${reload} />`}
    ${data
      ? html`<dl class="ops-facts" id="campaign-facts" aria-label=${t("ops.campaign.facts")}>
            <div><dt>${t("ops.segment")}</dt><dd>${segmentName(data.segment)}</dd></div>
            <div><dt>${t("ops.campaigns.status")}</dt><dd id="campaign-status">${statusName(data.status)}</dd></div>
            <div><dt>${t("ops.campaign.action")}</dt><dd><code>${data.action?.kind}</code></dd></div>
            <div><dt>${t("ops.campaigns.run_at")}</dt><dd>${dateTime(data.run_at)}</dd></div>
            <div><dt>${t("ops.campaign.started")}</dt><dd>${dateTime(data.started_at)}</dd></div>
            <div><dt>${t("ops.campaign.completed")}</dt><dd>${dateTime(data.completed_at)}</dd></div>
            <div><dt>${t("ops.campaign.holdout_percent")}</dt><dd>${data.holdout_percent}%</dd></div>
            <div><dt>${t("ops.campaign.measure_days")}</dt><dd>${data.measure_days}</dd></div>
            <div><dt>${t("ops.campaigns.targeted")}</dt><dd id="campaign-targeted">${count(data.targeted)}</dd></div>
            <div><dt>${t("ops.campaigns.treated")}</dt><dd id="campaign-treated">${count(data.treated)}</dd></div>
            <div><dt>${t("ops.campaigns.holdout")}</dt><dd id="campaign-holdout">${count(data.holdout)}</dd></div>
            <div><dt>${t("ops.campaigns.delivered")}</dt><dd>${count(data.delivered)}</dd></div>
            <div><dt>${t("ops.campaign.failed")}</dt><dd>${count(data.failed)}</dd></div>
            <div><dt>${t("ops.campaigns.measurement")}</dt><dd id="campaign-measurement-state">${measurementName(state)}</dd></div>
          </dl>
          ${data.status === "completed"
            ? html`<p>
                <button type="button" class="primary" id="campaign-measure" disabled=${asking || pending} onClick=${measure}>
                  ${asking || pending ? t("ops.campaign.measuring") : t("ops.campaign.measure")}
                </button>
              </p>`
            : null}
          ${pending ? html`<p class="hint" role="status">${t("ops.campaign.measure_queued")}</p>` : null}
          <${ErrorBox} error=${askError} />
          <${Measurement} campaign=${data} />`
      : null}
  </${Page}>`;
}
