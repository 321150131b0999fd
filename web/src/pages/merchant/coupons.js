// The merchant's coupons: open a definition by its id (the API lists none: the ones opened here are remembered in
// this browser), create or change it (PUT, the next version), and grant it to customers (POST .../grants, one
// Idempotency-Key per intent).
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, dateTime, fenToInput, toFen } from "../../lib/format.js";
import { Banner, ErrorBox, Field, Money } from "../../lib/ui.js";
import {
  MerchantPage,
  codeLabel,
  errorFor,
  fieldErrors,
  instantToLocal,
  intOrText,
  isForbidden,
  localToInstant,
  useIntentKey,
} from "./common.js";

addStrings({
  "zh-CN": {
    "m.coupons.title": "优惠券",
    "m.coupons.open": "打开优惠券定义",
    "m.coupons.open_hint": "输入优惠券定义的编号。没有这个编号的定义时，可在下方新建。",
    "m.coupons.id": "定义编号",
    "m.coupons.open_button": "打开",
    "m.coupons.new": "新建定义",
    "m.coupons.recent": "在本浏览器中打开过的定义",
    "m.coupons.not_found": "没有编号为 {id} 的定义（或它属于其他商户）：可在下方新建。",
    "m.coupons.form_new": "新建优惠券定义",
    "m.coupons.form_edit": "修改定义 {id}（版本 {version}）",
    "m.coupons.name": "名称",
    "m.coupons.kind": "类型",
    "m.coupons.kind.amount_off": "满减（减固定金额）",
    "m.coupons.kind.percent_off": "折扣（减百分比）",
    "m.coupons.value_amount": "减免金额（元）",
    "m.coupons.value_percent": "减免百分比（1 到 100）",
    "m.coupons.max_discount": "最多减免（元）",
    "m.coupons.min_spend": "最低消费（元）",
    "m.coupons.balance_pay_only": "仅在余额全额支付时可用",
    "m.coupons.valid_from": "生效时间",
    "m.coupons.valid_to": "失效时间",
    "m.coupons.per_customer": "每位顾客最多张数",
    "m.coupons.budget_count": "总发放次数预算",
    "m.coupons.budget_amount": "总减免金额预算（元）",
    "m.coupons.budget_hint": "留空表示不限。预算在创建时确定，之后不能修改。",
    "m.coupons.budget_fixed": "预算已在创建时确定，不能修改。",
    "m.coupons.optional": "留空表示不限。",
    "m.coupons.save": "保存定义",
    "m.coupons.saved": "已保存定义 {id}，版本 {version}。",
    "m.coupons.terms": "当前条款",
    "m.coupons.grant": "发放优惠券",
    "m.coupons.grant_hint": "每行一个顾客编号（或用逗号分隔），每次最多 500 位。每位顾客受每人限额约束。",
    "m.coupons.user_ids": "顾客编号",
    "m.coupons.grant_button": "发放",
    "m.coupons.granted": "已发放 {granted} 张。",
    "m.coupons.skipped": "跳过的顾客",
    "m.coupons.skip.limit_reached": "已达每人限额",
    "m.coupons.skip.definition_expired": "定义已失效",
    "m.coupons.customer": "顾客",
    "m.coupons.why": "原因",
    "m.coupons.need_users": "请至少输入一个顾客编号。",
    "m.coupons.need_id": "请输入定义编号。",
  },
  en: {
    "m.coupons.title": "Coupons",
    "m.coupons.open": "Open a coupon definition",
    "m.coupons.open_hint": "Type a definition's id. If there is none with that id, create it below.",
    "m.coupons.id": "Definition id",
    "m.coupons.open_button": "Open",
    "m.coupons.new": "New definition",
    "m.coupons.recent": "Definitions opened in this browser",
    "m.coupons.not_found": "No definition {id} (or it is another merchant's): create it below.",
    "m.coupons.form_new": "A new coupon definition",
    "m.coupons.form_edit": "Change definition {id} (version {version})",
    "m.coupons.name": "Name",
    "m.coupons.kind": "Kind",
    "m.coupons.kind.amount_off": "Amount off",
    "m.coupons.kind.percent_off": "Percent off",
    "m.coupons.value_amount": "Amount off (yuan)",
    "m.coupons.value_percent": "Percent off (1 to 100)",
    "m.coupons.max_discount": "Most it takes off (yuan)",
    "m.coupons.min_spend": "Minimum spend (yuan)",
    "m.coupons.balance_pay_only": "Only when balance pays the order in full",
    "m.coupons.valid_from": "Valid from",
    "m.coupons.valid_to": "Valid until",
    "m.coupons.per_customer": "Most coupons one customer may hold",
    "m.coupons.budget_count": "Budget: uses in all",
    "m.coupons.budget_amount": "Budget: amount off in all (yuan)",
    "m.coupons.budget_hint": "Leave empty for none. The budget is fixed when the definition is created.",
    "m.coupons.budget_fixed": "The budget was fixed when the definition was created.",
    "m.coupons.optional": "Leave empty for no cap.",
    "m.coupons.save": "Save the definition",
    "m.coupons.saved": "Definition {id} saved, version {version}.",
    "m.coupons.terms": "Terms now",
    "m.coupons.grant": "Grant coupons",
    "m.coupons.grant_hint": "Customer ids, one a line (or separated by commas), at most 500 at once. Each customer's limit applies.",
    "m.coupons.user_ids": "Customer ids",
    "m.coupons.grant_button": "Grant",
    "m.coupons.granted": "{granted} granted.",
    "m.coupons.skipped": "Customers skipped",
    "m.coupons.skip.limit_reached": "Limit per customer reached",
    "m.coupons.skip.definition_expired": "The definition has expired",
    "m.coupons.customer": "Customer",
    "m.coupons.why": "Why",
    "m.coupons.need_users": "Type at least one customer id.",
    "m.coupons.need_id": "Type the definition's id.",
  },
});

const recentKey = (merchantId) => `sb.merchant.${merchantId}.coupons`;

function recent(merchantId) {
  try {
    const ids = JSON.parse(localStorage.getItem(recentKey(merchantId)) || "[]");
    return Array.isArray(ids) ? ids.filter((x) => typeof x === "string").slice(0, 10) : [];
  } catch {
    return [];
  }
}

function remember(merchantId, id) {
  const ids = [id, ...recent(merchantId).filter((x) => x !== id)].slice(0, 10);
  localStorage.setItem(recentKey(merchantId), JSON.stringify(ids));
  return ids;
}

function blankForm() {
  const now = new Date();
  return {
    id: "",
    name: "",
    kind: "amount_off",
    value: "",
    max_discount: "",
    min_spend: "0.00",
    balance_pay_only: false,
    valid_from: instantToLocal(now),
    valid_to: instantToLocal(new Date(now.getTime() + 30 * 86400000)),
    per_customer_limit: "1",
    budget_count: "",
    budget_amount: "",
  };
}

function formOf(d) {
  return {
    id: d.definition_id,
    name: d.name,
    kind: d.kind,
    value: d.kind === "amount_off" ? fenToInput(d.value) : String(d.value),
    max_discount: d.max_discount == null ? "" : fenToInput(d.max_discount),
    min_spend: fenToInput(d.min_spend || 0),
    balance_pay_only: Boolean(d.balance_pay_only),
    valid_from: instantToLocal(d.valid_from),
    valid_to: instantToLocal(d.valid_to),
    per_customer_limit: String(d.per_customer_limit),
    budget_count: d.budget_count == null ? "" : String(d.budget_count),
    budget_amount: d.budget_amount == null ? "" : fenToInput(d.budget_amount),
  };
}

function documentOf(f, merchantId) {
  const local = {};
  const fen = (name, text, optional) => {
    if (optional && String(text).trim() === "") return null;
    const v = toFen(text);
    if (v === null) local[name] = t("merchant.bad_amount");
    return v;
  };
  const instant = (name, text) => {
    const v = localToInstant(text);
    if (v === null) local[name] = t("merchant.bad_time");
    return v;
  };
  const doc = {
    name: f.name.trim(),
    kind: f.kind,
    value: f.kind === "amount_off" ? fen("value", f.value, false) : intOrText(f.value),
    max_discount: fen("max_discount", f.max_discount, true),
    min_spend: fen("min_spend", f.min_spend || "0", false),
    merchant_id: merchantId,
    balance_pay_only: f.balance_pay_only,
    valid_from: instant("valid_from", f.valid_from),
    valid_to: instant("valid_to", f.valid_to),
    per_customer_limit: intOrText(f.per_customer_limit) ?? 1,
    budget_count: intOrText(f.budget_count),
    budget_amount: fen("budget_amount", f.budget_amount, true),
  };
  return { doc, local };
}

const described = (id, hint, error) =>
  [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

function Input({ id, label, hint, error, value, onInput, type = "text", inputmode, disabled }) {
  return html`<${Field} id=${id} label=${label} hint=${hint} error=${error}>
    <input id=${id} name=${id} type=${type} inputmode=${inputmode} value=${value} disabled=${disabled}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described(id, hint, error)}
      onInput=${(e) => onInput(e.target.value)} />
  </${Field}>`;
}

function Lookup({ merchantId, onOpen, onNew, ids }) {
  const [id, setId] = useState("");
  return html`<section class="card" aria-labelledby="coupon-open-h">
    <h2 id="coupon-open-h">${t("m.coupons.open")}</h2>
    <form id="coupon-open" class="inline-form" onSubmit=${(e) => {
      e.preventDefault();
      if (id.trim()) onOpen(id.trim());
    }}>
      <${Input} id="coupon-open-id" label=${t("m.coupons.id")} hint=${t("m.coupons.open_hint")} value=${id} onInput=${setId} />
      <div class="form-actions">
        <button type="submit" id="coupon-open-submit">${t("m.coupons.open_button")}</button>
        <button type="button" id="coupon-new" onClick=${onNew}>${t("m.coupons.new")}</button>
      </div>
    </form>
    ${ids.length
      ? html`<p class="hint">${t("m.coupons.recent")}:</p>
          <ul class="chips" data-merchant=${merchantId}>
            ${ids.map((x) => html`<li><button type="button" class="link" onClick=${() => onOpen(x)}>${x}</button></li>`)}
          </ul>`
      : null}
  </section>`;
}

function DefinitionForm({ merchantId, definition, initial, onSaved }) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setForm(initial), [initial]);
  const set = (name) => (v) => setForm({ ...form, [name]: v });
  const editing = Boolean(definition);

  const submit = async (e) => {
    e.preventDefault();
    const { doc, local } = documentOf(form, merchantId);
    const id = form.id.trim();
    if (!id) local.definition_id = t("m.coupons.need_id");
    if (Object.keys(local).length) {
      setErrors(local);
      setFailure(null);
      return;
    }
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      onSaved(await api.put(`/v1/coupon-definitions/${encodeURIComponent(id)}`, doc));
    } catch (err) {
      setFailure(err);
      setErrors(fieldErrors(err));
    } finally {
      setBusy(false);
    }
  };

  const amount = form.kind === "amount_off";
  return html`<section class="card" aria-labelledby="coupon-form-h">
    <h2 id="coupon-form-h">
      ${editing ? t("m.coupons.form_edit", { id: definition.definition_id, version: definition.version }) : t("m.coupons.form_new")}
    </h2>
    <form id="coupon-form" noValidate onSubmit=${submit}>
      <div class="grid two">
        <${Input} id="coupon-id" label=${t("m.coupons.id")} value=${form.id} onInput=${set("id")} disabled=${editing}
          error=${errors.definition_id} />
        <${Input} id="coupon-name" label=${t("m.coupons.name")} value=${form.name} onInput=${set("name")} error=${errorFor(errors, "name")} />
        <${Field} id="coupon-kind" label=${t("m.coupons.kind")} error=${errorFor(errors, "kind")}>
          <select id="coupon-kind" value=${form.kind} onChange=${(e) => set("kind")(e.target.value)}>
            ${["amount_off", "percent_off"].map((k) => html`<option value=${k} selected=${k === form.kind}>${t(`m.coupons.kind.${k}`)}</option>`)}
          </select>
        </${Field}>
        <${Input} id="coupon-value" label=${amount ? t("m.coupons.value_amount") : t("m.coupons.value_percent")}
          inputmode=${amount ? "decimal" : "numeric"} value=${form.value} onInput=${set("value")} error=${errorFor(errors, "value")} />
        <${Input} id="coupon-max-discount" label=${t("m.coupons.max_discount")} hint=${t("m.coupons.optional")} inputmode="decimal"
          value=${form.max_discount} onInput=${set("max_discount")} error=${errorFor(errors, "max_discount")} />
        <${Input} id="coupon-min-spend" label=${t("m.coupons.min_spend")} inputmode="decimal"
          value=${form.min_spend} onInput=${set("min_spend")} error=${errorFor(errors, "min_spend")} />
        <${Input} id="coupon-valid-from" label=${t("m.coupons.valid_from")} type="datetime-local"
          value=${form.valid_from} onInput=${set("valid_from")} error=${errorFor(errors, "valid_from")} />
        <${Input} id="coupon-valid-to" label=${t("m.coupons.valid_to")} type="datetime-local"
          value=${form.valid_to} onInput=${set("valid_to")} error=${errorFor(errors, "valid_to")} />
        <${Input} id="coupon-per-customer" label=${t("m.coupons.per_customer")} inputmode="numeric"
          value=${form.per_customer_limit} onInput=${set("per_customer_limit")} error=${errorFor(errors, "per_customer_limit")} />
        <${Input} id="coupon-budget-count" label=${t("m.coupons.budget_count")} inputmode="numeric" disabled=${editing}
          hint=${editing ? t("m.coupons.budget_fixed") : t("m.coupons.budget_hint")}
          value=${form.budget_count} onInput=${set("budget_count")} error=${errorFor(errors, "budget_count")} />
        <${Input} id="coupon-budget-amount" label=${t("m.coupons.budget_amount")} inputmode="decimal" disabled=${editing}
          hint=${editing ? t("m.coupons.budget_fixed") : t("m.coupons.budget_hint")}
          value=${form.budget_amount} onInput=${set("budget_amount")} error=${errorFor(errors, "budget_amount")} />
      </div>
      <label class="check">
        <input type="checkbox" id="coupon-balance-pay-only" checked=${form.balance_pay_only}
          onChange=${(e) => set("balance_pay_only")(e.target.checked)} />
        ${t("m.coupons.balance_pay_only")}
      </label>
      <${ErrorBox} error=${failure} />
      <div class="form-actions">
        <button type="submit" class="primary" id="coupon-save" disabled=${busy}>${busy ? t("merchant.working") : t("m.coupons.save")}</button>
      </div>
    </form>
  </section>`;
}

function Terms({ d }) {
  return html`<dl class="figures" id="coupon-terms" data-definition=${d.definition_id} data-version=${d.version}>
    <div><dt>${t("m.coupons.kind")}</dt><dd>${t(`m.coupons.kind.${d.kind}`)}</dd></div>
    <div><dt>${d.kind === "amount_off" ? t("m.coupons.value_amount") : t("m.coupons.value_percent")}</dt>
      <dd>${d.kind === "amount_off" ? html`<${Money} fen=${d.value} />` : `${d.value}%`}</dd></div>
    <div><dt>${t("m.coupons.min_spend")}</dt><dd><${Money} fen=${d.min_spend} /></dd></div>
    <div><dt>${t("m.coupons.valid_from")}</dt><dd>${dateTime(d.valid_from)}</dd></div>
    <div><dt>${t("m.coupons.valid_to")}</dt><dd>${dateTime(d.valid_to)}</dd></div>
    <div><dt>${t("m.coupons.per_customer")}</dt><dd>${count(d.per_customer_limit)}</dd></div>
  </dl>`;
}

function Grants({ definition }) {
  const key = useIntentKey();
  const [text, setText] = useState("");
  const [result, setResult] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const ids = text
    .split(/[\n,，\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

  const grant = async (e) => {
    e.preventDefault();
    setFailure(null);
    if (!ids.length) {
      setFailure({ code: "invalid_request", message: t("m.coupons.need_users") });
      return;
    }
    setBusy(true);
    try {
      const r = await api.post(`/v1/coupon-definitions/${encodeURIComponent(definition.definition_id)}/grants`, { user_ids: ids }, { key: key.get() });
      setResult(r);
      key.renew(); // done: the next grant is a new intent
    } catch (err) {
      setFailure(err); // the same key again on a retry: nobody is granted twice
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="card" aria-labelledby="coupon-grant-h">
    <h2 id="coupon-grant-h">${t("m.coupons.grant")}</h2>
    <form id="coupon-grant" noValidate onSubmit=${grant}>
      <${Field} id="coupon-grant-users" label=${t("m.coupons.user_ids")} hint=${t("m.coupons.grant_hint")}>
        <textarea id="coupon-grant-users" rows="4" value=${text} aria-describedby="coupon-grant-users-hint"
          onInput=${(e) => {
            setText(e.target.value);
            key.renew(); // other customers: another intent
          }}></textarea>
      </${Field}>
      <${ErrorBox} error=${failure} />
      <div class="form-actions">
        <button type="submit" class="primary" id="coupon-grant-submit" disabled=${busy}>${busy ? t("merchant.working") : t("m.coupons.grant_button")}</button>
      </div>
    </form>
    ${result
      ? html`<div id="coupon-grant-result" data-granted=${result.granted}>
          <${Banner} kind="ok">${t("m.coupons.granted", { granted: result.granted })}</${Banner}>
          ${result.skipped.length
            ? html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("m.coupons.skipped")}>
                <table id="coupon-grant-skipped">
                  <caption>${t("m.coupons.skipped")}</caption>
                  <thead><tr><th scope="col">${t("m.coupons.customer")}</th><th scope="col">${t("m.coupons.why")}</th></tr></thead>
                  <tbody>
                    ${result.skipped.map((s) => html`<tr data-user=${s.user_id}><td><code>${s.user_id}</code></td><td>${codeLabel("m.coupons.skip", s.code)}</td></tr>`)}
                  </tbody>
                </table>
              </div>`
            : null}
        </div>`
      : null}
  </section>`;
}

export default function Coupons({ params, roles, query }) {
  const merchantId = params.merchant_id;
  const [ids, setIds] = useState(() => recent(merchantId));
  const [definition, setDefinition] = useState(null);
  const [initial, setInitial] = useState(blankForm);
  const [lookup, setLookup] = useState({ error: null, missing: null });
  const [saved, setSaved] = useState(null);
  const [forbidden, setForbidden] = useState(null);

  const open = async (id) => {
    setSaved(null);
    setLookup({ error: null, missing: null });
    try {
      const d = await api.get(`/v1/coupon-definitions/${encodeURIComponent(id)}`);
      setDefinition(d);
      setInitial(formOf(d));
      setIds(remember(merchantId, d.definition_id));
    } catch (e) {
      if (isForbidden(e)) setForbidden(e);
      else if (e.status === 404) {
        setDefinition(null);
        setInitial({ ...blankForm(), id });
        setLookup({ error: null, missing: id });
      } else setLookup({ error: e, missing: null });
    }
  };
  useEffect(() => {
    if (query?.definition_id) open(query.definition_id);
  }, []);

  const onSaved = (d) => {
    setDefinition(d);
    setInitial(formOf(d));
    setSaved(d);
    setLookup({ error: null, missing: null });
    setIds(remember(merchantId, d.definition_id));
  };

  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="coupons" title=${t("m.coupons.title")} forbidden=${forbidden}>
    <${Lookup} merchantId=${merchantId} ids=${ids} onOpen=${open} onNew=${() => {
      setDefinition(null);
      setSaved(null);
      setLookup({ error: null, missing: null });
      setInitial(blankForm());
    }} />
    ${lookup.missing ? html`<${Banner} kind="warning">${t("m.coupons.not_found", { id: lookup.missing })}</${Banner}>` : null}
    <${ErrorBox} error=${lookup.error} />
    ${saved ? html`<${Banner} kind="ok"><span id="coupon-saved" data-version=${saved.version}>${t("m.coupons.saved", { id: saved.definition_id, version: saved.version })}</span></${Banner}>` : null}
    ${definition ? html`<section class="card" aria-labelledby="coupon-terms-h"><h2 id="coupon-terms-h">${t("m.coupons.terms")}</h2><${Terms} d=${definition} /></section>` : null}
    <${DefinitionForm} merchantId=${merchantId} definition=${definition} initial=${initial} onSaved=${onSaved} />
    ${definition ? html`<${Grants} key=${definition.definition_id} definition=${definition} />` : null}
  </${MerchantPage}>`;
}
