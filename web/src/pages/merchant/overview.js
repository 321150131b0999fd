// The console's landing page: a card per section with its headline numbers (the rules in force, the last 30 days'
// balance share and obstacles, the promotions live or coming).
import { html } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, dateTime } from "../../lib/format.js";
import { ErrorBox, Loading, Money, useLoad } from "../../lib/ui.js";
import { MerchantPage, basisPoints, isForbidden, mayOpen, sectionHref } from "./common.js";

addStrings({
  "zh-CN": {
    "m.overview.title": "商家后台",
    "m.overview.rules": "余额规则",
    "m.overview.rules_version": "当前版本",
    "m.overview.rules_none": "尚未设置（使用默认规则）",
    "m.overview.min_order": "最低订单金额",
    "m.overview.discount": "余额支付折扣",
    "m.overview.updated": "更新于",
    "m.overview.share": "近 30 天余额支付占比",
    "m.overview.sales": "销售额",
    "m.overview.net": "余额净支付",
    "m.overview.payments": "支付笔数",
    "m.overview.obstacles": "近 30 天未全额用余额支付的结账",
    "m.overview.not_full": "未全额支付",
    "m.overview.checkouts": "结账总数",
    "m.overview.promotions": "促销活动",
    "m.overview.live": "进行中或待开始",
    "m.overview.open": "打开",
    "m.overview.coupons": "优惠券",
    "m.overview.coupons_hint": "创建或修改优惠券，并发放给顾客。",
    "m.overview.payments_section": "支付",
    "m.overview.payments_hint": "按支付单号查找支付，进行扣款、撤销或退款。",
    "m.overview.insight": "经营洞察",
    "m.overview.insight_hint": "余额支付占比趋势与未用余额支付的原因。",
  },
  en: {
    "m.overview.title": "Merchant console",
    "m.overview.rules": "Balance rules",
    "m.overview.rules_version": "Version in force",
    "m.overview.rules_none": "None set yet (the defaults apply)",
    "m.overview.min_order": "Minimum order",
    "m.overview.discount": "Discount for paying by balance",
    "m.overview.updated": "Updated",
    "m.overview.share": "Balance share, last 30 days",
    "m.overview.sales": "Sales",
    "m.overview.net": "Paid by balance, net",
    "m.overview.payments": "Payments",
    "m.overview.obstacles": "Checkouts of the last 30 days balance did not pay in full",
    "m.overview.not_full": "Not paid in full",
    "m.overview.checkouts": "All checkouts",
    "m.overview.promotions": "Promotions",
    "m.overview.live": "Live or coming",
    "m.overview.open": "Open",
    "m.overview.coupons": "Coupons",
    "m.overview.coupons_hint": "Create or change coupons and grant them to customers.",
    "m.overview.payments_section": "Payments",
    "m.overview.payments_hint": "Find a payment by its id; capture, void or refund it.",
    "m.overview.insight": "Insight",
    "m.overview.insight_hint": "The balance share over time and what kept checkouts from balance.",
  },
});

function Card({ title, href, children, id }) {
  return html`<section class="card merchant-card" id=${id} aria-labelledby=${`${id}-h`}>
    <h2 id=${`${id}-h`}>${title}</h2>
    ${children}
    <p><a href=${href}>${t("m.overview.open")}: ${title}</a></p>
  </section>`;
}

function Rules({ merchantId, rules }) {
  const { data, error, loading, reload } = rules;
  return html`<${Card} id="overview-rules" title=${t("m.overview.rules")} href=${sectionHref(merchantId, "rules")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`<dl class="figures">
          <div><dt>${t("m.overview.rules_version")}</dt><dd id="overview-rules-version">${data.version || t("m.overview.rules_none")}</dd></div>
          <div><dt>${t("m.overview.min_order")}</dt><dd><${Money} fen=${data.min_order_amount} /></dd></div>
          <div><dt>${t("m.overview.discount")}</dt><dd>${data.balance_pay_discount.percent}%</dd></div>
          ${data.updated_at ? html`<div><dt>${t("m.overview.updated")}</dt><dd>${dateTime(data.updated_at)}</dd></div>` : null}
        </dl>`
      : null}
  </${Card}>`;
}

function Share({ merchantId }) {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/balance-share", { merchant_id: merchantId }), [merchantId]);
  return html`<${Card} id="overview-share" title=${t("m.overview.share")} href=${sectionHref(merchantId, "insight")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`<dl class="figures">
          <div><dt>${t("m.overview.share")}</dt><dd id="overview-share-bp" data-bp=${data.total.share_bp ?? ""}>${basisPoints(data.total.share_bp)}</dd></div>
          <div><dt>${t("m.overview.sales")}</dt><dd><${Money} fen=${data.total.sales} /></dd></div>
          <div><dt>${t("m.overview.net")}</dt><dd><${Money} fen=${data.total.net.total} /></dd></div>
          <div><dt>${t("m.overview.payments")}</dt><dd>${count(data.total.payments)}</dd></div>
        </dl>`
      : null}
  </${Card}>`;
}

function Obstacles({ merchantId }) {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/reports/obstacles", { merchant_id: merchantId }), [merchantId]);
  const rows = data?.rows || [];
  const all = rows.reduce((n, r) => n + r.checkouts, 0);
  const notFull = rows.filter((r) => r.outcome !== "full").reduce((n, r) => n + r.checkouts, 0);
  return html`<${Card} id="overview-obstacles" title=${t("m.overview.obstacles")} href=${sectionHref(merchantId, "insight")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`<dl class="figures">
          <div><dt>${t("m.overview.not_full")}</dt><dd id="overview-not-full">${count(notFull)}</dd></div>
          <div><dt>${t("m.overview.checkouts")}</dt><dd>${count(all)}</dd></div>
        </dl>`
      : null}
  </${Card}>`;
}

function Promotions({ merchantId }) {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/admin/promotions", { merchant_id: merchantId }), [merchantId]);
  const live = (data?.promotions || []).filter((p) => ["pending", "scheduled", "active"].includes(p.status)).length;
  return html`<${Card} id="overview-promotions" title=${t("m.overview.promotions")} href=${sectionHref(merchantId, "promotions")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`<dl class="figures"><div><dt>${t("m.overview.live")}</dt><dd id="overview-promotions-live">${count(live)}</dd></div></dl>`
      : null}
  </${Card}>`;
}

export default function Overview({ params, roles }) {
  const merchantId = params.merchant_id;
  // the rules are read here: a 403 (someone the API refuses) shows the forbidden view for the whole console
  const rules = useLoad(
    () => (mayOpen(roles, merchantId) ? api.get(`/v1/merchants/${encodeURIComponent(merchantId)}/balance-rules`) : null),
    [merchantId],
  );
  const forbidden = isForbidden(rules.error) ? rules.error : null;
  return html`<${MerchantPage} merchantId=${merchantId} roles=${roles} section="overview" title=${t("m.overview.title")} forbidden=${forbidden}>
    <div class="grid two">
      <${Rules} merchantId=${merchantId} rules=${rules} />
      <${Share} merchantId=${merchantId} />
      <${Obstacles} merchantId=${merchantId} />
      <${Promotions} merchantId=${merchantId} />
      <${Card} id="overview-coupons" title=${t("m.overview.coupons")} href=${sectionHref(merchantId, "coupons")}>
        <p>${t("m.overview.coupons_hint")}</p>
      </${Card}>
      <${Card} id="overview-payments" title=${t("m.overview.payments_section")} href=${sectionHref(merchantId, "payments")}>
        <p>${t("m.overview.payments_hint")}</p>
      </${Card}>
      <${Card} id="overview-insight" title=${t("m.overview.insight")} href=${sectionHref(merchantId, "insight")}>
        <p>${t("m.overview.insight_hint")}</p>
      </${Card}>
    </div>
  </${MerchantPage}>`;
}
