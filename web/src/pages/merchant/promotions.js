// The merchant's promotions: the list (GET /v1/admin/promotions?merchant_id=, which the merchant's staff may read
// for their own merchant), a new one with its start and end (POST, one Idempotency-Key per intent; the merchant's
// staff create promotions of their own merchant), and cancelling one that has not ended (DELETE).
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { dateTime, toFen } from "../../lib/format.js";
import { Banner, ErrorBox, Field, Loading, Money, useLoad } from "../../lib/ui.js";
import {
  MerchantPage,
  codeLabel,
  errorFor,
  fieldErrors,
  instantToLocal,
  intOrText,
  isForbidden,
  localToInstant,
  mayOpen,
  useIntentKey,
} from "./common.js";

addStrings({
  "zh-CN": {
    "m.promo.title": "促销活动",
    "m.promo.list": "本商户的促销活动",
    "m.promo.none": "还没有促销活动。",
    "m.promo.name": "名称",
    "m.promo.effect": "内容",
    "m.promo.starts": "开始",
    "m.promo.ends": "结束",
    "m.promo.status": "状态",
    "m.promo.actions": "操作",
    "m.promo.status.pending": "创建中",
    "m.promo.status.scheduled": "待开始",
    "m.promo.status.active": "进行中",
    "m.promo.status.ended": "已结束",
    "m.promo.status.cancelled": "已取消",
    "m.promo.cancel": "取消活动",
    "m.promo.cancel_confirm": "确认取消「{name}」",
    "m.promo.cancel_keep": "不取消",
    "m.promo.cancelled": "已取消「{name}」。",
    "m.promo.create": "新建促销活动",
    "m.promo.create_hint": "时间按您所在时区填写；活动最长 90 天，开始时间不能早于现在。",
    "m.promo.kind": "活动类型",
    "m.promo.kind.extra_balance_discount": "余额支付额外折扣",
    "m.promo.kind.points_multiplier": "积分倍数",
    "m.promo.kind.grant_coupon": "开始时发放优惠券",
    "m.promo.percent": "额外折扣百分比（1 到 50）",
    "m.promo.max_amount": "每单最多优惠（元）",
    "m.promo.optional": "留空表示不设上限。",
    "m.promo.factor": "积分倍数（大于 1，最多 10，例如 1.5）",
    "m.promo.definition": "优惠券定义编号",
    "m.promo.audience": "发放对象",
    "m.promo.audience.all_balance_payers": "所有用余额支付过的顾客",
    "m.promo.audience.balance_payers_last_30_days": "近 30 天用余额支付过的顾客",
    "m.promo.audience.segment": "某个顾客分群",
    "m.promo.segment": "分群名称（或 tier:会员等级）",
    "m.promo.submit": "创建活动",
    "m.promo.created": "已创建「{name}」。",
    "m.promo.effect_discount": "余额支付再减 {percent}%",
    "m.promo.effect_cap": "每单最多",
    "m.promo.effect_points": "积分 ×{factor}",
    "m.promo.effect_coupon": "发放优惠券 {id}",
  },
  en: {
    "m.promo.title": "Promotions",
    "m.promo.list": "This merchant's promotions",
    "m.promo.none": "No promotions yet.",
    "m.promo.name": "Name",
    "m.promo.effect": "What it does",
    "m.promo.starts": "Starts",
    "m.promo.ends": "Ends",
    "m.promo.status": "Status",
    "m.promo.actions": "Actions",
    "m.promo.status.pending": "Being created",
    "m.promo.status.scheduled": "Scheduled",
    "m.promo.status.active": "Live",
    "m.promo.status.ended": "Ended",
    "m.promo.status.cancelled": "Cancelled",
    "m.promo.cancel": "Cancel it",
    "m.promo.cancel_confirm": "Yes, cancel “{name}”",
    "m.promo.cancel_keep": "Keep it",
    "m.promo.cancelled": "“{name}” is cancelled.",
    "m.promo.create": "A new promotion",
    "m.promo.create_hint": "Times are in your own time zone; a promotion runs at most 90 days and starts no earlier than now.",
    "m.promo.kind": "Kind",
    "m.promo.kind.extra_balance_discount": "Extra discount for paying by balance",
    "m.promo.kind.points_multiplier": "Points multiplier",
    "m.promo.kind.grant_coupon": "Grant a coupon at the start",
    "m.promo.percent": "Extra discount, percent (1 to 50)",
    "m.promo.max_amount": "Most it takes off one order (yuan)",
    "m.promo.optional": "Leave empty for no cap.",
    "m.promo.factor": "Points factor (above 1, at most 10, e.g. 1.5)",
    "m.promo.definition": "Coupon definition id",
    "m.promo.audience": "Who gets it",
    "m.promo.audience.all_balance_payers": "Every customer who paid by balance",
    "m.promo.audience.balance_payers_last_30_days": "Customers who paid by balance in the last 30 days",
    "m.promo.audience.segment": "A segment of customers",
    "m.promo.segment": "Segment name (or tier:<tier name>)",
    "m.promo.submit": "Create the promotion",
    "m.promo.created": "“{name}” created.",
    "m.promo.effect_discount": "{percent}% more off what balance pays",
    "m.promo.effect_cap": "at most, per order",
    "m.promo.effect_points": "points ×{factor}",
    "m.promo.effect_coupon": "grants coupon {id}",
  },
});

const KINDS = ["extra_balance_discount", "points_multiplier", "grant_coupon"];
const AUDIENCES = ["all_balance_payers", "balance_payers_last_30_days", "segment"];
const LIVE = ["pending", "scheduled", "active"];

function effectText(e) {
  if (e.kind === "extra_balance_discount") {
    const text = t("m.promo.effect_discount", { percent: e.percent });
    return e.max_amount == null ? text : html`${text} · ${t("m.promo.effect_cap")} <${Money} fen=${e.max_amount} />`;
  }
  if (e.kind === "points_multiplier") return t("m.promo.effect_points", { factor: e.factor });
  const audience = typeof e.audience === "string" ? codeLabel("m.promo.audience", e.audience) : e.audience?.segment;
  return `${t("m.promo.effect_coupon", { id: e.definition_id })} · ${audience || ""}`;
}

function blank() {
  const start = new Date(Date.now() + 10 * 60000);
  return {
    name: "",
    starts_at: instantToLocal(start),
    ends_at: instantToLocal(new Date(start.getTime() + 7 * 86400000)),
    kind: "extra_balance_discount",
    percent: "5",
    max_amount: "",
    factor: "2",
    definition_id: "",
    audience: "all_balance_payers",
    segment: "",
  };
}

function bodyOf(f, merchantId) {
  const local = {};
  const instant = (name, text) => {
    const v = localToInstant(text);
    if (v === null) local[name] = t("merchant.bad_time");
    return v;
  };
  let effect;
  if (f.kind === "extra_balance_discount") {
    let cap = null;
    if (f.max_amount.trim() !== "") {
      cap = toFen(f.max_amount);
      if (cap === null) local["effect.max_amount"] = t("merchant.bad_amount");
    }
    effect = { kind: f.kind, percent: intOrText(f.percent), max_amount: cap };
  } else if (f.kind === "points_multiplier") {
    effect = { kind: f.kind, factor: f.factor.trim() };
  } else {
    effect = {
      kind: f.kind,
      definition_id: f.definition_id.trim(),
      audience: f.audience === "segment" ? { segment: f.segment.trim() } : f.audience,
    };
  }
  const body = {
    name: f.name.trim(),
    merchant_id: merchantId,
    starts_at: instant("starts_at", f.starts_at),
    ends_at: instant("ends_at", f.ends_at),
    effect,
  };
  return { body, local };
}

// a refusal of the effect names it by its kind ("effect.points_multiplier.factor"): by the field's own name here
function effectErrors(errors, kind) {
  const out = { ...errors };
  for (const [k, v] of Object.entries(errors)) {
    const m = /^effect\.(?:[a-z_]+\.)?([a-z_]+)(?:\..*)?$/.exec(k);
    if (m && k.startsWith(`effect.${kind}.`)) out[`effect.${m[1]}`] = v;
  }
  return out;
}

const described = (id, hint, error) =>
  [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

function Input({ id, label, hint, error, value, onInput, type = "text", inputmode }) {
  return html`<${Field} id=${id} label=${label} hint=${hint} error=${error}>
    <input id=${id} name=${id} type=${type} inputmode=${inputmode} value=${value}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described(id, hint, error)}
      onInput=${(e) => onInput(e.target.value)} />
  </${Field}>`;
}

function CreateForm({ merchantId, onCreated }) {
  const key = useIntentKey();
  const [form, setForm] = useState(blank);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name) => (v) => {
    setForm({ ...form, [name]: v });
    key.renew(); // another promotion: another intent
  };

  const submit = async (e) => {
    e.preventDefault();
    const { body, local } = bodyOf(form, merchantId);
    if (Object.keys(local).length) {
      setErrors(local);
      setFailure(null);
      return;
    }
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      const p = await api.post("/v1/admin/promotions", body, { key: key.get() });
      key.renew();
      setForm(blank());
      onCreated(p);
    } catch (err) {
      setFailure(err); // a retry keeps the key: the same promotion, never two
      setErrors(effectErrors(fieldErrors(err), form.kind));
    } finally {
      setBusy(false);
    }
  };

  const err = (...names) => errorFor(errors, ...names);
  return html`<section class="card" aria-labelledby="promo-create-h">
    <h2 id="promo-create-h">${t("m.promo.create")}</h2>
    <p class="hint">${t("m.promo.create_hint")}</p>
    <form id="promo-form" noValidate onSubmit=${submit}>
      <div class="grid two">
        <${Input} id="promo-name" label=${t("m.promo.name")} value=${form.name} onInput=${set("name")} error=${err("name")} />
        <${Field} id="promo-kind" label=${t("m.promo.kind")} error=${err("effect.kind", "effect")}>
          <select id="promo-kind" value=${form.kind} onChange=${(e) => set("kind")(e.target.value)}>
            ${KINDS.map((k) => html`<option value=${k} selected=${k === form.kind}>${t(`m.promo.kind.${k}`)}</option>`)}
          </select>
        </${Field}>
        <${Input} id="promo-starts" label=${t("m.promo.starts")} type="datetime-local" value=${form.starts_at} onInput=${set("starts_at")}
          error=${err("starts_at", "starts_at/ends_at")} />
        <${Input} id="promo-ends" label=${t("m.promo.ends")} type="datetime-local" value=${form.ends_at} onInput=${set("ends_at")} error=${err("ends_at")} />
        ${form.kind === "extra_balance_discount"
          ? html`<${Input} id="promo-percent" label=${t("m.promo.percent")} inputmode="numeric" value=${form.percent} onInput=${set("percent")}
                error=${err("effect.percent")} />
              <${Input} id="promo-max-amount" label=${t("m.promo.max_amount")} hint=${t("m.promo.optional")} inputmode="decimal"
                value=${form.max_amount} onInput=${set("max_amount")} error=${err("effect.max_amount")} />`
          : null}
        ${form.kind === "points_multiplier"
          ? html`<${Input} id="promo-factor" label=${t("m.promo.factor")} inputmode="decimal" value=${form.factor} onInput=${set("factor")}
              error=${err("effect.factor")} />`
          : null}
        ${form.kind === "grant_coupon"
          ? html`<${Input} id="promo-definition" label=${t("m.promo.definition")} value=${form.definition_id} onInput=${set("definition_id")}
                error=${err("effect.definition_id")} />
              <${Field} id="promo-audience" label=${t("m.promo.audience")} error=${err("effect.audience")}>
                <select id="promo-audience" value=${form.audience} onChange=${(e) => set("audience")(e.target.value)}>
                  ${AUDIENCES.map((a) => html`<option value=${a} selected=${a === form.audience}>${t(`m.promo.audience.${a}`)}</option>`)}
                </select>
              </${Field}>
              ${form.audience === "segment"
                ? html`<${Input} id="promo-segment" label=${t("m.promo.segment")} value=${form.segment} onInput=${set("segment")}
                    error=${err("effect.audience.segment", "effect.segment")} />`
                : null}`
          : null}
      </div>
      <${ErrorBox} error=${failure} />
      <div class="form-actions">
        <button type="submit" class="primary" id="promo-submit" disabled=${busy}>${busy ? t("merchant.working") : t("m.promo.submit")}</button>
      </div>
    </form>
  </section>`;
}

function CancelButton({ p, onCancelled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  if (!LIVE.includes(p.status)) return null;
  const cancel = async () => {
    setBusy(true);
    setFailure(null);
    try {
      onCancelled(await api.del(`/v1/admin/promotions/${encodeURIComponent(p.promotion_id)}`));
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return html`<div class="row-actions">
    ${asking
      ? html`<button type="button" class="danger" data-confirm-cancel=${p.promotion_id} disabled=${busy} onClick=${cancel}>
            ${t("m.promo.cancel_confirm", { name: p.name })}
          </button>
          <button type="button" onClick=${() => setAsking(false)}>${t("m.promo.cancel_keep")}</button>`
      : html`<button type="button" data-cancel=${p.promotion_id} onClick=${() => setAsking(true)}>${t("m.promo.cancel")}</button>`}
    <${ErrorBox} error=${failure} />
  </div>`;
}

function List({ promotions, onCancelled }) {
  if (!promotions.length) return html`<p class="empty" id="promo-none">${t("m.promo.none")}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("m.promo.list")}>
    <table id="promo-table">
      <caption>${t("m.promo.list")}</caption>
      <thead><tr>
        <th scope="col">${t("m.promo.name")}</th>
        <th scope="col">${t("m.promo.effect")}</th>
        <th scope="col">${t("m.promo.starts")}</th>
        <th scope="col">${t("m.promo.ends")}</th>
        <th scope="col">${t("m.promo.status")}</th>
        <th scope="col">${t("m.promo.actions")}</th>
      </tr></thead>
      <tbody>
        ${promotions.map(
          (p) => html`<tr data-promotion=${p.promotion_id} data-status=${p.status}>
            <td>${p.name}</td>
            <td>${effectText(p.effect)}</td>
            <td>${dateTime(p.starts_at)}</td>
            <td>${dateTime(p.ends_at)}</td>
            <td class="status">${codeLabel("m.promo.status", p.status)}</td>
            <td><${CancelButton} p=${p} onCancelled=${onCancelled} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export default function Promotions({ params, roles }) {
  const merchantId = params.merchant_id;
  const { data, error, loading, reload } = useLoad(
    () => (mayOpen(roles, merchantId) ? api.get("/v1/admin/promotions", { merchant_id: merchantId }) : null),
    [merchantId],
  );
  const [notice, setNotice] = useState(null);
  const forbidden = isForbidden(error) ? error : null;
  const done = (message) => {
    setNotice(message);
    reload();
  };
  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="promotions" title=${t("m.promo.title")} forbidden=${forbidden}>
    ${notice ? html`<${Banner} kind="ok"><span id="promo-notice">${notice}</span></${Banner}>` : null}
    <${CreateForm} merchantId=${merchantId} onCreated=${(p) => done(t("m.promo.created", { name: p.name }))} />
    <section aria-labelledby="promo-list-h">
      <h2 id="promo-list-h">${t("m.promo.list")}</h2>
      ${loading && !data ? html`<${Loading} />` : null}
      <${ErrorBox} error=${error} retry=${reload} />
      ${data ? html`<${List} promotions=${data.promotions} onCancelled=${(p) => done(t("m.promo.cancelled", { name: p.name }))} />` : null}
    </section>
  </${MerchantPage}>`;
}
