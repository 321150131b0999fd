// The wallet: cash, bonus and total; the bonus that expires soonest; points; the tier and the way to the next; the
// run-out forecast; a banner when the balance is below the customer's own threshold.
import { html } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count, dateTime, day, yuan } from "../../lib/format.js";
import { Banner, ErrorBox, Loading, Money, Page, useLoad } from "../../lib/ui.js";

addStrings({
  "zh-CN": {
    "wallet.title": "我的余额",
    "wallet.total": "总余额",
    "wallet.cash": "现金",
    "wallet.bonus": "赠送金",
    "wallet.held": "其中 {amount} 已为预授权冻结，暂不可用。",
    "wallet.low": "余额 {balance} 已低于您设置的提醒金额 {threshold}。",
    "wallet.low_action": "去充值",
    "wallet.top_up": "充值",
    "wallet.history": "交易记录",
    "wallet.expiring": "即将过期的赠送金",
    "wallet.expiring_none": "没有会过期的赠送金。",
    "wallet.expires_on": "{date} 过期",
    "wallet.forecast": "余额预测",
    "wallet.forecast_daily": "近 30 天日均消费 {amount}。",
    "wallet.forecast_until": "按此速度，余额约可用到 {date}。",
    "wallet.forecast_none": "近 30 天没有消费，暂无预测。",
    "wallet.points": "积分",
    "wallet.points_available": "可用",
    "wallet.points_pending": "待生效",
    "wallet.points_held": "冻结",
    "wallet.points_next": "下一批积分将于 {date} 生效。",
    "wallet.points_rewards": "用积分兑换奖励",
    "wallet.tier": "会员等级",
    "wallet.tier_none": "暂无等级",
    "wallet.tier_spend": "近 12 个月余额消费 {amount}",
    "wallet.tier_next": "再消费 {amount} 升级为 {tier}",
    "wallet.tier_top": "您已是最高等级。",
    "wallet.tier_progress": "升级进度",
    "wallet.tier_perks": "积分 ×{multiplier}，余额支付优惠 {percent}%",
    "wallet.downgrade": "如不继续消费，您的等级将于 {date} 降为 {tier}。",
    "wallet.downgrade_none": "如不继续消费，您的等级将于 {date} 失效。",
    "wallet.updated": "更新于 {time}",
  },
  en: {
    "wallet.title": "My balance",
    "wallet.total": "Total",
    "wallet.cash": "Cash",
    "wallet.bonus": "Bonus",
    "wallet.held": "{amount} of it is held for authorized payments and cannot be spent yet.",
    "wallet.low": "Your balance of {balance} is below the {threshold} you asked to be reminded at.",
    "wallet.low_action": "Top up",
    "wallet.top_up": "Top up",
    "wallet.history": "History",
    "wallet.expiring": "Bonus about to expire",
    "wallet.expiring_none": "No bonus expires.",
    "wallet.expires_on": "expires {date}",
    "wallet.forecast": "Forecast",
    "wallet.forecast_daily": "You spent {amount} a day over the last 30 days.",
    "wallet.forecast_until": "At that pace the balance lasts until about {date}.",
    "wallet.forecast_none": "Nothing spent in the last 30 days, so no forecast yet.",
    "wallet.points": "Points",
    "wallet.points_available": "Available",
    "wallet.points_pending": "Pending",
    "wallet.points_held": "Held",
    "wallet.points_next": "More points become available on {date}.",
    "wallet.points_rewards": "Spend points on rewards",
    "wallet.tier": "Membership",
    "wallet.tier_none": "No tier yet",
    "wallet.tier_spend": "Balance spent over 12 months: {amount}",
    "wallet.tier_next": "Spend {amount} more to reach {tier}",
    "wallet.tier_top": "You are in the highest tier.",
    "wallet.tier_progress": "Progress to the next tier",
    "wallet.tier_perks": "points ×{multiplier}, {percent}% off when paying with balance",
    "wallet.downgrade": "Unless you keep spending, your tier becomes {tier} on {date}.",
    "wallet.downgrade_none": "Unless you keep spending, your tier ends on {date}.",
    "wallet.updated": "Updated {time}",
  },
});

function Balance({ w }) {
  return html`<dl class="balance" id="wallet-balance">
      <div><dt>${t("wallet.total")}</dt><dd id="balance-total"><${Money} fen=${w.balance.total} /></dd></div>
      <div><dt>${t("wallet.cash")}</dt><dd id="balance-cash"><${Money} fen=${w.balance.cash} /></dd></div>
      <div><dt>${t("wallet.bonus")}</dt><dd id="balance-bonus"><${Money} fen=${w.balance.bonus} /></dd></div>
    </dl>
    ${w.held?.total > 0 ? html`<p class="hint" id="balance-held">${t("wallet.held", { amount: yuan(w.held.total) })}</p>` : null}`;
}

function Expiring({ items }) {
  return html`<section class="card cu-card" aria-labelledby="expiring-h">
    <h2 id="expiring-h">${t("wallet.expiring")}</h2>
    ${items.length
      ? html`<ul class="cu-plain" id="bonus-expiring">
          ${items.slice(0, 3).map(
            (b) => html`<li data-expires=${b.expires_at}><${Money} fen=${b.amount} /> · ${t("wallet.expires_on", { date: day(b.expires_at) })}</li>`,
          )}
        </ul>`
      : html`<p class="empty" id="bonus-expiring">${t("wallet.expiring_none")}</p>`}
  </section>`;
}

function Forecast({ f }) {
  return html`<section class="card cu-card" aria-labelledby="forecast-h" id="forecast">
    <h2 id="forecast-h">${t("wallet.forecast")}</h2>
    ${f.daily_spend > 0
      ? html`<p>${t("wallet.forecast_daily", { amount: yuan(f.daily_spend) })}</p>
          ${f.runs_out_on ? html`<p id="forecast-runs-out" data-day=${f.runs_out_on}>${t("wallet.forecast_until", { date: day(f.runs_out_on) })}</p>` : null}`
      : html`<p class="empty">${t("wallet.forecast_none")}</p>`}
  </section>`;
}

function Points() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/points"));
  return html`<section class="card cu-card" aria-labelledby="points-h">
    <h2 id="points-h">${t("wallet.points")}</h2>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`<dl class="cu-stats">
            <div><dt>${t("wallet.points_available")}</dt><dd id="points-available" data-points=${data.available}>${count(data.available)}</dd></div>
            <div><dt>${t("wallet.points_pending")}</dt><dd id="points-pending" data-points=${data.pending}>${count(data.pending)}</dd></div>
            ${data.held ? html`<div><dt>${t("wallet.points_held")}</dt><dd id="points-held">${count(data.held)}</dd></div>` : null}
          </dl>
          ${data.next_available_at ? html`<p class="hint">${t("wallet.points_next", { date: dateTime(data.next_available_at) })}</p>` : null}
          <p><a href="/app/rewards">${t("wallet.points_rewards")}</a></p>`
      : null}
  </section>`;
}

function Tier() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/membership"));
  const m = data;
  const base = m?.tier?.threshold ?? 0;
  const span = m?.next_tier ? m.next_tier.threshold - base : 0;
  const done = m?.next_tier ? Math.min(span, Math.max(0, m.rolling_spend - base)) : 0;
  return html`<section class="card cu-card" aria-labelledby="tier-h">
    <h2 id="tier-h">${t("wallet.tier")}</h2>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${m
      ? html`<p class="cu-tier-name" id="tier-name">${m.tier ? m.tier.name : t("wallet.tier_none")}</p>
          ${m.tier
            ? html`<p class="hint">${t("wallet.tier_perks", { multiplier: m.tier.points_multiplier, percent: m.tier.balance_pay_discount_percent })}</p>`
            : null}
          <p id="tier-spend" data-fen=${m.rolling_spend}>${t("wallet.tier_spend", { amount: yuan(m.rolling_spend) })}</p>
          ${m.next_tier
            ? html`<label class="cu-progress-label" for="tier-progress">${t("wallet.tier_progress")}</label>
                <progress id="tier-progress" max=${span || 1} value=${done}></progress>
                <p id="tier-next" data-fen=${m.to_next_tier}>${t("wallet.tier_next", { amount: yuan(m.to_next_tier), tier: m.next_tier.name })}</p>`
            : m.tier
              ? html`<p>${t("wallet.tier_top")}</p>`
              : null}
          ${m.downgrade_warning
            ? html`<div id="tier-downgrade"><${Banner} kind="warning">
                ${m.downgrade_warning.to_tier
                  ? t("wallet.downgrade", { date: day(m.downgrade_warning.on), tier: m.downgrade_warning.to_tier })
                  : t("wallet.downgrade_none", { date: day(m.downgrade_warning.on) })}
              </${Banner}></div>`
            : null}`
      : null}
  </section>`;
}

export default function Wallet() {
  const { data, error, loading, reload } = useLoad(() => api.get("/v1/wallet"));
  const actions = html`<div class="cu-actions">
    <a class="cu-button primary" href="/app/topup" id="wallet-topup">${t("wallet.top_up")}</a>
    <a class="cu-button" href="/app/history" id="wallet-history">${t("wallet.history")}</a>
  </div>`;
  return html`<${Page} title=${t("wallet.title")} actions=${actions}>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${data
      ? html`${data.low_balance
            ? html`<div id="low-balance"><${Banner} kind="warning">
                ${t("wallet.low", { balance: yuan(data.balance.total), threshold: yuan(data.low_balance_threshold) })}
                ${" "}<a href="/app/topup">${t("wallet.low_action")}</a>
              </${Banner}></div>`
            : null}
          <${Balance} w=${data} />
          <div class="grid two cu-grid">
            <${Expiring} items=${data.bonus_expiring || []} />
            <${Forecast} f=${data.forecast} />
            <${Points} />
            <${Tier} />
          </div>
          ${data.updated_at ? html`<p class="hint">${t("wallet.updated", { time: dateTime(data.updated_at) })}</p>` : null}`
      : null}
  </${Page}>`;
}
