// The merchant's balance rules: a fieldset per rule, a preview of the proposed rules (a backtest over the last 30
// days: before/after, a chart, and sample checkouts priced both ways), then saving them as the next version.
// Nothing is priced here: every figure of the preview is the backtest's (the API's pricing function).
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, dateTime, day, fenToInput, toFen } from "../../lib/format.js";
import { ChartCard, PALETTE } from "../../lib/charts.js";
import { Banner, ErrorBox, Field, Loading, Money, useLoad } from "../../lib/ui.js";
import { MerchantPage, basisPoints, codeLabel, errorFor, fieldErrors, intOrText, isForbidden, mayOpen } from "./common.js";

addStrings({
  "zh-CN": {
    "m.rules.title": "余额规则",
    "m.rules.intro": "设置顾客何时、可用多少余额支付。保存前可先预览：用近 30 天的结账回测拟定的规则。",
    "m.rules.version": "当前版本：{version}",
    "m.rules.version_none": "尚未设置规则，以下为默认值。",
    "m.rules.min_order": "最低订单金额",
    "m.rules.min_order_label": "最低订单金额（元）",
    "m.rules.min_order_hint": "低于此金额的订单不能用余额支付；0 表示不限。",
    "m.rules.excluded": "不可用余额的商品",
    "m.rules.skus": "排除的商品编码（SKU）",
    "m.rules.categories": "排除的商品类目",
    "m.rules.list_hint": "每行一个，或用逗号分隔。",
    "m.rules.partial": "部分支付",
    "m.rules.allowed": "允许余额只付一部分",
    "m.rules.allowed.always": "始终允许",
    "m.rules.allowed.never": "不允许",
    "m.rules.allowed.in_windows": "仅在指定时段",
    "m.rules.max_share": "余额最多支付订单的百分比",
    "m.rules.max_share_hint": "1 到 100。",
    "m.rules.window": "时段 {n}",
    "m.rules.days": "星期",
    "m.rules.from": "开始时间",
    "m.rules.to": "结束时间",
    "m.rules.add_window": "添加时段",
    "m.rules.remove_window": "删除时段 {n}",
    "m.rules.windows_error": "时段",
    "m.rules.discount": "余额支付折扣",
    "m.rules.discount_percent": "折扣百分比",
    "m.rules.discount_percent_hint": "对余额支付部分打折，0 到 90。",
    "m.rules.discount_max": "每单最多优惠（元）",
    "m.rules.optional_amount": "留空表示不设上限。",
    "m.rules.daily": "每日限额",
    "m.rules.daily_label": "每位顾客每日最多用余额支付（元）",
    "m.rules.timezone": "时区",
    "m.rules.timezone_label": "规则使用的时区（IANA）",
    "m.rules.timezone_hint": "例如 Asia/Shanghai；时段与每日限额按此时区计算。",
    "m.rules.preview": "预览：回测近 30 天",
    "m.rules.save": "保存规则",
    "m.rules.save_previewed": "保存这些规则",
    "m.rules.saved": "已保存，当前版本 {version}。",
    "m.rules.fix": "请修正标出的字段。",
    "m.day.mon": "周一",
    "m.day.tue": "周二",
    "m.day.wed": "周三",
    "m.day.thu": "周四",
    "m.day.fri": "周五",
    "m.day.sat": "周六",
    "m.day.sun": "周日",
    "m.bt.title": "预览：拟定规则在近 30 天的效果",
    "m.bt.queued": "回测已排队…",
    "m.bt.running": "回测运行中…",
    "m.bt.failed": "回测失败：{message}",
    "m.bt.timeout": "回测尚未完成，请稍后再试。",
    "m.bt.stale": "表单在预览之后已修改：请重新预览。",
    "m.bt.period": "回测 {from} 至 {to} 的 {n} 个结账（另有 {never} 个从未报价的结账未回测）。",
    "m.bt.caveat": "回测假设顾客的行为不变：它显示规则对已发生结账的影响，而不是规则会带来的新结账。",
    "m.bt.metric": "指标",
    "m.bt.current": "当前规则",
    "m.bt.proposed": "拟定规则",
    "m.bt.difference": "差异",
    "m.bt.checkouts": "回测的结账",
    "m.bt.amount": "订单金额",
    "m.bt.payable": "可按顾客要求支付",
    "m.bt.fully_payable": "余额全额支付",
    "m.bt.balance_paid": "余额支付金额",
    "m.bt.balance_share_bp": "余额支付占比",
    "m.bt.discount_cost": "折扣成本",
    "m.bt.coupons_used": "使用优惠券",
    "m.bt.points_spent": "抵扣积分",
    "m.bt.points_issued": "发放积分",
    "m.bt.customers": "可支付的顾客",
    "m.bt.became_payable": "新变为可全额支付",
    "m.bt.stopped_being_payable": "不再可全额支付",
    "m.bt.checkouts_changed": "价格变化的结账",
    "m.bt.customers_affected": "受影响的顾客",
    "m.bt.table": "当前与拟定规则对比",
    "m.bt.chart": "余额支付与折扣成本（元）",
    "m.bt.samples": "样例结账：在两种规则下的报价",
    "m.bt.samples_hint": "回测中价格发生变化的前几笔真实结账（最多 20 笔），由回测按两种规则定价。",
    "m.bt.samples_none": "拟定规则没有改变任何结账的价格。",
    "m.bt.at": "时间",
    "m.bt.checkout": "结账",
    "m.bt.pays": "余额支付",
    "m.bt.discount": "折扣",
    "m.bt.refusal": "限制",
    "m.bt.full": "余额全额支付",
    "m.bt.partial": "余额部分支付",
    "m.bt.not_payable": "不能用余额支付",
  },
  en: {
    "m.rules.title": "Balance rules",
    "m.rules.intro": "When, and how much, customers may pay with balance. Preview first: the proposed rules backtested over the last 30 days' checkouts.",
    "m.rules.version": "Version in force: {version}",
    "m.rules.version_none": "No rules set yet: these are the defaults.",
    "m.rules.min_order": "Minimum order",
    "m.rules.min_order_label": "Minimum order (yuan)",
    "m.rules.min_order_hint": "Orders below this may not be paid with balance; 0 for none.",
    "m.rules.excluded": "Items balance may not pay for",
    "m.rules.skus": "Excluded SKUs",
    "m.rules.categories": "Excluded categories",
    "m.rules.list_hint": "One a line, or separated by commas.",
    "m.rules.partial": "Partial payment",
    "m.rules.allowed": "Balance may pay part of an order",
    "m.rules.allowed.always": "Always",
    "m.rules.allowed.never": "Never",
    "m.rules.allowed.in_windows": "Only in the windows below",
    "m.rules.max_share": "Most of an order balance may pay, percent",
    "m.rules.max_share_hint": "1 to 100.",
    "m.rules.window": "Window {n}",
    "m.rules.days": "Days",
    "m.rules.from": "From",
    "m.rules.to": "To",
    "m.rules.add_window": "Add a window",
    "m.rules.remove_window": "Remove window {n}",
    "m.rules.windows_error": "Windows",
    "m.rules.discount": "Discount for paying by balance",
    "m.rules.discount_percent": "Discount, percent",
    "m.rules.discount_percent_hint": "Off what balance pays, 0 to 90.",
    "m.rules.discount_max": "Most it takes off one order (yuan)",
    "m.rules.optional_amount": "Leave empty for no cap.",
    "m.rules.daily": "Daily limit",
    "m.rules.daily_label": "Most one customer may pay by balance a day (yuan)",
    "m.rules.timezone": "Time zone",
    "m.rules.timezone_label": "The rules' time zone (IANA)",
    "m.rules.timezone_hint": "E.g. Asia/Shanghai; the windows and the daily limit are in this zone.",
    "m.rules.preview": "Preview: backtest the last 30 days",
    "m.rules.save": "Save the rules",
    "m.rules.save_previewed": "Save these rules",
    "m.rules.saved": "Saved: version {version} is in force.",
    "m.rules.fix": "Please correct the marked fields.",
    "m.day.mon": "Mon",
    "m.day.tue": "Tue",
    "m.day.wed": "Wed",
    "m.day.thu": "Thu",
    "m.day.fri": "Fri",
    "m.day.sat": "Sat",
    "m.day.sun": "Sun",
    "m.bt.title": "Preview: the proposed rules over the last 30 days",
    "m.bt.queued": "The backtest is queued…",
    "m.bt.running": "The backtest is running…",
    "m.bt.failed": "The backtest failed: {message}",
    "m.bt.timeout": "The backtest has not finished yet; try again in a while.",
    "m.bt.stale": "The form changed since this preview: preview again.",
    "m.bt.period": "{n} checkouts from {from} to {to} replayed ({never} never quoted were not).",
    "m.bt.caveat": "A backtest keeps every customer's behaviour as it was: it shows what the rules do to the checkouts that were, not the checkouts they would cause.",
    "m.bt.metric": "Figure",
    "m.bt.current": "Current rules",
    "m.bt.proposed": "Proposed rules",
    "m.bt.difference": "Difference",
    "m.bt.checkouts": "Checkouts replayed",
    "m.bt.amount": "Order amounts",
    "m.bt.payable": "Payable as asked",
    "m.bt.fully_payable": "Paid in full by balance",
    "m.bt.balance_paid": "Paid by balance",
    "m.bt.balance_share_bp": "Balance share",
    "m.bt.discount_cost": "Discounts given",
    "m.bt.coupons_used": "Coupons used",
    "m.bt.points_spent": "Points spent",
    "m.bt.points_issued": "Points issued",
    "m.bt.customers": "Customers who could pay",
    "m.bt.became_payable": "Became payable in full",
    "m.bt.stopped_being_payable": "No longer payable in full",
    "m.bt.checkouts_changed": "Checkouts priced otherwise",
    "m.bt.customers_affected": "Customers affected",
    "m.bt.table": "Current and proposed rules side by side",
    "m.bt.chart": "Paid by balance and discounts given (yuan)",
    "m.bt.samples": "Sample checkouts quoted under both rules",
    "m.bt.samples_hint": "The first real checkouts the proposal prices otherwise (at most 20), priced by the backtest under both rules.",
    "m.bt.samples_none": "The proposed rules price no checkout otherwise.",
    "m.bt.at": "When",
    "m.bt.checkout": "Checkout",
    "m.bt.pays": "Balance pays",
    "m.bt.discount": "Discount",
    "m.bt.refusal": "Limit",
    "m.bt.full": "paid in full",
    "m.bt.partial": "paid in part",
    "m.bt.not_payable": "not payable by balance",
  },
});

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const PREVIEW_DAYS = 30;
const POLL_MS = 1000;
const POLL_LIMIT_MS = 180000;

function formOf(r) {
  return {
    min_order: fenToInput(r.min_order_amount || 0),
    skus: (r.excluded_skus || []).join("\n"),
    categories: (r.excluded_categories || []).join("\n"),
    allowed: r.partial_pay?.allowed || "always",
    windows: (r.partial_pay?.windows || []).map((w) => ({ days: [...w.days], from: w.from, to: w.to })),
    max_share: String(r.partial_pay?.max_share_percent ?? 100),
    discount_percent: String(r.balance_pay_discount?.percent ?? 0),
    discount_max: r.balance_pay_discount?.max_amount == null ? "" : fenToInput(r.balance_pay_discount.max_amount),
    daily_limit: r.daily_limit == null ? "" : fenToInput(r.daily_limit),
    timezone: r.timezone || "Asia/Shanghai",
  };
}

const list = (text) =>
  String(text || "")
    .split(/[\n,，]/)
    .map((s) => s.trim())
    .filter(Boolean);

// the form -> the rules document PUT takes; yuan typed wrongly is caught here (the API takes fen)
function documentOf(f) {
  const local = {};
  const fen = (name, text, optional) => {
    if (optional && String(text).trim() === "") return null;
    const v = toFen(String(text).trim() === "" ? "0" : text);
    if (v === null) local[name] = t("merchant.bad_amount");
    return v;
  };
  const doc = {
    min_order_amount: fen("min_order_amount", f.min_order, false),
    excluded_skus: list(f.skus),
    excluded_categories: list(f.categories),
    partial_pay: {
      allowed: f.allowed,
      windows: f.allowed === "in_windows" ? f.windows.map((w) => ({ days: DAYS.filter((d) => w.days.includes(d)), from: w.from, to: w.to })) : [],
      max_share_percent: intOrText(f.max_share) ?? 100,
    },
    balance_pay_discount: {
      percent: intOrText(f.discount_percent) ?? 0,
      max_amount: fen("balance_pay_discount.max_amount", f.discount_max, true),
    },
    daily_limit: fen("daily_limit", f.daily_limit, true),
    timezone: f.timezone.trim(),
  };
  return { doc, local };
}

// aria wiring of an input to its Field's hint and error
const described = (id, hint, error) =>
  [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

function Input({ id, label, hint, error, value, onInput, type = "text", inputmode, multiline }) {
  const props = {
    id,
    name: id,
    value,
    onInput: (e) => onInput(e.target.value),
    "aria-invalid": error ? "true" : undefined,
    "aria-describedby": described(id, hint, error),
  };
  return html`<${Field} id=${id} label=${label} hint=${hint} error=${error}>
    ${multiline ? html`<textarea rows="3" ...${props}></textarea>` : html`<input type=${type} inputmode=${inputmode} ...${props} />`}
  </${Field}>`;
}

function Windows({ windows, set, errors }) {
  const update = (i, patch) => set(windows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  const toggle = (i, d) => {
    const w = windows[i];
    update(i, { days: w.days.includes(d) ? w.days.filter((x) => x !== d) : [...w.days, d] });
  };
  const listError = errorFor(errors, "partial_pay.windows");
  return html`<div class="rule-windows" id="rule-windows">
    ${windows.map(
      (w, i) => html`<fieldset class="rule-window" id=${`rule-window-${i}`}>
        <legend>${t("m.rules.window", { n: i + 1 })}</legend>
        <fieldset class="days">
          <legend>${t("m.rules.days")}</legend>
          ${DAYS.map(
            (d) => html`<label class="check">
              <input type="checkbox" id=${`rule-window-${i}-${d}`} checked=${w.days.includes(d)} onChange=${() => toggle(i, d)} />
              ${t(`m.day.${d}`)}
            </label>`,
          )}
        </fieldset>
        <div class="row">
          <${Input} id=${`rule-window-${i}-from`} label=${t("m.rules.from")} type="time" value=${w.from} onInput=${(v) => update(i, { from: v })}
            error=${errorFor(errors, `partial_pay.windows.${i}.from`, `partial_pay.windows.${i}.days`)} />
          <${Input} id=${`rule-window-${i}-to`} label=${t("m.rules.to")} type="time" value=${w.to} onInput=${(v) => update(i, { to: v })}
            error=${errorFor(errors, `partial_pay.windows.${i}.to`)} />
        </div>
        <button type="button" onClick=${() => set(windows.filter((_, j) => j !== i))}>${t("m.rules.remove_window", { n: i + 1 })}</button>
      </fieldset>`,
    )}
    ${listError ? html`<p class="field-error" id="rule-windows-error" role="alert">${t("m.rules.windows_error")}: ${listError}</p>` : null}
    <button type="button" id="rule-add-window" onClick=${() => set([...windows, { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" }])}>
      ${t("m.rules.add_window")}
    </button>
  </div>`;
}

function RulesForm({ form, setForm, errors, busy, onPreview, onSave }) {
  const set = (name) => (v) => setForm({ ...form, [name]: v });
  return html`<form id="rules-form" class="rules-form" noValidate onSubmit=${(e) => {
    e.preventDefault();
    onSave();
  }}>
    <fieldset class="card rule" id="rule-min-order">
      <legend>${t("m.rules.min_order")}</legend>
      <${Input} id="rule-min-order-amount" label=${t("m.rules.min_order_label")} hint=${t("m.rules.min_order_hint")} inputmode="decimal"
        value=${form.min_order} onInput=${set("min_order")} error=${errorFor(errors, "min_order_amount")} />
    </fieldset>
    <fieldset class="card rule" id="rule-excluded">
      <legend>${t("m.rules.excluded")}</legend>
      <${Input} id="rule-excluded-skus" label=${t("m.rules.skus")} hint=${t("m.rules.list_hint")} multiline
        value=${form.skus} onInput=${set("skus")} error=${errorFor(errors, "excluded_skus")} />
      <${Input} id="rule-excluded-categories" label=${t("m.rules.categories")} hint=${t("m.rules.list_hint")} multiline
        value=${form.categories} onInput=${set("categories")} error=${errorFor(errors, "excluded_categories")} />
    </fieldset>
    <fieldset class="card rule" id="rule-partial">
      <legend>${t("m.rules.partial")}</legend>
      <${Field} id="rule-partial-allowed" label=${t("m.rules.allowed")} error=${errorFor(errors, "partial_pay.allowed")}>
        <select id="rule-partial-allowed" value=${form.allowed} onChange=${(e) => set("allowed")(e.target.value)}>
          ${["always", "never", "in_windows"].map((a) => html`<option value=${a} selected=${a === form.allowed}>${t(`m.rules.allowed.${a}`)}</option>`)}
        </select>
      </${Field}>
      ${form.allowed === "in_windows" ? html`<${Windows} windows=${form.windows} set=${set("windows")} errors=${errors} />` : null}
      <${Input} id="rule-partial-max-share" label=${t("m.rules.max_share")} hint=${t("m.rules.max_share_hint")} inputmode="numeric"
        value=${form.max_share} onInput=${set("max_share")} error=${errorFor(errors, "partial_pay.max_share_percent")} />
    </fieldset>
    <fieldset class="card rule" id="rule-discount">
      <legend>${t("m.rules.discount")}</legend>
      <${Input} id="rule-discount-percent" label=${t("m.rules.discount_percent")} hint=${t("m.rules.discount_percent_hint")} inputmode="numeric"
        value=${form.discount_percent} onInput=${set("discount_percent")} error=${errorFor(errors, "balance_pay_discount.percent")} />
      <${Input} id="rule-discount-max" label=${t("m.rules.discount_max")} hint=${t("m.rules.optional_amount")} inputmode="decimal"
        value=${form.discount_max} onInput=${set("discount_max")} error=${errorFor(errors, "balance_pay_discount.max_amount")} />
    </fieldset>
    <fieldset class="card rule" id="rule-daily">
      <legend>${t("m.rules.daily")}</legend>
      <${Input} id="rule-daily-limit" label=${t("m.rules.daily_label")} hint=${t("m.rules.optional_amount")} inputmode="decimal"
        value=${form.daily_limit} onInput=${set("daily_limit")} error=${errorFor(errors, "daily_limit")} />
    </fieldset>
    <fieldset class="card rule" id="rule-timezone">
      <legend>${t("m.rules.timezone")}</legend>
      <${Input} id="rule-timezone-name" label=${t("m.rules.timezone_label")} hint=${t("m.rules.timezone_hint")}
        value=${form.timezone} onInput=${set("timezone")} error=${errorFor(errors, "timezone")} />
    </fieldset>
    <div class="form-actions">
      <button type="button" id="rules-preview" disabled=${busy} onClick=${onPreview}>${t("m.rules.preview")}</button>
      <button type="submit" class="primary" id="rules-save" disabled=${busy}>${t("m.rules.save")}</button>
    </div>
  </form>`;
}

const SIDE_ROWS = [
  ["checkouts", "count"],
  ["amount", "money"],
  ["payable", "count"],
  ["fully_payable", "count"],
  ["balance_paid", "money"],
  ["balance_share_bp", "bp"],
  ["discount_cost", "money"],
  ["coupons_used", "count"],
  ["points_spent", "count"],
  ["points_issued", "count"],
  ["customers", "count"],
];
const CHANGE_ROWS = ["became_payable", "stopped_being_payable", "checkouts_changed", "customers_affected"];

function figure(kind, value) {
  if (kind === "money") return html`<${Money} fen=${value} />`;
  if (kind === "bp") return basisPoints(value);
  return count(value);
}

function Comparison({ report }) {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("m.bt.table")}>
    <table id="preview-table">
      <caption>${t("m.bt.table")}</caption>
      <thead><tr>
        <th scope="col">${t("m.bt.metric")}</th>
        <th scope="col" class="num">${t("m.bt.current")}</th>
        <th scope="col" class="num">${t("m.bt.proposed")}</th>
        <th scope="col" class="num">${t("m.bt.difference")}</th>
      </tr></thead>
      <tbody>
        ${SIDE_ROWS.map(
          ([name, kind]) => html`<tr data-metric=${name}>
            <th scope="row">${t(`m.bt.${name}`)}</th>
            <td class="num" data-side="current" data-value=${report.current[name] ?? ""}>${figure(kind, report.current[name])}</td>
            <td class="num" data-side="proposed" data-value=${report.proposed[name] ?? ""}>${figure(kind, report.proposed[name])}</td>
            <td class="num" data-side="difference" data-value=${report.difference[name] ?? ""}>${figure(kind, report.difference[name])}</td>
          </tr>`,
        )}
        ${CHANGE_ROWS.map(
          (name) => html`<tr data-metric=${name}>
            <th scope="row">${t(`m.bt.${name}`)}</th>
            <td class="num">—</td><td class="num">—</td>
            <td class="num" data-side="difference" data-value=${report.difference[name]}>${count(report.difference[name])}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function PreviewChart({ report }) {
  const metrics = ["balance_paid", "discount_cost"];
  const yuan = (fen) => Number(fen) / 100;
  const config = {
    type: "bar",
    data: {
      labels: metrics.map((m) => t(`m.bt.${m}`)),
      datasets: [
        { label: t("m.bt.current"), data: metrics.map((m) => yuan(report.current[m])), backgroundColor: PALETTE[1] },
        { label: t("m.bt.proposed"), data: metrics.map((m) => yuan(report.proposed[m])), backgroundColor: PALETTE[0] },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  const money = (v) => html`<${Money} fen=${v} />`;
  const csv = (v) => (Number(v) / 100).toFixed(2);
  const columns = [
    { key: "metric", label: t("m.bt.metric") },
    { key: "current", label: t("m.bt.current"), numeric: true, format: money, csv },
    { key: "proposed", label: t("m.bt.proposed"), numeric: true, format: money, csv },
  ];
  const rows = metrics.map((m) => ({ metric: t(`m.bt.${m}`), current: report.current[m], proposed: report.proposed[m] }));
  return html`<${ChartCard} id="preview-chart" title=${t("m.bt.chart")} config=${config} columns=${columns} rows=${rows} filename="backtest-preview.csv" />`;
}

function priceCell(p) {
  const outcome = p.fully_payable ? "m.bt.full" : p.payable ? "m.bt.partial" : "m.bt.not_payable";
  return html`<span class="price">
    ${t(outcome)}${p.refusal ? html` (${codeLabel("m.reason", p.refusal)})` : null}<br />
    ${t("m.bt.pays")} <${Money} fen=${p.balance} /> · ${t("m.bt.discount")} <${Money} fen=${p.discount} />
  </span>`;
}

function Samples({ examples }) {
  if (!examples.length) return html`<p class="empty" id="preview-samples-none">${t("m.bt.samples_none")}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("m.bt.samples")}>
    <table id="preview-samples">
      <caption>${t("m.bt.samples")}</caption>
      <thead><tr>
        <th scope="col">${t("m.bt.at")}</th>
        <th scope="col" class="num">${t("m.bt.amount")}</th>
        <th scope="col">${t("m.bt.current")}</th>
        <th scope="col">${t("m.bt.proposed")}</th>
      </tr></thead>
      <tbody>
        ${examples.map(
          (e) => html`<tr data-checkout=${e.checkout_id}>
            <td>${dateTime(e.at)}<br /><code>${e.checkout_id}</code></td>
            <td class="num"><${Money} fen=${e.amount} /></td>
            <td data-side="current" data-refusal=${e.current.refusal || ""}>${priceCell(e.current)}</td>
            <td data-side="proposed" data-refusal=${e.proposed.refusal || ""}>${priceCell(e.proposed)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function Preview({ preview, stale, busy, onSave }) {
  if (preview.state === "idle") return null;
  const b = preview.backtest;
  const report = b?.report;
  return html`<section class="card preview" id="rules-preview-result" aria-labelledby="preview-h" data-state=${preview.state}
      data-backtest=${b?.backtest_id || ""}>
    <h2 id="preview-h">${t("m.bt.title")}</h2>
    ${preview.state === "running" ? html`<p role="status" class="loading">${t(b?.state === "running" ? "m.bt.running" : "m.bt.queued")}</p>` : null}
    ${preview.state === "timeout" ? html`<${Banner} kind="warning">${t("m.bt.timeout")}</${Banner}>` : null}
    ${preview.state === "failed" && b ? html`<${Banner} kind="warning">${t("m.bt.failed", { message: b.error || b.state })}</${Banner}>` : null}
    ${report
      ? html`${stale ? html`<${Banner} kind="warning">${t("m.bt.stale")}</${Banner}>` : null}
          <p id="preview-period">${t("m.bt.period", { n: count(report.replayed), from: day(report.from), to: day(report.to), never: count(report.not_replayed.never_quoted) })}</p>
          <p class="hint">${t("m.bt.caveat")}</p>
          <${Comparison} report=${report} />
          <${PreviewChart} report=${report} />
          <h3>${t("m.bt.samples")}</h3>
          <p class="hint">${t("m.bt.samples_hint")}</p>
          <${Samples} examples=${report.examples} />
          ${stale ? null : html`<div class="form-actions"><button type="button" class="primary" id="preview-save" disabled=${busy} onClick=${onSave}>${t("m.rules.save_previewed")}</button></div>`}`
      : null}
  </section>`;
}

export default function Rules({ params, roles }) {
  const merchantId = params.merchant_id;
  const path = `/v1/merchants/${encodeURIComponent(merchantId)}`;
  const { data, error, loading, reload } = useLoad(() => (mayOpen(roles, merchantId) ? api.get(`${path}/balance-rules`) : null), [merchantId]);
  const [form, setForm] = useState(null);
  const [rules, setRules] = useState(null);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState({ state: "idle" });
  const poll = useRef(0); // the preview being waited for; a newer one (or leaving the page) stops the older

  useEffect(() => {
    if (data) {
      setRules(data);
      setForm(formOf(data));
    }
  }, [data]);
  useEffect(
    () => () => {
      poll.current += 1;
    },
    [],
  );

  const refused = (e, strip) => {
    setFailure(e);
    setErrors(fieldErrors(e, strip));
  };

  const checked = () => {
    const { doc, local } = documentOf(form);
    if (Object.keys(local).length) {
      setErrors(local);
      setFailure({ code: "invalid_amount", message: t("m.rules.fix") });
      return null;
    }
    setErrors({});
    setFailure(null);
    return doc;
  };

  const save = async () => {
    const doc = checked();
    if (!doc) return;
    setBusy(true);
    setSaved(null);
    try {
      const r = await api.put(`${path}/balance-rules`, doc);
      setRules(r);
      setForm(formOf(r));
      setSaved(r.version);
    } catch (e) {
      refused(e, "");
    } finally {
      setBusy(false);
    }
  };

  const runPreview = async () => {
    const doc = checked();
    if (!doc) return;
    const mine = ++poll.current;
    const proposal = JSON.stringify(doc);
    setSaved(null);
    setPreview({ state: "running", proposal });
    setBusy(true);
    try {
      let b = await api.post(`${path}/backtests`, { days: PREVIEW_DAYS, balance_rules: doc });
      const deadline = Date.now() + POLL_LIMIT_MS;
      while (b.state === "queued" || b.state === "running") {
        if (poll.current !== mine) return;
        if (Date.now() > deadline) {
          setPreview({ state: "timeout", proposal, backtest: b });
          return;
        }
        setPreview({ state: "running", proposal, backtest: b });
        await new Promise((r) => setTimeout(r, POLL_MS));
        b = await api.get(`${path}/backtests/${encodeURIComponent(b.backtest_id)}`);
      }
      if (poll.current === mine) setPreview({ state: b.state === "succeeded" ? "done" : "failed", proposal, backtest: b });
    } catch (e) {
      if (poll.current !== mine) return;
      refused(e, "balance_rules."); // shown beside the form, by field
      setPreview({ state: "idle" });
    } finally {
      if (poll.current === mine) setBusy(false);
    }
  };

  const current = form ? JSON.stringify(documentOf(form).doc) : null;
  const stale = preview.proposal !== undefined && preview.proposal !== current;
  const forbidden = isForbidden(error) ? error : null;

  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="rules" title=${t("m.rules.title")} forbidden=${forbidden}>
    <p>${t("m.rules.intro")}</p>
    ${loading ? html`<${Loading} />` : null}
    ${forbidden ? null : html`<${ErrorBox} error=${error} retry=${reload} />`}
    ${rules
      ? html`<p id="rules-version" data-version=${rules.version}>
          ${rules.version ? t("m.rules.version", { version: rules.version }) : t("m.rules.version_none")}
          ${rules.updated_at ? ` · ${dateTime(rules.updated_at)}` : ""}
        </p>`
      : null}
    ${saved ? html`<${Banner} kind="ok"><span id="rules-saved" data-version=${saved}>${t("m.rules.saved", { version: saved })}</span></${Banner}>` : null}
    <${ErrorBox} error=${failure} />
    ${form
      ? html`<div class="rules-layout">
          <${RulesForm} form=${form} setForm=${setForm} errors=${errors} busy=${busy} onPreview=${runPreview} onSave=${save} />
          <${Preview} preview=${preview} stale=${stale} busy=${busy} onSave=${save} />
        </div>`
      : null}
  </${MerchantPage}>`;
}
