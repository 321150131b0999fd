// Top up: the preset options with the bonus each earns now and the suggested amount; the top-up is created
// (idempotent), the payment provider confirms it, and the page waits for the credit and shows the bonus.
// Locally the provider's confirmation is a clearly marked local-only step (config.json's topupConfirmPath); in
// production the provider's own page does it and this page only waits.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { config } from "../../lib/auth.js";
import { addStrings, t } from "../../lib/i18n.js";
import { toFen, yuan } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { CHANNELS, refusal, useIntentKey } from "./shared.js";

addStrings({
  "zh-CN": {
    "topup.title": "充值",
    "topup.choose": "选择金额",
    "topup.bonus": "送 {amount}",
    "topup.no_bonus": "无赠送",
    "topup.valid_days": "赠送金 {days} 天内有效",
    "topup.suggested": "建议",
    "topup.suggested_hint": "建议充值 {amount}：约够未来 30 天的余额消费。",
    "topup.other": "其他金额",
    "topup.other_amount": "金额（元）",
    "topup.other_hint": "赠送以到账时的活动为准。",
    "topup.bad_amount": "请输入大于 0 的金额，最多两位小数。",
    "topup.channel": "支付方式",
    "topup.submit": "充值 {amount}",
    "topup.submitting": "正在创建…",
    "topup.pending_title": "等待支付确认",
    "topup.created": "已创建充值单，金额 {amount}。",
    "topup.local_title": "本地支付服务（仅本地环境）",
    "topup.local_note": "本地环境没有真实的支付服务商。点击下面的按钮，模拟支付服务商确认这笔付款（发送签名的回调）。生产环境中这一步由支付服务商的页面完成。",
    "topup.local_confirm": "模拟确认付款 {amount}",
    "topup.confirming": "正在确认…",
    "topup.provider_note": "请在支付服务商的页面完成付款。付款完成后，这里会自动显示到账结果。",
    "topup.check": "刷新状态",
    "topup.waiting": "等待到账…",
    "topup.done": "充值成功",
    "topup.credited": "到账",
    "topup.bonus_got": "赠送",
    "topup.new_balance": "当前余额",
    "topup.failed": "充值未成功，款项未入账。",
    "topup.still_pending": "仍在等待支付确认。",
    "topup.again": "再充一笔",
    "topup.to_wallet": "查看钱包",
  },
  en: {
    "topup.title": "Top up",
    "topup.choose": "Choose an amount",
    "topup.bonus": "{amount} bonus",
    "topup.no_bonus": "no bonus",
    "topup.valid_days": "bonus valid for {days} days",
    "topup.suggested": "Suggested",
    "topup.suggested_hint": "We suggest {amount}: about what your balance spending needs for the next 30 days.",
    "topup.other": "Another amount",
    "topup.other_amount": "Amount (yuan)",
    "topup.other_hint": "The bonus is the one in force when the money arrives.",
    "topup.bad_amount": "Enter an amount above 0 with at most two decimals.",
    "topup.channel": "Pay with",
    "topup.submit": "Top up {amount}",
    "topup.submitting": "Creating…",
    "topup.pending_title": "Waiting for the payment",
    "topup.created": "Top-up of {amount} created.",
    "topup.local_title": "Local payment provider (local stack only)",
    "topup.local_note": "The local stack has no real payment provider. The button below plays the provider confirming this payment (it sends the signed callback). In production the provider's own page does this.",
    "topup.local_confirm": "Confirm the payment of {amount}",
    "topup.confirming": "Confirming…",
    "topup.provider_note": "Finish the payment on the payment provider's page. The result shows here once it is confirmed.",
    "topup.check": "Check again",
    "topup.waiting": "Waiting for the credit…",
    "topup.done": "Topped up",
    "topup.credited": "Credited",
    "topup.bonus_got": "Bonus",
    "topup.new_balance": "Balance now",
    "topup.failed": "The top-up did not go through; nothing was credited.",
    "topup.still_pending": "Still waiting for the payment to be confirmed.",
    "topup.again": "Top up again",
    "topup.to_wallet": "Go to the wallet",
  },
});

const POLL_MS = 700;
const POLLS = 40;

function Choose({ options, onCreated }) {
  const presets = options.options;
  const suggested = presets.find((o) => o.amount === options.suggested_amount);
  const [choice, setChoice] = useState(suggested ? suggested.option_id : presets[0]?.option_id || "other");
  const [other, setOther] = useState(suggested ? "" : (options.suggested_amount / 100).toFixed(2));
  const [channel, setChannel] = useState("wechat");
  const [state, setState] = useState({ busy: false, error: null, invalid: null });
  const keys = useIntentKey();
  const preset = presets.find((o) => o.option_id === choice);
  const amount = preset ? preset.amount : toFen(other);
  const submit = async (e) => {
    e.preventDefault();
    if (!amount) {
      setState({ busy: false, error: null, invalid: t("topup.bad_amount") });
      return;
    }
    const body = { amount, channel, ...(preset ? { option_id: preset.option_id } : {}) };
    setState({ busy: true, error: null, invalid: null });
    try {
      const topup = await api.post("/v1/topups", body, { key: keys.key(body) });
      keys.done();
      onCreated(topup);
    } catch (error) {
      setState({ busy: false, error: refusal(error), invalid: null });
    }
  };
  return html`<form class="card cu-card" id="topup-form" onSubmit=${submit}>
    ${options.suggested_amount
      ? html`<p class="hint" id="topup-suggested" data-fen=${options.suggested_amount}>${t("topup.suggested_hint", { amount: yuan(options.suggested_amount) })}</p>`
      : null}
    <fieldset class="cu-choices">
      <legend>${t("topup.choose")}</legend>
      ${presets.map(
        (o) => html`<label class=${`cu-choice ${choice === o.option_id ? "cu-chosen" : ""}`} data-option=${o.option_id} data-fen=${o.amount} data-bonus=${o.bonus}>
          <input type="radio" name="topup-amount" value=${o.option_id} checked=${choice === o.option_id} onChange=${() => setChoice(o.option_id)} />
          <span class="cu-choice-amount"><${Money} fen=${o.amount} /></span>
          <span class=${o.bonus ? "cu-choice-bonus" : "cu-choice-bonus cu-none"}>${o.bonus ? t("topup.bonus", { amount: yuan(o.bonus) }) : t("topup.no_bonus")}</span>
          ${o.bonus && o.bonus_valid_days ? html`<span class="hint">${t("topup.valid_days", { days: o.bonus_valid_days })}</span>` : null}
          ${o.amount === options.suggested_amount ? html`<span class="cu-badge">${t("topup.suggested")}</span>` : null}
        </label>`,
      )}
      <label class=${`cu-choice ${choice === "other" ? "cu-chosen" : ""}`} data-option="other">
        <input type="radio" name="topup-amount" value="other" id="topup-other-choice" checked=${choice === "other"} onChange=${() => setChoice("other")} />
        <span class="cu-choice-amount">${t("topup.other")}</span>
      </label>
    </fieldset>
    ${choice === "other"
      ? html`<${Field} id="topup-other" label=${t("topup.other_amount")} hint=${t("topup.other_hint")} error=${state.invalid}>
          <input id="topup-other" inputmode="decimal" autocomplete="off" value=${other} aria-describedby="topup-other-hint"
            aria-invalid=${state.invalid ? "true" : undefined} onInput=${(e) => setOther(e.target.value)} />
        </${Field}>`
      : null}
    <${Field} id="topup-channel" label=${t("topup.channel")}>
      <select id="topup-channel" value=${channel} onChange=${(e) => setChannel(e.target.value)}>
        ${CHANNELS.map((c) => html`<option value=${c} selected=${c === channel}>${t(`channel.${c}`)}</option>`)}
      </select>
    </${Field}>
    <${ErrorBox} error=${state.error} />
    <button type="submit" class="primary" id="topup-submit" disabled=${state.busy}>
      ${state.busy ? t("topup.submitting") : t("topup.submit", { amount: amount ? yuan(amount) : "" })}
    </button>
  </form>`;
}

// read the top-up until it is no longer pending (or the polls run out); then the wallet
async function settle(topupId, live) {
  for (let i = 0; i < POLLS && live(); i += 1) {
    const top = await api.get(`/v1/topups/${encodeURIComponent(topupId)}`);
    if (top.status !== "pending") return { topup: top, wallet: await api.get("/v1/wallet") };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { topup: null, wallet: null };
}

function Confirm({ topup, cfg, onSettled }) {
  const [state, setState] = useState({ busy: false, error: null, waiting: false, pending: false });
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const wait = async () => {
    setState((s) => ({ ...s, waiting: true, pending: false, error: null }));
    try {
      const result = await settle(topup.topup_id, () => alive.current);
      if (!alive.current) return;
      if (result.topup) onSettled(result);
      else setState((s) => ({ ...s, waiting: false, pending: true }));
    } catch (error) {
      if (alive.current) setState((s) => ({ ...s, waiting: false, error }));
    }
  };
  useEffect(() => {
    if (!cfg.topupConfirmPath) wait(); // production: the provider's page confirms; this page only waits
  }, []);
  const confirm = async () => {
    setState({ busy: true, error: null, waiting: false, pending: false });
    try {
      await api.post(cfg.topupConfirmPath.replace("{topup_id}", encodeURIComponent(topup.topup_id)), { amount: topup.amount });
      setState({ busy: false, error: null, waiting: true, pending: false });
      await wait();
    } catch (error) {
      setState({ busy: false, error: refusal(error), waiting: false, pending: false });
    }
  };
  return html`<section class="card cu-card" id="topup-pending" data-topup=${topup.topup_id} aria-labelledby="topup-pending-h">
    <h2 id="topup-pending-h">${t("topup.pending_title")}</h2>
    <p>${t("topup.created", { amount: yuan(topup.amount) })} <code id="topup-id">${topup.topup_id}</code></p>
    ${cfg.topupConfirmPath
      ? html`<div class="cu-local-only" id="topup-local">
          <h3>${t("topup.local_title")}</h3>
          <p>${t("topup.local_note")}</p>
          <button type="button" class="primary" id="topup-local-confirm" disabled=${state.busy || state.waiting} onClick=${confirm}>
            ${state.busy ? t("topup.confirming") : t("topup.local_confirm", { amount: yuan(topup.amount) })}
          </button>
        </div>`
      : html`<p id="topup-provider-note">${t("topup.provider_note")}</p>`}
    ${state.waiting ? html`<p class="loading" role="status">${t("topup.waiting")}</p>` : null}
    ${state.pending
      ? html`<p role="status">${t("topup.still_pending")}</p>
          <button type="button" id="topup-check" onClick=${wait}>${t("topup.check")}</button>`
      : null}
    <${ErrorBox} error=${state.error} />
  </section>`;
}

function Done({ result, again }) {
  const { topup, wallet } = result;
  const ok = topup.status === "succeeded";
  return html`<section class="card cu-card" id="topup-result" data-status=${topup.status} aria-labelledby="topup-result-h">
    <h2 id="topup-result-h">${ok ? t("topup.done") : t("topup.failed")}</h2>
    ${ok
      ? html`<dl class="cu-facts">
          <div><dt>${t("topup.credited")}</dt><dd id="topup-credited"><${Money} fen=${topup.amount} /></dd></div>
          <div><dt>${t("topup.bonus_got")}</dt><dd id="topup-bonus"><${Money} fen=${topup.bonus || 0} /></dd></div>
          <div><dt>${t("topup.new_balance")}</dt><dd id="topup-new-balance"><${Money} fen=${wallet.balance.total} /></dd></div>
        </dl>`
      : null}
    <p class="cu-actions">
      <button type="button" id="topup-again" onClick=${again}>${t("topup.again")}</button>
      <a class="cu-button" href="/app/wallet" id="topup-wallet">${t("topup.to_wallet")}</a>
    </p>
  </section>`;
}

export default function Topup() {
  const { data, error, loading, reload } = useLoad(() => Promise.all([api.get("/v1/topups/options"), config()]));
  const [topup, setTopup] = useState(null);
  const [result, setResult] = useState(null);
  const again = () => {
    setTopup(null);
    setResult(null);
    reload();
  };
  return html`<${Page} title=${t("topup.title")}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data && !topup ? html`<${Choose} options=${data[0]} onCreated=${setTopup} />` : null}
    ${data && topup && !result ? html`<${Confirm} topup=${topup} cfg=${data[1]} onSettled=${setResult} />` : null}
    ${result ? html`<${Done} result=${result} again=${again} />` : null}
  </${Page}>`;
}
