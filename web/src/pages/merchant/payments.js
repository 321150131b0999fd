// The merchant's payments. The API has no listing of a merchant's payments: a payment is found by its id, or by its
// checkout's id (GET /v1/checkouts/{id} names its payment). Then, as its status allows: capture (all or part of an
// authorization), void, refund (amounts typed in yuan, sent in fen; one Idempotency-Key per intent).
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, dateTime, fenToInput, toFen, yuan } from "../../lib/format.js";
import { Banner, DataTable, ErrorBox, Field, Loading, Money, useLoad } from "../../lib/ui.js";
import { MerchantPage, codeLabel, errorFor, fieldErrors, isForbidden, mayOpen, sectionHref, useIntentKey } from "./common.js";

addStrings({
  "zh-CN": {
    "m.pay.title": "支付",
    "m.pay.find": "查找支付",
    "m.pay.find_hint": "系统不提供本商户支付的列表：请输入支付单号（pay_…）或结账单号（co_…）。",
    "m.pay.by": "查找方式",
    "m.pay.by.payment_id": "支付单号",
    "m.pay.by.checkout_id": "结账单号",
    "m.pay.id": "单号",
    "m.pay.find_button": "查找",
    "m.pay.not_found": "找不到该单号（或它不属于本商户）。",
    "m.pay.no_payment": "结账 {id} 还没有支付（状态：{status}）。",
    "m.pay.other_merchant": "这笔支付属于商户 {id}。",
    "m.pay.payment": "支付 {id}",
    "m.pay.status": "状态",
    "m.pay.status.authorized": "已授权（待扣款）",
    "m.pay.status.succeeded": "已支付",
    "m.pay.status.partially_refunded": "部分退款",
    "m.pay.status.refunded": "已全额退款",
    "m.pay.status.voided": "已撤销",
    "m.pay.status.expired": "授权已过期",
    "m.pay.amount": "订单金额",
    "m.pay.order": "订单号",
    "m.pay.customer": "顾客",
    "m.pay.cash": "现金余额支付",
    "m.pay.bonus": "赠送金支付",
    "m.pay.external": "其他方式支付",
    "m.pay.discounts": "折扣合计",
    "m.pay.points": "积分（抵扣 / 获得）",
    "m.pay.refunded": "已退款",
    "m.pay.refundable": "可退款",
    "m.pay.created": "支付时间",
    "m.pay.expires": "授权到期",
    "m.pay.items": "商品",
    "m.pay.sku": "SKU",
    "m.pay.category": "类目",
    "m.pay.unit_price": "单价",
    "m.pay.quantity": "数量",
    "m.pay.refunds": "退款记录",
    "m.pay.refund_id": "退款单号",
    "m.pay.reason": "原因",
    "m.pay.when": "时间",
    "m.pay.capture": "扣款",
    "m.pay.capture_hint": "留空则扣款全部授权金额；其余部分释放给顾客。",
    "m.pay.capture_amount": "扣款金额（元）",
    "m.pay.capture_button": "确认扣款",
    "m.pay.captured": "已扣款 {captured}，释放 {released}。",
    "m.pay.void": "撤销授权",
    "m.pay.void_hint": "全额释放授权金额，顾客可以重新支付该结账。",
    "m.pay.void_button": "撤销授权",
    "m.pay.voided": "授权已撤销，释放 {released}。",
    "m.pay.refund": "退款",
    "m.pay.refund_hint": "退回到支付时使用的余额（现金、赠送金）。最多可退 {refundable}。",
    "m.pay.refund_amount": "退款金额（元）",
    "m.pay.refund_reason": "退款原因",
    "m.pay.refund_button": "确认退款",
    "m.pay.refund_done": "已退款 {amount}（{id}）。",
    "m.pay.need_reason": "请填写退款原因。",
  },
  en: {
    "m.pay.title": "Payments",
    "m.pay.find": "Find a payment",
    "m.pay.find_hint": "There is no listing of this merchant's payments: type a payment id (pay_…) or a checkout id (co_…).",
    "m.pay.by": "Find by",
    "m.pay.by.payment_id": "Payment id",
    "m.pay.by.checkout_id": "Checkout id",
    "m.pay.id": "Id",
    "m.pay.find_button": "Find",
    "m.pay.not_found": "Nothing with that id (or it is not this merchant's).",
    "m.pay.no_payment": "Checkout {id} has no payment yet (status: {status}).",
    "m.pay.other_merchant": "This payment is merchant {id}'s.",
    "m.pay.payment": "Payment {id}",
    "m.pay.status": "Status",
    "m.pay.status.authorized": "Authorized (to capture)",
    "m.pay.status.succeeded": "Paid",
    "m.pay.status.partially_refunded": "Partly refunded",
    "m.pay.status.refunded": "Refunded in full",
    "m.pay.status.voided": "Voided",
    "m.pay.status.expired": "Authorization expired",
    "m.pay.amount": "Order amount",
    "m.pay.order": "Order",
    "m.pay.customer": "Customer",
    "m.pay.cash": "Paid from cash",
    "m.pay.bonus": "Paid from bonus",
    "m.pay.external": "Paid another way",
    "m.pay.discounts": "Discounts",
    "m.pay.points": "Points (spent / earned)",
    "m.pay.refunded": "Refunded",
    "m.pay.refundable": "Refundable",
    "m.pay.created": "Paid at",
    "m.pay.expires": "Authorization ends",
    "m.pay.items": "Items",
    "m.pay.sku": "SKU",
    "m.pay.category": "Category",
    "m.pay.unit_price": "Unit price",
    "m.pay.quantity": "Quantity",
    "m.pay.refunds": "Refunds",
    "m.pay.refund_id": "Refund",
    "m.pay.reason": "Reason",
    "m.pay.when": "When",
    "m.pay.capture": "Capture",
    "m.pay.capture_hint": "Leave empty to capture the whole authorization; the rest goes back to the customer.",
    "m.pay.capture_amount": "Amount to capture (yuan)",
    "m.pay.capture_button": "Capture",
    "m.pay.captured": "Captured {captured}, released {released}.",
    "m.pay.void": "Void the authorization",
    "m.pay.void_hint": "Releases the whole authorization; the customer may pay the checkout again.",
    "m.pay.void_button": "Void",
    "m.pay.voided": "Voided: {released} released.",
    "m.pay.refund": "Refund",
    "m.pay.refund_hint": "Back to the balance it came from (cash, bonus). At most {refundable}.",
    "m.pay.refund_amount": "Amount to refund (yuan)",
    "m.pay.refund_reason": "Reason",
    "m.pay.refund_button": "Refund",
    "m.pay.refund_done": "Refunded {amount} ({id}).",
    "m.pay.need_reason": "Give a reason for the refund.",
  },
});

const described = (id, hint, error) =>
  [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

function Input({ id, label, hint, error, value, onInput, inputmode }) {
  return html`<${Field} id=${id} label=${label} hint=${hint} error=${error}>
    <input id=${id} name=${id} inputmode=${inputmode} value=${value}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described(id, hint, error)}
      onInput=${(e) => onInput(e.target.value)} />
  </${Field}>`;
}

function Finder({ merchantId, query, navigate }) {
  const [by, setBy] = useState(query.checkout_id ? "checkout_id" : "payment_id");
  const [id, setId] = useState(query.payment_id || query.checkout_id || "");
  return html`<section class="card" aria-labelledby="pay-find-h">
    <h2 id="pay-find-h">${t("m.pay.find")}</h2>
    <p class="hint">${t("m.pay.find_hint")}</p>
    <form id="pay-find" class="inline-form" onSubmit=${(e) => {
      e.preventDefault();
      if (id.trim()) navigate(`${sectionHref(merchantId, "payments")}?${new URLSearchParams({ [by]: id.trim() })}`);
    }}>
      <${Field} id="pay-find-by" label=${t("m.pay.by")}>
        <select id="pay-find-by" value=${by} onChange=${(e) => setBy(e.target.value)}>
          ${["payment_id", "checkout_id"].map((b) => html`<option value=${b} selected=${b === by}>${t(`m.pay.by.${b}`)}</option>`)}
        </select>
      </${Field}>
      <${Input} id="pay-find-id" label=${t("m.pay.id")} value=${id} onInput=${setId} />
      <div class="form-actions"><button type="submit" class="primary" id="pay-find-submit">${t("m.pay.find_button")}</button></div>
    </form>
  </section>`;
}

// what the query names -> {payment} or {checkout} (a checkout not paid yet)
async function find(query) {
  if (query.payment_id) return { payment: await api.get(`/v1/payments/${encodeURIComponent(query.payment_id)}`) };
  if (query.checkout_id) {
    const checkout = await api.get(`/v1/checkouts/${encodeURIComponent(query.checkout_id)}`);
    if (!checkout.payment_id) return { checkout };
    return { payment: await api.get(`/v1/payments/${encodeURIComponent(checkout.payment_id)}`) };
  }
  return null;
}

function Summary({ p }) {
  return html`<dl class="figures" id="payment-summary" data-payment=${p.payment_id} data-status=${p.status}>
    <div><dt>${t("m.pay.status")}</dt><dd id="payment-status">${codeLabel("m.pay.status", p.status)}</dd></div>
    <div><dt>${t("m.pay.amount")}</dt><dd id="payment-amount"><${Money} fen=${p.amount} /></dd></div>
    <div><dt>${t("m.pay.cash")}</dt><dd><${Money} fen=${p.funded_by.cash} /></dd></div>
    <div><dt>${t("m.pay.bonus")}</dt><dd><${Money} fen=${p.funded_by.bonus} /></dd></div>
    <div><dt>${t("m.pay.external")}</dt><dd><${Money} fen=${p.external} /></dd></div>
    <div><dt>${t("m.pay.discounts")}</dt><dd><${Money} fen=${p.discount_total} /></dd></div>
    <div><dt>${t("m.pay.points")}</dt><dd>${count(p.points_spent)} / ${count(p.points_earned)}</dd></div>
    <div><dt>${t("m.pay.refunded")}</dt><dd id="payment-refunded"><${Money} fen=${p.refunded} /></dd></div>
    <div><dt>${t("m.pay.refundable")}</dt><dd id="payment-refundable"><${Money} fen=${p.refundable} /></dd></div>
    <div><dt>${t("m.pay.order")}</dt><dd><code>${p.order_id}</code></dd></div>
    <div><dt>${t("m.pay.customer")}</dt><dd><code>${p.user_id}</code></dd></div>
    <div><dt>${t("m.pay.created")}</dt><dd>${dateTime(p.created_at)}</dd></div>
    ${p.expires_at && p.status === "authorized" ? html`<div><dt>${t("m.pay.expires")}</dt><dd>${dateTime(p.expires_at)}</dd></div>` : null}
  </dl>`;
}

// one action's form: its own key (kept across retries, renewed once done or when the input changes)
function useAction(run, onDone) {
  const key = useIntentKey();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const go = async (...args) => {
    setBusy(true);
    setFailure(null);
    try {
      const r = await run(key.get(), ...args);
      key.renew();
      onDone(r);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, failure, setFailure, go, renew: key.renew };
}

function Capture({ p, onDone }) {
  const [amount, setAmount] = useState("");
  const a = useAction(
    (key, fen) => api.post(`/v1/payments/${encodeURIComponent(p.payment_id)}/capture`, fen === null ? {} : { amount: fen }, { key }),
    (r) => onDone(t("m.pay.captured", { captured: yuan(r.captured), released: yuan(r.released) })),
  );
  const submit = (e) => {
    e.preventDefault();
    if (amount.trim() === "") return a.go(null);
    const fen = toFen(amount);
    if (fen === null) return a.setFailure({ code: "invalid_amount", message: t("merchant.bad_amount"), details: { field: "amount" } });
    return a.go(fen);
  };
  const err = errorFor(fieldErrors(a.failure), "amount");
  return html`<form class="card action" id="pay-capture" noValidate onSubmit=${submit} aria-labelledby="pay-capture-h">
    <h3 id="pay-capture-h">${t("m.pay.capture")}</h3>
    <${Input} id="pay-capture-amount" label=${t("m.pay.capture_amount")} hint=${t("m.pay.capture_hint")} inputmode="decimal"
      value=${amount} error=${err} onInput=${(v) => {
        setAmount(v);
        a.renew();
      }} />
    <${ErrorBox} error=${a.failure} />
    <button type="submit" class="primary" id="pay-capture-submit" disabled=${a.busy}>${a.busy ? t("merchant.working") : t("m.pay.capture_button")}</button>
  </form>`;
}

function Void({ p, onDone }) {
  const a = useAction(
    (key) => api.post(`/v1/payments/${encodeURIComponent(p.payment_id)}/void`, {}, { key }),
    (r) => onDone(t("m.pay.voided", { released: yuan(r.released) })),
  );
  return html`<form class="card action" id="pay-void" onSubmit=${(e) => {
    e.preventDefault();
    a.go();
  }} aria-labelledby="pay-void-h">
    <h3 id="pay-void-h">${t("m.pay.void")}</h3>
    <p class="hint">${t("m.pay.void_hint")}</p>
    <${ErrorBox} error=${a.failure} />
    <button type="submit" id="pay-void-submit" disabled=${a.busy}>${a.busy ? t("merchant.working") : t("m.pay.void_button")}</button>
  </form>`;
}

function Refund({ p, onDone }) {
  const [amount, setAmount] = useState(fenToInput(p.refundable));
  const [reason, setReason] = useState("");
  const a = useAction(
    (key, fen, why) => api.post(`/v1/payments/${encodeURIComponent(p.payment_id)}/refunds`, { amount: fen, reason: why }, { key }),
    (r) => onDone(t("m.pay.refund_done", { amount: yuan(r.amount), id: r.refund_id })),
  );
  const submit = (e) => {
    e.preventDefault();
    const fen = toFen(amount);
    if (fen === null) return a.setFailure({ code: "invalid_amount", message: t("merchant.bad_amount"), details: { field: "amount" } });
    if (!reason.trim()) return a.setFailure({ code: "invalid_request", message: t("m.pay.need_reason"), details: { field: "reason" } });
    return a.go(fen, reason.trim());
  };
  const errors = fieldErrors(a.failure);
  const changed = (set) => (v) => {
    set(v);
    a.renew(); // another amount or reason: another intent
  };
  return html`<form class="card action" id="pay-refund" noValidate onSubmit=${submit} aria-labelledby="pay-refund-h">
    <h3 id="pay-refund-h">${t("m.pay.refund")}</h3>
    <p class="hint">${t("m.pay.refund_hint", { refundable: yuan(p.refundable) })}</p>
    <${Input} id="pay-refund-amount" label=${t("m.pay.refund_amount")} inputmode="decimal" value=${amount}
      error=${errorFor(errors, "amount")} onInput=${changed(setAmount)} />
    <${Input} id="pay-refund-reason" label=${t("m.pay.refund_reason")} value=${reason}
      error=${errorFor(errors, "reason")} onInput=${changed(setReason)} />
    <${ErrorBox} error=${a.failure} />
    <button type="submit" class="primary" id="pay-refund-submit" disabled=${a.busy}>${a.busy ? t("merchant.working") : t("m.pay.refund_button")}</button>
  </form>`;
}

function money(fen) {
  return html`<${Money} fen=${fen} />`;
}

function PaymentView({ merchantId, initial }) {
  const [p, setP] = useState(initial);
  const [notice, setNotice] = useState(null);
  const [failure, setFailure] = useState(null);
  const done = async (message) => {
    setNotice(message);
    try {
      setP(await api.get(`/v1/payments/${encodeURIComponent(p.payment_id)}`));
    } catch (e) {
      setFailure(e);
    }
  };
  const refundable = ["succeeded", "partially_refunded"].includes(p.status) && p.refundable > 0;
  return html`<section class="card" id="payment" aria-labelledby="payment-h">
    <h2 id="payment-h">${t("m.pay.payment", { id: p.payment_id })}</h2>
    ${p.merchant_id !== merchantId ? html`<${Banner} kind="warning">${t("m.pay.other_merchant", { id: p.merchant_id })}</${Banner}>` : null}
    ${notice ? html`<${Banner} kind="ok"><span id="payment-notice">${notice}</span></${Banner}>` : null}
    <${ErrorBox} error=${failure} />
    <${Summary} p=${p} />
    <h3>${t("m.pay.items")}</h3>
    <${DataTable}
      id="payment-items"
      caption=${t("m.pay.items")}
      columns=${[
        { key: "sku", label: t("m.pay.sku") },
        { key: "category", label: t("m.pay.category") },
        { key: "unit_price", label: t("m.pay.unit_price"), numeric: true, format: money },
        { key: "quantity", label: t("m.pay.quantity"), numeric: true },
      ]}
      rows=${p.items}
    />
    ${p.refunds.length
      ? html`<h3>${t("m.pay.refunds")}</h3>
          <${DataTable}
            id="payment-refunds"
            caption=${t("m.pay.refunds")}
            columns=${[
              { key: "refund_id", label: t("m.pay.refund_id"), format: (v) => html`<code>${v}</code>` },
              { key: "amount", label: t("m.pay.amount"), numeric: true, format: money },
              { key: "reason", label: t("m.pay.reason") },
              { key: "created_at", label: t("m.pay.when"), format: dateTime },
            ]}
            rows=${p.refunds}
          />`
      : null}
    <div class="grid two actions">
      ${p.status === "authorized"
        ? html`<${Capture} key=${`c-${p.payment_id}`} p=${p} onDone=${done} /><${Void} key=${`v-${p.payment_id}`} p=${p} onDone=${done} />`
        : null}
      ${refundable ? html`<${Refund} key=${`r-${p.payment_id}-${p.refunded}`} p=${p} onDone=${done} />` : null}
    </div>
  </section>`;
}

export default function Payments({ params, roles, query, navigate }) {
  const merchantId = params.merchant_id;
  const q = query || {};
  const wanted = Boolean(q.payment_id || q.checkout_id);
  const { data, error, loading } = useLoad(() => (wanted && mayOpen(roles, merchantId) ? find(q) : null), [q.payment_id, q.checkout_id]);
  const forbidden = isForbidden(error) ? error : null;
  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="payments" title=${t("m.pay.title")} forbidden=${forbidden}>
    <${Finder} merchantId=${merchantId} query=${q} navigate=${navigate} />
    ${wanted && loading ? html`<${Loading} />` : null}
    ${error && error.status === 404 ? html`<${Banner} kind="warning"><span id="payment-not-found">${t("m.pay.not_found")}</span></${Banner}>` : null}
    <${ErrorBox} error=${error} />
    ${data?.checkout ? html`<${Banner} kind="info">${t("m.pay.no_payment", { id: data.checkout.checkout_id, status: data.checkout.status })}</${Banner}>` : null}
    ${data?.payment ? html`<${PaymentView} key=${data.payment.payment_id} merchantId=${merchantId} initial=${data.payment} />` : null}
  </${MerchantPage}>`;
}
