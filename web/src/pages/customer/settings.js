// Settings: the low-balance threshold, the reminders (low balance, run-out, bonus expiry, an e-mail address for
// them) and marketing e-mail consent (GET /v1/wallet, PUT /v1/wallet/settings).
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { fenToInput, toFen, yuan } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Page, useLoad } from "../../lib/ui.js";
import { details, refusal } from "./shared.js";

addStrings({
  "zh-CN": {
    "settings.title": "设置",
    "settings.balance": "余额提醒",
    "settings.threshold": "余额低于此金额时提醒（元）",
    "settings.threshold_hint": "填 0 表示不提醒。当前设置：{amount}",
    "settings.low_balance": "余额不足时提醒我",
    "settings.run_out": "预计余额在几天内用完时提醒（天）",
    "settings.run_out_hint": "1 到 30 天；留空表示不提醒（最多每周一次）。",
    "settings.bonus_expiry": "赠送金过期前几天提醒（天）",
    "settings.bonus_expiry_hint": "1 到 30 天；留空表示不提醒。",
    "settings.email": "提醒也发到此邮箱",
    "settings.email_hint": "留空则只在消息中提醒。",
    "settings.marketing": "营销邮件",
    "settings.marketing_email": "接收活动与优惠邮件",
    "settings.marketing_hint": "提醒不属于营销邮件；营销邮件只发到上面的邮箱。",
    "settings.save": "保存设置",
    "settings.saving": "正在保存…",
    "settings.saved": "已保存。",
    "settings.bad_amount": "请输入 0 或正数金额，最多两位小数。",
    "settings.bad_days": "请输入 1 到 30 的整数，或留空。",
    "settings.bad_email": "请输入有效的邮箱地址，或留空。",
  },
  en: {
    "settings.title": "Settings",
    "settings.balance": "Balance reminders",
    "settings.threshold": "Remind me below this balance (yuan)",
    "settings.threshold_hint": "0: never. Now: {amount}",
    "settings.low_balance": "Remind me when the balance is low",
    "settings.run_out": "Remind me when the balance may run out within (days)",
    "settings.run_out_hint": "1 to 30 days; empty: off (at most weekly).",
    "settings.bonus_expiry": "Remind me this many days before bonus expires",
    "settings.bonus_expiry_hint": "1 to 30 days; empty: off.",
    "settings.email": "Also e-mail reminders to",
    "settings.email_hint": "Empty: in the inbox only.",
    "settings.marketing": "Marketing e-mail",
    "settings.marketing_email": "Send me e-mail about campaigns and offers",
    "settings.marketing_hint": "Reminders are not marketing; marketing e-mail goes only to the address above.",
    "settings.save": "Save settings",
    "settings.saving": "Saving…",
    "settings.saved": "Saved.",
    "settings.bad_amount": "Enter 0 or a positive amount with at most two decimals.",
    "settings.bad_days": "Enter a whole number from 1 to 30, or leave it empty.",
    "settings.bad_email": "Enter a valid e-mail address, or leave it empty.",
  },
});

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// the API's field names -> this form's
const FIELDS = {
  low_balance_threshold: "threshold",
  "reminders.run_out_days": "runOut",
  "reminders.bonus_expiry_days": "bonusExpiry",
  "reminders.email": "email",
};

function days(text) {
  const s = String(text ?? "").trim();
  if (s === "") return { value: null };
  return /^\d{1,2}$/.test(s) && Number(s) >= 1 && Number(s) <= 30 ? { value: Number(s) } : { bad: true };
}

function formOf(w) {
  return {
    threshold: fenToInput(w.low_balance_threshold),
    lowBalance: w.reminders.low_balance,
    runOut: w.reminders.run_out_days ?? "",
    bonusExpiry: w.reminders.bonus_expiry_days ?? "",
    email: w.reminders.email ?? "",
    marketing: w.marketing.email,
  };
}

function Form({ wallet }) {
  const [saved, setSaved] = useState(wallet);
  const [f, setF] = useState(formOf(wallet));
  const [state, setState] = useState({ busy: false, error: null, invalid: {}, ok: false });
  const set = (name) => (e) => setF({ ...f, [name]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const threshold = toFen(f.threshold);
    const runOut = days(f.runOut);
    const bonusExpiry = days(f.bonusExpiry);
    const email = f.email.trim();
    const invalid = {};
    if (threshold === null) invalid.threshold = t("settings.bad_amount");
    if (runOut.bad) invalid.runOut = t("settings.bad_days");
    if (bonusExpiry.bad) invalid.bonusExpiry = t("settings.bad_days");
    if (email && !EMAIL.test(email)) invalid.email = t("settings.bad_email");
    if (Object.keys(invalid).length) {
      setState({ busy: false, error: null, invalid, ok: false });
      return;
    }
    const body = {
      low_balance_threshold: threshold,
      reminders: { low_balance: f.lowBalance, run_out_days: runOut.value, bonus_expiry_days: bonusExpiry.value, email: email || null },
      marketing: { email: f.marketing },
    };
    setState({ busy: true, error: null, invalid: {}, ok: false });
    try {
      const w = await api.put("/v1/wallet/settings", body);
      setSaved(w);
      setF(formOf(w));
      setState({ busy: false, error: null, invalid: {}, ok: true });
    } catch (error) {
      const field = FIELDS[details(error).field || details(error).errors?.[0]?.field];
      setState({ busy: false, error: refusal(error), invalid: field ? { [field]: error.message } : {}, ok: false });
    }
  };
  const bad = state.invalid;
  return html`<form class="card cu-card cu-narrow-wide" id="settings-form" onSubmit=${submit} noValidate>
    <h2>${t("settings.balance")}</h2>
    <${Field} id="settings-threshold" label=${t("settings.threshold")} hint=${t("settings.threshold_hint", { amount: yuan(saved.low_balance_threshold) })} error=${bad.threshold}>
      <input id="settings-threshold" inputmode="decimal" autocomplete="off" value=${f.threshold} onInput=${set("threshold")}
        aria-describedby="settings-threshold-hint" aria-invalid=${bad.threshold ? "true" : undefined} />
    </${Field}>
    <label class="cu-check" for="settings-low-balance">
      <input type="checkbox" id="settings-low-balance" checked=${f.lowBalance} onChange=${set("lowBalance")} /> ${t("settings.low_balance")}
    </label>
    <${Field} id="settings-run-out" label=${t("settings.run_out")} hint=${t("settings.run_out_hint")} error=${bad.runOut}>
      <input id="settings-run-out" inputmode="numeric" autocomplete="off" value=${f.runOut} onInput=${set("runOut")}
        aria-describedby="settings-run-out-hint" aria-invalid=${bad.runOut ? "true" : undefined} />
    </${Field}>
    <${Field} id="settings-bonus-expiry" label=${t("settings.bonus_expiry")} hint=${t("settings.bonus_expiry_hint")} error=${bad.bonusExpiry}>
      <input id="settings-bonus-expiry" inputmode="numeric" autocomplete="off" value=${f.bonusExpiry} onInput=${set("bonusExpiry")}
        aria-describedby="settings-bonus-expiry-hint" aria-invalid=${bad.bonusExpiry ? "true" : undefined} />
    </${Field}>
    <${Field} id="settings-email" label=${t("settings.email")} hint=${t("settings.email_hint")} error=${bad.email}>
      <input id="settings-email" type="email" autocomplete="email" value=${f.email} onInput=${set("email")}
        aria-describedby="settings-email-hint" aria-invalid=${bad.email ? "true" : undefined} />
    </${Field}>
    <h2>${t("settings.marketing")}</h2>
    <label class="cu-check" for="settings-marketing">
      <input type="checkbox" id="settings-marketing" checked=${f.marketing} onChange=${set("marketing")} /> ${t("settings.marketing_email")}
    </label>
    <p class="hint">${t("settings.marketing_hint")}</p>
    <${ErrorBox} error=${state.error} />
    ${state.ok ? html`<p class="banner ok" role="status" id="settings-saved">${t("settings.saved")}</p>` : null}
    <button type="submit" class="primary" id="settings-save" disabled=${state.busy}>${state.busy ? t("settings.saving") : t("settings.save")}</button>
  </form>`;
}

export default function Settings() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/wallet"));
  return html`<${Page} title=${t("settings.title")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data ? html`<${Form} wallet=${data} />` : null}
  </${Page}>`;
}
