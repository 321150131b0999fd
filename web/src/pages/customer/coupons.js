// The customer's coupons, newest first, by state: what each takes off, where and from what spend, until when.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { day, yuan } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Page, useLoad } from "../../lib/ui.js";

addStrings({
  "zh-CN": {
    "coupons.title": "优惠券",
    "coupons.state": "状态",
    "coupons.all": "全部",
    "coupons.state.available": "可用",
    "coupons.state.held": "支付中",
    "coupons.state.used": "已使用",
    "coupons.state.expired": "已过期",
    "coupons.amount_off": "减 {amount}",
    "coupons.percent_off": "{percent}% 折扣",
    "coupons.max": "最多减 {amount}",
    "coupons.min_spend": "满 {amount} 可用",
    "coupons.no_min": "无门槛",
    "coupons.merchant": "仅限商户 {merchant}",
    "coupons.any_merchant": "所有商户可用",
    "coupons.balance_only": "仅限余额支付",
    "coupons.valid": "{from} 至 {to} 有效",
    "coupons.empty": "没有优惠券。",
    "coupons.rewards": "用积分兑换更多优惠券",
  },
  en: {
    "coupons.title": "Coupons",
    "coupons.state": "State",
    "coupons.all": "All",
    "coupons.state.available": "Available",
    "coupons.state.held": "In a payment",
    "coupons.state.used": "Used",
    "coupons.state.expired": "Expired",
    "coupons.amount_off": "{amount} off",
    "coupons.percent_off": "{percent}% off",
    "coupons.max": "at most {amount} off",
    "coupons.min_spend": "on spending {amount} or more",
    "coupons.no_min": "no minimum spend",
    "coupons.merchant": "at {merchant} only",
    "coupons.any_merchant": "at every merchant",
    "coupons.balance_only": "when paying with balance only",
    "coupons.valid": "valid {from} to {to}",
    "coupons.empty": "No coupons.",
    "coupons.rewards": "Get more coupons with points",
  },
});

const STATES = ["available", "held", "used", "expired"];

export function couponValue(c) {
  return c.kind === "percent_off" ? t("coupons.percent_off", { percent: c.value }) : t("coupons.amount_off", { amount: yuan(c.value) });
}

export default function Coupons() {
  const [state, setState] = useState("");
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/coupons", { state: state || undefined }), [state]);
  return html`<${Page} title=${t("coupons.title")}>
    <div class="cu-toolbar">
      <${Field} id="coupons-state" label=${t("coupons.state")}>
        <select id="coupons-state" value=${state} onChange=${(e) => setState(e.target.value)}>
          <option value="" selected=${state === ""}>${t("coupons.all")}</option>
          ${STATES.map((s) => html`<option value=${s} selected=${state === s}>${t(`coupons.state.${s}`)}</option>`)}
        </select>
      </${Field}>
    </div>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data && !data.coupons.length ? html`<p class="empty" id="coupons-empty">${t("coupons.empty")}</p>` : null}
    ${data
      ? html`<ul class="cu-cards" id="coupons-list">
          ${data.coupons.map(
            (c) => html`<li class=${`card cu-card cu-coupon ${c.state}`} data-coupon=${c.coupon_id} data-state=${c.state}>
              <h2 class="cu-coupon-value">${couponValue(c)}</h2>
              <p class="cu-coupon-name">${c.name}</p>
              <p class="cu-badge">${t(`coupons.state.${c.state}`)}</p>
              <ul class="cu-plain cu-terms">
                ${c.kind === "percent_off" && c.max_discount ? html`<li>${t("coupons.max", { amount: yuan(c.max_discount) })}</li>` : null}
                <li>${c.min_spend ? t("coupons.min_spend", { amount: yuan(c.min_spend) }) : t("coupons.no_min")}</li>
                <li>${c.merchant_id ? t("coupons.merchant", { merchant: c.merchant_id }) : t("coupons.any_merchant")}</li>
                ${c.balance_pay_only ? html`<li>${t("coupons.balance_only")}</li>` : null}
                <li>${t("coupons.valid", { from: day(c.valid_from), to: day(c.valid_to) })}</li>
              </ul>
            </li>`,
          )}
        </ul>`
      : null}
    <p><a href="/app/rewards">${t("coupons.rewards")}</a></p>
  </${Page}>`;
}
