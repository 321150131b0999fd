// What the customer's pages share: the names of entry types and channels, one idempotency key per intent, and
// the API's refusals in the reader's language (the code stays visible beside the words).
import { html, useRef } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { yuan } from "../../lib/format.js";

addStrings({
  "zh-CN": {
    "entry.top_up": "充值",
    "entry.payment": "支付",
    "entry.refund": "退款",
    "entry.adjustment": "调整",
    "entry.authorization": "预授权",
    "entry.capture": "预授权扣款",
    "entry.release": "预授权释放",
    "entry.expiry": "赠送金过期",
    "channel.alipay": "支付宝",
    "channel.wechat": "微信支付",
    "channel.card": "银行卡",
    "refusal.insufficient_points": "积分不足：需要 {needed} 分，可用 {available} 分。",
    "refusal.redemption_limit_reached": "此奖励每人限兑 {limit} 次，您已兑满。",
    "refusal.out_of_stock": "此奖励已兑完。",
    "refusal.feedback_exists": "这笔交易已经评价过了。",
    "refusal.survey_answered": "您已回答过此问卷。",
    "refusal.balance_limit_exceeded": "充值后余额将达 {balance}，超过上限 {limit}。",
    "refusal.amount_exceeds_limit": "金额 {amount} 超过单笔上限 {limit}。",
    "refusal.invalid_topup_option": "此充值档位与金额不符，请重新选择。",
    "refusal.invalid_choice": "请从问卷的选项中选择。",
    "refusal.comment_not_allowed": "此问卷不接受留言。",
  },
  en: {
    "entry.top_up": "Top-up",
    "entry.payment": "Payment",
    "entry.refund": "Refund",
    "entry.adjustment": "Adjustment",
    "entry.authorization": "Authorization",
    "entry.capture": "Capture",
    "entry.release": "Hold released",
    "entry.expiry": "Bonus expired",
    "channel.alipay": "Alipay",
    "channel.wechat": "WeChat Pay",
    "channel.card": "Bank card",
    "refusal.insufficient_points": "Not enough points: {needed} needed, {available} available.",
    "refusal.redemption_limit_reached": "This reward is limited to {limit} per customer, and you have reached it.",
    "refusal.out_of_stock": "This reward is out of stock.",
    "refusal.feedback_exists": "This transaction has been rated already.",
    "refusal.survey_answered": "You have answered this survey already.",
    "refusal.balance_limit_exceeded": "The balance would reach {balance}, above the limit of {limit}.",
    "refusal.amount_exceeds_limit": "The amount {amount} is above the limit of {limit} per transaction.",
    "refusal.invalid_topup_option": "That top-up option does not match the amount; choose again.",
    "refusal.invalid_choice": "Choose one of the survey's answers.",
    "refusal.comment_not_allowed": "This survey takes no comment.",
  },
});

export const ENTRY_TYPES = ["top_up", "payment", "refund", "adjustment", "authorization", "capture", "release", "expiry"];
export const CHANNELS = ["alipay", "wechat", "card"];
const MONEY_DETAILS = new Set(["balance", "limit", "amount"]);

export function entryType(type) {
  return ENTRY_TYPES.includes(type) ? t(`entry.${type}`) : type;
}

// The error's details as the API sent them ({error: {code, message, details: {...}}}).
export function details(error) {
  return error?.details?.details ?? error?.details ?? {};
}

// An ApiError with its message in the reader's language where the code is one these pages know; the code and
// the status stay as they were (ErrorBox shows the code).
export function refusal(error) {
  if (!error || !error.code) return error;
  const key = `refusal.${error.code}`;
  const text = t(key);
  if (text === key) return error;
  const vars = {};
  for (const [name, value] of Object.entries(details(error))) vars[name] = MONEY_DETAILS.has(name) ? yuan(value) : value;
  return { code: error.code, status: error.status, message: t(key, vars), details: error.details };
}

// One Idempotency-Key per intent: the same intent sent again (a retry after a lost answer) carries the same key,
// a changed intent a new one, and a success renews it.
export function useIntentKey() {
  const ref = useRef({ intent: null, key: null });
  return {
    key(intent) {
      const sig = JSON.stringify(intent);
      if (ref.current.intent !== sig) ref.current = { intent: sig, key: api.newKey() };
      return ref.current.key;
    },
    done() {
      ref.current = { intent: null, key: null };
    },
  };
}

export function Signed({ fen, id }) {
  const cls = fen > 0 ? "money cu-plus" : fen < 0 ? "money cu-minus" : "money";
  return html`<span class=${cls} id=${id} data-fen=${fen}>${fen > 0 ? "+" : ""}${yuan(fen)}</span>`;
}
