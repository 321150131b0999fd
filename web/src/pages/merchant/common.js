// What every page of the merchant's console shares: the frame with the console's own section links, who may open
// a merchant's console (its staff, operators), refusals shown by form field, and idempotency keys per intent.
import { html, useRef } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { Page } from "../../lib/ui.js";

addStrings({
  "zh-CN": {
    "merchant.sections": "商家后台栏目",
    "merchant.shop": "商户：{id}",
    "merchant.forbidden": "您不是商户 {id} 的员工，无法查看其后台。",
    "merchant.forbidden_api": "服务器拒绝了访问（{code}）。",
    "merchant.home": "返回首页",
    "merchant.bad_amount": "请输入金额（元），最多两位小数，例如 12.34",
    "merchant.bad_time": "请选择日期和时间",
    "merchant.working": "处理中…",
    "merchant.section.overview": "概览",
    "merchant.section.rules": "余额规则",
    "merchant.section.coupons": "优惠券",
    "merchant.section.promotions": "促销活动",
    "merchant.section.payments": "支付",
    "merchant.section.insight": "经营洞察",
    "m.reason.paid_by_balance": "余额全额支付",
    "m.reason.insufficient_balance": "余额不足",
    "m.reason.min_order_not_met": "未达最低订单金额",
    "m.reason.excluded_items": "含不可用余额的商品",
    "m.reason.partial_payment_not_allowed": "不允许部分支付",
    "m.reason.partial_share_capped": "部分支付比例受限",
    "m.reason.daily_limit": "超出每日限额",
    "m.reason.daily_limit_exceeded": "超出每日限额",
    "m.reason.insufficient_points": "积分不足",
    "m.reason.points_capped": "积分抵扣受限",
    "m.reason.coupon_not_applicable": "优惠券不适用",
    "m.reason.coupon_already_used": "优惠券已使用",
    "m.reason.abandoned_after_quote": "报价后放弃",
    "m.reason.open_after_quote": "报价后仍未支付",
    "m.reason.never_quoted": "从未报价",
  },
  en: {
    "merchant.sections": "Console sections",
    "merchant.shop": "Merchant: {id}",
    "merchant.forbidden": "You are not staff of merchant {id}: its console is not yours to open.",
    "merchant.forbidden_api": "The server refused access ({code}).",
    "merchant.home": "Back to start",
    "merchant.bad_amount": "Enter an amount in yuan with at most two decimals, e.g. 12.34",
    "merchant.bad_time": "Choose a date and a time",
    "merchant.working": "Working…",
    "merchant.section.overview": "Overview",
    "merchant.section.rules": "Balance rules",
    "merchant.section.coupons": "Coupons",
    "merchant.section.promotions": "Promotions",
    "merchant.section.payments": "Payments",
    "merchant.section.insight": "Insight",
    "m.reason.paid_by_balance": "Paid in full by balance",
    "m.reason.insufficient_balance": "Balance too low",
    "m.reason.min_order_not_met": "Below the minimum order",
    "m.reason.excluded_items": "Items balance may not pay for",
    "m.reason.partial_payment_not_allowed": "Partial payment not allowed",
    "m.reason.partial_share_capped": "Partial payment's share capped",
    "m.reason.daily_limit": "Over the daily limit",
    "m.reason.daily_limit_exceeded": "Over the daily limit",
    "m.reason.insufficient_points": "Not enough points",
    "m.reason.points_capped": "Points capped",
    "m.reason.coupon_not_applicable": "Coupon does not apply",
    "m.reason.coupon_already_used": "Coupon already used",
    "m.reason.abandoned_after_quote": "Abandoned after the quote",
    "m.reason.open_after_quote": "Still open after the quote",
    "m.reason.never_quoted": "Never quoted",
  },
});

export const SECTIONS = ["overview", "rules", "coupons", "promotions", "payments", "insight"];

export function sectionHref(merchantId, section) {
  const base = `/app/merchant/${encodeURIComponent(merchantId)}`;
  return section === "overview" ? base : `${base}/${section}`;
}

// staff of the merchant (group merchant:<id>) and operators; the API checks the same and answers 403 otherwise
export function mayOpen(roles, merchantId) {
  return Boolean(roles && (roles.admin || (roles.merchants || []).includes(merchantId)));
}

function Forbidden({ merchantId, error }) {
  return html`<section class="page-body" data-view="forbidden">
    <h1>${t("merchant.forbidden", { id: merchantId })}</h1>
    ${error ? html`<p class="code">${t("merchant.forbidden_api", { code: error.code })}</p>` : null}
    <p><a href="/app/">${t("merchant.home")}</a></p>
  </section>`;
}

export function isForbidden(error) {
  return Boolean(error && error.status === 403);
}

// The console's frame: the page's title, the merchant it is for and the links to the other sections. A user who
// may not open this merchant's console sees the forbidden view, and so does anyone the API answered 403.
export function MerchantPage({ merchantId, roles, section, title, forbidden, actions, children }) {
  if (!mayOpen(roles, merchantId) || forbidden) return html`<${Forbidden} merchantId=${merchantId} error=${forbidden} />`;
  return html`<${Page} title=${title} actions=${actions}><div class="mc">
    <p class="merchant-id" id="merchant-id" data-merchant=${merchantId}>${t("merchant.shop", { id: merchantId })}</p>
    <nav class="merchant-sections" aria-label=${t("merchant.sections")}>
      <ul>
        ${SECTIONS.map(
          (s) => html`<li>
            <a href=${sectionHref(merchantId, s)} aria-current=${s === section ? "page" : undefined}>${t(`merchant.section.${s}`)}</a>
          </li>`,
        )}
      </ul>
    </nav>
    ${children}
  </div></${Page}>`;
}

// One Idempotency-Key per intent: kept across retries of the same action, renewed once it succeeded.
export function useIntentKey() {
  const key = useRef(api.newKey());
  return {
    get: () => key.current,
    renew: () => {
      key.current = api.newKey();
    },
  };
}

// The API's refusal by field: {"field.path": message}. A model's refusal lists its errors (each with its field);
// a use case's names one field. `strip` drops a prefix (a backtest's "balance_rules.").
export function fieldErrors(error, strip = "") {
  const out = {};
  // the envelope's own "details" (api.js keeps the envelope's other members: {details: {...}}); or a local refusal's
  const details = error?.details?.details || error?.details;
  if (!details) return out;
  const take = (field, message) => {
    if (!field) return;
    const name = strip && field.startsWith(strip) ? field.slice(strip.length) : field;
    if (!(name in out)) out[name] = message;
  };
  for (const e of details.errors || []) take(e.field, e.message);
  if (details.field) take(details.field, error.message);
  return out;
}

// the message for one form field: an error named by the field itself or by a field inside it (windows.0.from)
export function errorFor(errors, ...names) {
  for (const name of names) {
    if (errors[name]) return errors[name];
    const inner = Object.keys(errors).find((k) => k.startsWith(`${name}.`));
    if (inner) return errors[inner];
  }
  return null;
}

// a label for an API code (a refusal, a status), or the code itself when it has no label
export function codeLabel(prefix, code) {
  if (code === null || code === undefined || code === "") return "—";
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? String(code) : text;
}

// <input type="datetime-local"> (the browser's time zone) -> "2027-01-01T08:00:00Z"; null when empty or invalid
export function localToInstant(value) {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// an instant -> the value of an <input type="datetime-local"> in the browser's time zone
export function instantToLocal(iso) {
  if (!iso) return "";
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// "12" -> 12 for the API; anything else is sent as typed, so the API's own refusal names the field
export function intOrText(text) {
  const s = String(text ?? "").trim();
  if (s === "") return null;
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

export function basisPoints(bp) {
  return bp === null || bp === undefined ? "—" : `${(Number(bp) / 100).toFixed(2)}%`;
}
