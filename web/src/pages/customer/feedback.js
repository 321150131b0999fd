// Feedback on one of the customer's own transactions: `/app/feedback?payment_id=` (or `topup_id=`, `entry_id=`),
// reached from an entry's "rate this" or the inbox's prompt. A rating 1-5, tags, a comment; once per transaction.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { dateTime } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { refusal, useIntentKey } from "./shared.js";

addStrings({
  "zh-CN": {
    "feedback.title": "评价",
    "feedback.no_subject": "请从交易记录或消息中选择要评价的交易。",
    "feedback.to_history": "去交易记录",
    "feedback.payment": "支付：{merchant}",
    "feedback.topup": "充值",
    "feedback.entry": "交易记录 {id}",
    "feedback.rating": "评分",
    "feedback.rating.1": "1 很差",
    "feedback.rating.2": "2 较差",
    "feedback.rating.3": "3 一般",
    "feedback.rating.4": "4 不错",
    "feedback.rating.5": "5 很好",
    "feedback.tags": "标签（可多选）",
    "feedback.tag.fast": "快捷",
    "feedback.tag.easy": "简单",
    "feedback.tag.good-value": "划算",
    "feedback.tag.slow": "太慢",
    "feedback.tag.confusing": "看不懂",
    "feedback.tag.wrong-amount": "金额不对",
    "feedback.comment": "留言（选填）",
    "feedback.pick": "请选择评分。",
    "feedback.submit": "提交评价",
    "feedback.sending": "正在提交…",
    "feedback.thanks": "谢谢您的评价！",
    "feedback.sent": "评分 {rating}，提交于 {time}。",
  },
  en: {
    "feedback.title": "Rate it",
    "feedback.no_subject": "Choose a transaction to rate from your history or inbox.",
    "feedback.to_history": "Go to the history",
    "feedback.payment": "Payment at {merchant}",
    "feedback.topup": "Top-up",
    "feedback.entry": "Entry {id}",
    "feedback.rating": "Rating",
    "feedback.rating.1": "1 very poor",
    "feedback.rating.2": "2 poor",
    "feedback.rating.3": "3 fair",
    "feedback.rating.4": "4 good",
    "feedback.rating.5": "5 very good",
    "feedback.tags": "Tags (any number)",
    "feedback.tag.fast": "Fast",
    "feedback.tag.easy": "Easy",
    "feedback.tag.good-value": "Good value",
    "feedback.tag.slow": "Slow",
    "feedback.tag.confusing": "Confusing",
    "feedback.tag.wrong-amount": "Wrong amount",
    "feedback.comment": "Comment (optional)",
    "feedback.pick": "Choose a rating.",
    "feedback.submit": "Send",
    "feedback.sending": "Sending…",
    "feedback.thanks": "Thank you for the feedback!",
    "feedback.sent": "Rated {rating}, sent {time}.",
  },
});

const TAGS = ["fast", "easy", "good-value", "slow", "confusing", "wrong-amount"];

function subjectOf(query) {
  for (const name of ["payment_id", "topup_id", "entry_id"]) if (query?.[name]) return { name, id: query[name] };
  return null;
}

function Subject({ subject }) {
  const { data, error, loading } = useLoad(() => {
    if (subject.name === "payment_id") return api.get(`/v1/payments/${encodeURIComponent(subject.id)}`);
    if (subject.name === "topup_id") return api.get(`/v1/topups/${encodeURIComponent(subject.id)}`);
    return null;
  }, [subject.name, subject.id]);
  if (loading) return html`<${Loading} />`;
  if (error) return html`<${ErrorBox} error=${error} />`;
  return html`<p class="card cu-card cu-subject" id="feedback-subject">
    ${subject.name === "payment_id" && data ? html`${t("feedback.payment", { merchant: data.merchant_id })} · <${Money} fen=${data.amount} /> · ${dateTime(data.created_at)}` : null}
    ${subject.name === "topup_id" && data ? html`${t("feedback.topup")} · <${Money} fen=${data.amount} /> · ${dateTime(data.created_at)}` : null}
    ${subject.name === "entry_id" ? t("feedback.entry", { id: subject.id }) : null}
  </p>`;
}

export default function Feedback({ query }) {
  const subject = subjectOf(query);
  const [rating, setRating] = useState(0);
  const [tags, setTags] = useState([]);
  const [comment, setComment] = useState("");
  const [state, setState] = useState({ busy: false, error: null, done: null, invalid: null });
  const keys = useIntentKey();
  if (!subject) {
    return html`<${Page} title=${t("feedback.title")}>
      <p id="feedback-no-subject">${t("feedback.no_subject")}</p>
      <p><a href="/app/history">${t("feedback.to_history")}</a></p>
    </${Page}>`;
  }
  const toggle = (tag) => setTags(tags.includes(tag) ? tags.filter((x) => x !== tag) : [...tags, tag]);
  const submit = async (e) => {
    e.preventDefault();
    if (!rating) {
      setState({ busy: false, error: null, done: null, invalid: t("feedback.pick") });
      return;
    }
    const body = { [subject.name]: subject.id, rating, tags, ...(comment.trim() ? { comment: comment.trim() } : {}) };
    setState({ busy: true, error: null, done: null, invalid: null });
    try {
      const done = await api.post("/v1/feedback", body, { key: keys.key(body) });
      keys.done();
      setState({ busy: false, error: null, done, invalid: null });
    } catch (error) {
      setState({ busy: false, error: refusal(error), done: null, invalid: null });
    }
  };
  return html`<${Page} title=${t("feedback.title")}>
    <${Subject} subject=${subject} />
    ${state.done
      ? html`<div class="banner ok" role="status" id="feedback-done" data-feedback=${state.done.feedback_id}>
          <p><strong>${t("feedback.thanks")}</strong></p>
          <p>${t("feedback.sent", { rating: state.done.rating, time: dateTime(state.done.created_at) })}</p>
        </div>`
      : html`<form class="card cu-card" id="feedback-form" onSubmit=${submit}>
          <fieldset class="cu-rating">
            <legend>${t("feedback.rating")}</legend>
            ${[1, 2, 3, 4, 5].map(
              (n) => html`<label class="cu-check" for=${`feedback-rating-${n}`}>
                <input type="radio" id=${`feedback-rating-${n}`} name="rating" value=${n} checked=${rating === n} onChange=${() => setRating(n)} />
                ${t(`feedback.rating.${n}`)}
              </label>`,
            )}
          </fieldset>
          ${state.invalid ? html`<p class="field-error" role="alert">${state.invalid}</p>` : null}
          <fieldset class="cu-tags">
            <legend>${t("feedback.tags")}</legend>
            ${TAGS.map(
              (tag) => html`<label class="cu-check" for=${`feedback-tag-${tag}`}>
                <input type="checkbox" id=${`feedback-tag-${tag}`} value=${tag} checked=${tags.includes(tag)} onChange=${() => toggle(tag)} />
                ${t(`feedback.tag.${tag}`)}
              </label>`,
            )}
          </fieldset>
          <${Field} id="feedback-comment" label=${t("feedback.comment")}>
            <textarea id="feedback-comment" maxlength="1000" rows="4" value=${comment} onInput=${(e) => setComment(e.target.value)}></textarea>
          </${Field}>
          <${ErrorBox} error=${state.error} />
          <button type="submit" class="primary" id="feedback-submit" disabled=${state.busy}>
            ${state.busy ? t("feedback.sending") : t("feedback.submit")}
          </button>
        </form>`}
  </${Page}>`;
}
