// The inbox: reminders (low balance, run-out, bonus expiry), the prompt to rate a payment, campaigns' messages
// and surveys (answered here, once). Reminders are worded in the reader's language from their data; a
// campaign's message and a survey's question are shown as the operator wrote them.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { dateTime, day, yuan } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Page } from "../../lib/ui.js";
import { details, refusal } from "./shared.js";

addStrings({
  "zh-CN": {
    "inbox.title": "消息",
    "inbox.unread": "{n} 条未读",
    "inbox.unread_only": "只看未读",
    "inbox.empty": "没有消息。",
    "inbox.read": "标为已读",
    "inbox.is_read": "已读",
    "inbox.new": "未读",
    "inbox.low_balance.title": "余额不足提醒",
    "inbox.low_balance.body": "您的余额为 {balance}，低于您设置的提醒金额 {threshold}。",
    "inbox.run_out.title": "余额可能即将用完",
    "inbox.run_out.body": "按每天约 {daily} 的消费，您的余额 {balance} 约可用到 {date}。充值 {suggested} 约够未来 30 天。",
    "inbox.bonus_expiry.title": "赠送金即将过期",
    "inbox.bonus_expiry.body": "{amount} 赠送金将于 {date} 过期，请在此之前使用。",
    "inbox.feedback_prompt.title": "这次购物怎么样？",
    "inbox.feedback_prompt.body": "您在 {merchant} 支付了 {amount}。欢迎评价。",
    "inbox.top_up": "去充值",
    "inbox.wallet": "查看钱包",
    "inbox.rate": "评价这笔支付",
    "inbox.survey": "问卷",
    "inbox.survey_choice": "您的回答",
    "inbox.survey_comment": "补充说明（选填）",
    "inbox.survey_submit": "提交回答",
    "inbox.survey_sending": "正在提交…",
    "inbox.survey_thanks": "谢谢！您的回答：{choice}",
    "inbox.survey_pick": "请先选择一个回答。",
  },
  en: {
    "inbox.title": "Inbox",
    "inbox.unread": "{n} unread",
    "inbox.unread_only": "Unread only",
    "inbox.empty": "No messages.",
    "inbox.read": "Mark as read",
    "inbox.is_read": "Read",
    "inbox.new": "New",
    "inbox.low_balance.title": "Your balance is low",
    "inbox.low_balance.body": "Your balance is {balance}, below the {threshold} you asked to be reminded at.",
    "inbox.run_out.title": "Your balance may run out soon",
    "inbox.run_out.body": "At about {daily} a day, your balance of {balance} lasts until about {date}. A top-up of {suggested} would cover the next 30 days.",
    "inbox.bonus_expiry.title": "Bonus about to expire",
    "inbox.bonus_expiry.body": "{amount} of bonus expires on {date}. Use it before then.",
    "inbox.feedback_prompt.title": "How was your purchase?",
    "inbox.feedback_prompt.body": "You paid {amount} at {merchant}. Tell us how it went.",
    "inbox.top_up": "Top up",
    "inbox.wallet": "Go to the wallet",
    "inbox.rate": "Rate this payment",
    "inbox.survey": "Survey",
    "inbox.survey_choice": "Your answer",
    "inbox.survey_comment": "Anything to add (optional)",
    "inbox.survey_submit": "Send the answer",
    "inbox.survey_sending": "Sending…",
    "inbox.survey_thanks": "Thank you! Your answer: {choice}",
    "inbox.survey_pick": "Choose an answer first.",
  },
});

// a reminder's words from its data, in the reader's language; other kinds as written
function words(n) {
  const d = n.data || {};
  const vars = {
    low_balance: () => ({ balance: yuan(d.balance), threshold: yuan(d.threshold) }),
    run_out: () => ({ daily: yuan(d.daily_spend), balance: yuan(d.balance), date: day(d.runs_out_on), suggested: yuan(d.suggested_topup) }),
    bonus_expiry: () => ({ amount: yuan(d.amount), date: day(d.expires_at) }),
    feedback_prompt: () => ({ amount: yuan(d.amount), merchant: d.merchant_id }),
  }[n.type];
  return vars ? { title: t(`inbox.${n.type}.title`), body: t(`inbox.${n.type}.body`, vars()) } : { title: n.title, body: n.body };
}

function Survey({ n }) {
  const d = n.data || {};
  const [choice, setChoice] = useState("");
  const [comment, setComment] = useState("");
  const [state, setState] = useState({ busy: false, error: null, answer: null, invalid: null });
  const base = `survey-${n.notification_id}`;
  const send = async (e) => {
    e.preventDefault();
    if (!choice) {
      setState({ busy: false, error: null, answer: null, invalid: t("inbox.survey_pick") });
      return;
    }
    setState({ busy: true, error: null, answer: null, invalid: null });
    try {
      const body = { choice, ...(d.allow_comment && comment.trim() ? { comment: comment.trim() } : {}) };
      const answer = await api.post(`/v1/surveys/${encodeURIComponent(d.survey_id)}/answers`, body);
      setState({ busy: false, error: null, answer, invalid: null });
    } catch (error) {
      const earlier = error.code === "survey_answered" ? details(error).answer : null;
      if (earlier?.choice) setState({ busy: false, error: null, answer: earlier, invalid: null, before: true });
      else setState({ busy: false, error: refusal(error), answer: null, invalid: null });
    }
  };
  if (state.answer) {
    return html`<p class="banner ok cu-survey-done" role="status">
      ${state.before ? `${t("refusal.survey_answered")} ` : null}${t("inbox.survey_thanks", { choice: state.answer.choice })}
    </p>`;
  }
  return html`<form class="cu-survey" onSubmit=${send} data-survey=${d.survey_id}>
    <fieldset>
      <legend>${t("inbox.survey_choice")}</legend>
      ${(d.choices || []).map(
        (c, i) => html`<label class="cu-check" for=${`${base}-${i}`}>
          <input type="radio" id=${`${base}-${i}`} name=${base} value=${c} checked=${choice === c} onChange=${() => setChoice(c)} /> ${c}
        </label>`,
      )}
    </fieldset>
    ${state.invalid ? html`<p class="field-error" role="alert">${state.invalid}</p>` : null}
    ${d.allow_comment
      ? html`<${Field} id=${`${base}-comment`} label=${t("inbox.survey_comment")}>
          <textarea id=${`${base}-comment`} maxlength="1000" rows="3" value=${comment} onInput=${(e) => setComment(e.target.value)}></textarea>
        </${Field}>`
      : null}
    <${ErrorBox} error=${state.error} />
    <button type="submit" class="primary" disabled=${state.busy}>${state.busy ? t("inbox.survey_sending") : t("inbox.survey_submit")}</button>
  </form>`;
}

function Item({ n, onRead }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const w = words(n);
  const d = n.data || {};
  const read = async () => {
    setBusy(true);
    setError(null);
    try {
      onRead(await api.post(`/v1/notifications/${encodeURIComponent(n.notification_id)}/read`));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<li class=${`card cu-card cu-note ${n.read_at ? "cu-is-read" : "cu-unread"}`} data-notification=${n.notification_id} data-type=${n.type}>
    <div class="cu-note-head">
      <h2>${w.title}</h2>
      <span class="cu-badge">${n.read_at ? t("inbox.is_read") : t("inbox.new")}</span>
    </div>
    <p class="hint">${dateTime(n.created_at)}</p>
    ${n.type === "survey" ? null : html`<p>${w.body}</p>`}
    ${n.type === "survey" && d.survey_id ? html`<${Survey} n=${n} />` : null}
    <p class="cu-actions">
      ${n.type === "low_balance" || n.type === "run_out" ? html`<a class="cu-button" href="/app/topup">${t("inbox.top_up")}</a>` : null}
      ${n.type === "bonus_expiry" ? html`<a class="cu-button" href="/app/wallet">${t("inbox.wallet")}</a>` : null}
      ${n.type === "feedback_prompt" && d.payment_id
        ? html`<a class="cu-button" href=${`/app/feedback?payment_id=${encodeURIComponent(d.payment_id)}`}>${t("inbox.rate")}</a>`
        : null}
      ${n.read_at ? null : html`<button type="button" class="cu-note-read" disabled=${busy} onClick=${read}>${t("inbox.read")}</button>`}
    </p>
    <${ErrorBox} error=${error} />
  </li>`;
}

export default function Inbox() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [state, setState] = useState({ items: [], next: null, unread: 0, loaded: false, busy: true, error: null });
  const load = async (cursor, before) => {
    setState((s) => ({ ...s, busy: true, error: null }));
    try {
      const page = await api.get("/v1/notifications", { limit: 20, cursor, unread: unreadOnly ? "true" : undefined });
      setState({ items: [...before, ...page.items], next: page.next_cursor, unread: page.unread_count, loaded: true, busy: false, error: null });
    } catch (error) {
      setState((s) => ({ ...s, busy: false, error }));
    }
  };
  useEffect(() => {
    load(undefined, []);
  }, [unreadOnly]);
  const onRead = (n) =>
    setState((s) => ({
      ...s,
      unread: Math.max(0, s.unread - 1),
      items: s.items.map((x) => (x.notification_id === n.notification_id ? n : x)),
    }));
  return html`<${Page} title=${t("inbox.title")}>
    <div class="cu-toolbar">
      ${state.loaded ? html`<p id="inbox-unread" data-count=${state.unread} role="status">${t("inbox.unread", { n: state.unread })}</p>` : null}
      <label class="cu-check" for="inbox-unread-only">
        <input type="checkbox" id="inbox-unread-only" checked=${unreadOnly} onChange=${(e) => setUnreadOnly(e.target.checked)} />
        ${t("inbox.unread_only")}
      </label>
    </div>
    <${ErrorBox} error=${state.error} retry=${() => load(state.next || undefined, state.items)} />
    ${state.loaded && !state.items.length ? html`<p class="empty" id="inbox-empty">${t("inbox.empty")}</p>` : null}
    <ul class="cu-cards" id="inbox-list">
      ${state.items.map((n) => html`<${Item} key=${n.notification_id} n=${n} onRead=${onRead} />`)}
    </ul>
    ${state.busy ? html`<${Loading} />` : null}
    ${state.next
      ? html`<button type="button" id="inbox-more" disabled=${state.busy} onClick=${() => load(state.next, state.items)}>${t("app.more")}</button>`
      : null}
  </${Page}>`;
}
