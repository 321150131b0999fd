// The points catalogue: each reward's cost in points, its stock and limit per customer; redeeming spends the
// points exactly once (one idempotency key per reward until it succeeds) and shows a refusal in plain words.
import { html, useRef, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { count } from "../../lib/format.js";
import { ErrorBox, Loading, Page, useLoad } from "../../lib/ui.js";
import { refusal } from "./shared.js";

addStrings({
  "zh-CN": {
    "rewards.title": "积分兑换",
    "rewards.available": "可用积分：",
    "rewards.pending": "另有 {points} 分待生效",
    "rewards.kind.coupon": "优惠券",
    "rewards.kind.gift": "礼品",
    "rewards.cost": "{points} 积分",
    "rewards.stock": "库存 {n}",
    "rewards.limit": "每人限兑 {n} 次",
    "rewards.sold_out": "已兑完",
    "rewards.short": "还差 {points} 分",
    "rewards.redeem": "兑换",
    "rewards.redeeming": "正在兑换…",
    "rewards.redeemed": "兑换成功，花费 {spent} 分，剩余 {left} 分。",
    "rewards.coupon_added": "优惠券已放入您的账户。",
    "rewards.see_coupons": "查看优惠券",
    "rewards.empty": "暂时没有可兑换的奖励。",
  },
  en: {
    "rewards.title": "Rewards",
    "rewards.available": "Points available: ",
    "rewards.pending": "{points} more pending",
    "rewards.kind.coupon": "Coupon",
    "rewards.kind.gift": "Gift",
    "rewards.cost": "{points} points",
    "rewards.stock": "{n} in stock",
    "rewards.limit": "at most {n} per customer",
    "rewards.sold_out": "Out of stock",
    "rewards.short": "{points} points short",
    "rewards.redeem": "Redeem",
    "rewards.redeeming": "Redeeming…",
    "rewards.redeemed": "Redeemed for {spent} points; {left} left.",
    "rewards.coupon_added": "The coupon is in your account.",
    "rewards.see_coupons": "See your coupons",
    "rewards.empty": "No rewards to redeem right now.",
  },
});

function Reward({ r, available, onRedeemed }) {
  const key = useRef(api.newKey()); // this reward's redemption: one key until it succeeds
  const [state, setState] = useState({ busy: false, error: null, done: null });
  const redeem = async () => {
    setState({ busy: true, error: null, done: null });
    try {
      const done = await api.post(`/v1/rewards/${encodeURIComponent(r.reward_id)}/redemptions`, undefined, { key: key.current });
      key.current = api.newKey();
      setState({ busy: false, error: null, done });
      onRedeemed(done);
    } catch (error) {
      setState({ busy: false, error: refusal(error), done: null });
    }
  };
  const short = available === null ? 0 : Math.max(0, r.points_cost - available);
  const soldOut = r.stock <= 0;
  return html`<li class="card cu-card cu-reward" data-reward=${r.reward_id}>
    <h2>${r.name}</h2>
    <p class="cu-reward-cost"><strong data-points=${r.points_cost}>${t("rewards.cost", { points: count(r.points_cost) })}</strong> · ${t(`rewards.kind.${r.kind}`)}</p>
    <ul class="cu-plain cu-terms">
      <li class="cu-reward-stock" data-stock=${r.stock}>${soldOut ? t("rewards.sold_out") : t("rewards.stock", { n: count(r.stock) })}</li>
      <li>${t("rewards.limit", { n: r.per_customer_limit })}</li>
      ${short && !soldOut ? html`<li class="cu-reward-short">${t("rewards.short", { points: count(short) })}</li>` : null}
    </ul>
    <button type="button" class="primary cu-reward-redeem" disabled=${state.busy || soldOut} onClick=${redeem}>
      ${state.busy ? t("rewards.redeeming") : t("rewards.redeem")}
    </button>
    <${ErrorBox} error=${state.error} />
    ${state.done
      ? html`<div class="banner ok cu-reward-done" role="status">
          ${t("rewards.redeemed", { spent: count(state.done.points_spent), left: count(state.done.points_available) })}
          ${state.done.coupon_id ? html` ${t("rewards.coupon_added")} <a href="/app/coupons">${t("rewards.see_coupons")}</a>` : null}
        </div>`
      : null}
  </li>`;
}

export default function Rewards() {
  const catalogue = useLoad(() => api.get("/v1/rewards"));
  const points = useLoad(() => api.get("/v1/points"));
  const [left, setLeft] = useState(null); // points after the last redemption, until the account is read again
  const available = left ?? points.data?.available ?? null;
  const onRedeemed = (done) => {
    setLeft(done.points_available);
    catalogue.reload(); // the stock moved
  };
  return html`<${Page} title=${t("rewards.title")}>
    <${ErrorBox} error=${points.error} retry=${points.reload} />
    ${available !== null
      ? html`<p class="cu-points-line">${t("rewards.available")}<strong id="rewards-points" data-points=${available}>${count(available)}</strong>
          ${points.data?.pending ? html` <span class="hint">${t("rewards.pending", { points: count(points.data.pending) })}</span>` : null}</p>`
      : null}
    ${catalogue.loading && !catalogue.data ? html`<${Loading} />` : null}
    <${ErrorBox} error=${catalogue.error} retry=${catalogue.reload} />
    ${catalogue.data && !catalogue.data.rewards.length ? html`<p class="empty">${t("rewards.empty")}</p>` : null}
    ${catalogue.data
      ? html`<ul class="cu-cards" id="rewards-list">
          ${catalogue.data.rewards.map((r) => html`<${Reward} key=${r.reward_id} r=${r} available=${available} onRedeemed=${onRedeemed} />`)}
        </ul>`
      : null}
  </${Page}>`;
}
