// The hosted checkout's words: each limit a quote names (why balance does not pay more) and each refusal (why
// it cannot be paid now) as a sentence in the reader's language, with the quote's own amounts in it. A code this
// table does not know is shown as the API gave it (code and message), so nothing the API says is hidden.
import { addStrings, t } from "../../lib/i18n.js";
import { yuan } from "../../lib/format.js";

addStrings({
  "zh-CN": {
    "pay.limit.excluded_items": "订单中有 {excluded} 的商品，商家不允许用余额支付（按商品或类别排除）。",
    "pay.limit.min_order_not_met":
      "可用余额支付的商品共 {eligible}，低于商家使用余额支付的最低订单金额，因此余额和积分都不能支付。",
    "pay.limit.partial_payment_not_allowed": "商家现在不接受余额加其他方式的组合支付：余额必须付清整笔订单。",
    "pay.limit.partial_share_capped": "组合支付时，商家只允许余额支付订单的一部分：本单余额最多支付 {covered}。",
    "pay.limit.daily_limit": "商家限制每位顾客每天用余额支付的金额：今天余额最多还能支付本单的 {covered}。",
    "pay.limit.insufficient_balance": "您的余额 {total} 不足以支付整笔订单。",
    "pay.limit.points_capped": "积分最多抵扣订单的一部分，且只能用于可用余额支付的商品：本单最多使用 {points} 积分。",
    "pay.limit.insufficient_points": "您的可用积分（{available}）少于所选的数量。",
    "pay.refusal.min_order_not_met": "可用余额支付的商品低于商家的最低订单金额，余额不能支付本单。",
    "pay.refusal.excluded_items": "订单中有商品不能用余额支付，余额无法付清整笔订单。",
    "pay.refusal.daily_limit_exceeded": "今天在该商家用余额支付的额度不够支付本单。",
    "pay.refusal.insufficient_balance": "您的余额不足以支付本单。",
    "pay.refusal.insufficient_balance_details": "您的余额不足：需要 {needed}，可用 {available}。",
    "pay.refusal.daily_limit_details": "今天在该商家用余额支付的额度不够：每日上限 {daily_limit}，今天已付 {spent_today}。",
    "pay.refusal.partial_payment_not_allowed": "商家现在不接受组合支付，余额必须付清整笔订单。",
    "pay.refusal.insufficient_points": "您的可用积分少于所选的数量。",
    "pay.refusal.coupon_not_applicable": "这张优惠券不能用于本订单。",
    "pay.refusal.coupon_already_used": "这张优惠券已经使用，或正被另一笔付款占用。",
    "pay.refusal.coupon_not_found": "找不到这张优惠券。",
    "pay.refusal.coupon_budget_exhausted": "这张优惠券的活动名额已经用完。",
    "pay.refusal.checkout_cancelled": "商家已取消此订单的付款。",
    "pay.refusal.price_changed": "价格已变化：余额应付 {balance}（您确认的是 {expected}）。请核对新的金额后再付款。",
    "pay.refusal.checkout_expired": "此付款链接已过期，请回到商店重新下单。",
    "pay.refusal.order_already_paid": "此订单已经支付。",
    "pay.refusal.checkout_authorized": "此订单的余额已经冻结，等待商家扣款。",
    "pay.refusal.idempotency_key_reused": "这笔付款已用另一组选项提交过，请刷新页面查看结果。",
    "pay.refusal.concurrent_update": "您的账户正在处理另一笔操作，请稍后再试。",
    "pay.refusal.unavailable": "服务暂时繁忙，请稍后再试（不会重复扣款）。",
    "pay.refusal.partial_hint": "可以勾选“其余用其他方式支付”，让余额只支付能付的部分。",
  },
  en: {
    "pay.limit.excluded_items": "{excluded} of the order is for items the shop does not let you pay with balance (by item or category).",
    "pay.limit.min_order_not_met":
      "The items balance may pay for come to {eligible}, below the shop's minimum order for paying with balance, so neither balance nor points can pay.",
    "pay.limit.partial_payment_not_allowed":
      "The shop does not take a split payment (balance plus another way) at this time: balance must pay the whole order.",
    "pay.limit.partial_share_capped":
      "In a split payment the shop lets balance pay only a share of the order: at most {covered} of this one.",
    "pay.limit.daily_limit":
      "The shop caps what each customer may pay with balance per day: today balance can pay at most {covered} of this order.",
    "pay.limit.insufficient_balance": "Your balance ({total}) does not cover the whole order.",
    "pay.limit.points_capped":
      "Points pay at most a share of an order, and only for the items balance may pay for: at most {points} points on this one.",
    "pay.limit.insufficient_points": "You have fewer points available ({available}) than you chose.",
    "pay.refusal.min_order_not_met": "The items balance may pay for are below the shop's minimum order: balance cannot pay this order.",
    "pay.refusal.excluded_items": "Some items cannot be paid with balance, so balance cannot pay the whole order.",
    "pay.refusal.daily_limit_exceeded": "What is left of today's allowance for balance at this shop does not cover this order.",
    "pay.refusal.insufficient_balance": "Your balance does not cover this order.",
    "pay.refusal.insufficient_balance_details": "Your balance does not cover it: {needed} needed, {available} available.",
    "pay.refusal.daily_limit_details":
      "Today's allowance for balance at this shop does not cover it: {daily_limit} a day, {spent_today} spent today.",
    "pay.refusal.partial_payment_not_allowed": "The shop does not take a split payment now: balance must pay the whole order.",
    "pay.refusal.insufficient_points": "You have fewer points available than you chose.",
    "pay.refusal.coupon_not_applicable": "This coupon cannot be used on this order.",
    "pay.refusal.coupon_already_used": "This coupon is already used, or on hold for another payment.",
    "pay.refusal.coupon_not_found": "This coupon could not be found.",
    "pay.refusal.coupon_budget_exhausted": "This coupon's offer has run out.",
    "pay.refusal.checkout_cancelled": "The shop cancelled this checkout.",
    "pay.refusal.price_changed": "The price changed: balance pays {balance} now (you confirmed {expected}). Check the new amount, then pay.",
    "pay.refusal.checkout_expired": "This checkout has expired: go back to the shop to order again.",
    "pay.refusal.order_already_paid": "This order is already paid.",
    "pay.refusal.checkout_authorized": "Balance for this order is already on hold until the shop charges it.",
    "pay.refusal.idempotency_key_reused": "This payment was already sent with other choices: reload the page to see what happened.",
    "pay.refusal.concurrent_update": "Your account is busy with another operation: try again in a moment.",
    "pay.refusal.unavailable": "The service is busy: try again in a moment (you will not be charged twice).",
    "pay.refusal.partial_hint": "Tick “pay the rest another way” to let balance pay what it can.",
  },
});

const LIMITS = new Set([
  "excluded_items",
  "min_order_not_met",
  "partial_payment_not_allowed",
  "partial_share_capped",
  "daily_limit",
  "insufficient_balance",
  "points_capped",
  "insufficient_points",
]);

const REFUSALS = new Set([
  "min_order_not_met",
  "excluded_items",
  "daily_limit_exceeded",
  "insufficient_balance",
  "partial_payment_not_allowed",
  "insufficient_points",
  "coupon_not_applicable",
  "coupon_already_used",
  "coupon_not_found",
  "coupon_budget_exhausted",
  "checkout_cancelled",
  "checkout_expired",
  "order_already_paid",
  "checkout_authorized",
  "idempotency_key_reused",
  "concurrent_update",
  "unavailable",
]);

// the refusals that ticking "pay the rest another way" can lift
export const PARTIAL_LIFTS = new Set(["min_order_not_met", "excluded_items", "daily_limit_exceeded", "insufficient_balance"]);
// the refusals after which this checkout cannot be paid from this page at all
export const FINAL = new Set(["checkout_cancelled", "checkout_expired", "order_already_paid", "checkout_authorized"]);

export function couponDiscount(q) {
  return (q.discounts || []).filter((d) => d.source === "coupon").reduce((sum, d) => sum + d.amount, 0);
}

// the part of the order balance pays for, before the balance-pay, tier and promotion discounts come off it
export function coveredOf(q) {
  return Math.max(0, q.amount - q.external - q.points_value - couponDiscount(q));
}

// {code, text, raw}: raw when the code is unknown here (then text is the API's own message)
export function explainLimit(limit, q, ctx) {
  if (!LIMITS.has(limit.code)) return { code: limit.code, text: limit.message, raw: true };
  const vars = {
    excluded: yuan(q.amount - q.eligible_amount),
    eligible: yuan(q.eligible_amount),
    covered: yuan(coveredOf(q)),
    total: yuan(ctx.wallet?.balance?.total),
    points: q.points,
    available: ctx.points?.available ?? 0,
  };
  return { code: limit.code, text: t(`pay.limit.${limit.code}`, vars), raw: false };
}

// a quote's refusal or a payment's error ({code, message, details?})
export function explainRefusal(refusal) {
  const code = refusal.code;
  // a payment's ApiError keeps the envelope's details under details.details; a quote's refusal has none
  const d = refusal.details?.details || refusal.details || {};
  if (code === "insufficient_balance" && d.needed !== undefined && d.available !== undefined) {
    return { code, text: t("pay.refusal.insufficient_balance_details", { needed: yuan(d.needed), available: yuan(d.available) }) };
  }
  if (code === "daily_limit_exceeded" && d.daily_limit !== undefined && d.spent_today !== undefined) {
    return {
      code,
      text: t("pay.refusal.daily_limit_details", { daily_limit: yuan(d.daily_limit), spent_today: yuan(d.spent_today) }),
    };
  }
  if (code === "price_changed" && d.balance !== undefined && d.expected_balance !== undefined) {
    return { code, text: t("pay.refusal.price_changed", { balance: yuan(d.balance), expected: yuan(d.expected_balance) }) };
  }
  if (!REFUSALS.has(code)) return { code, text: refusal.message || code, raw: true };
  return { code, text: t(`pay.refusal.${code}`), raw: false };
}
