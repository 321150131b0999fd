// The hosted balance checkout, /app/pay/{checkout_id}?return_url=: the shop's order, what balance pays and why
// not more, points and a coupon that re-price it live, then pay or authorize, and back to the shop. The shop's
// return_url is used only as the API approved it (its origin one the merchant registered): a URL the API refuses
// gets a refusal page with no pay button and no link to it.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { api, ApiError } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { dateTime, yuan } from "../../lib/format.js";
import { DataTable, ErrorBox, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { FINAL, PARTIAL_LIFTS, couponDiscount, explainLimit, explainRefusal } from "./pay-explain.js";

addStrings({
  "zh-CN": {
    "pay.title": "付款",
    "pay.order": "订单",
    "pay.shop": "商家",
    "pay.order_id": "订单号",
    "pay.expires": "请在此时间前付款",
    "pay.lines": "订单明细",
    "pay.col.sku": "商品",
    "pay.col.category": "类别",
    "pay.col.unit_price": "单价",
    "pay.col.quantity": "数量",
    "pay.col.total": "小计",
    "pay.amount": "订单金额",
    "pay.your_balance": "您的余额",
    "pay.choices": "支付选项",
    "pay.points_label": "使用积分",
    "pay.points_value": "{points} 积分（抵 {value}）",
    "pay.points_hint": "可用 {available} 积分。拖动滑块，价格会随之更新。",
    "pay.no_points": "您暂无可用积分。",
    "pay.coupon_label": "优惠券",
    "pay.no_coupon": "不使用优惠券",
    "pay.no_coupons": "您没有可在此商家使用的优惠券。",
    "pay.coupon.amount_off": "{name}：减 {value}",
    "pay.coupon.percent_off": "{name}：{value}% 折扣",
    "pay.coupon.max": "（最多减 {max}）",
    "pay.coupon.min_spend": "，满 {min} 可用",
    "pay.coupon.until": "，{until} 前有效",
    "pay.partial_label": "其余金额用其他方式向商家支付",
    "pay.partial_hint": "勾选后余额只支付能付的部分：这部分先冻结，商家收到其余款项后再扣款。",
    "pay.capture_legend": "何时扣款",
    "pay.capture_now": "立即支付",
    "pay.capture_later": "先冻结（预授权），由商家稍后扣款",
    "pay.price": "价格明细",
    "pay.quoting": "正在计算价格…",
    "pay.quoted": "余额支付 {balance}，其他方式支付 {external}。",
    "pay.discount.coupon": "优惠券",
    "pay.discount.balance_pay": "商家的余额支付优惠",
    "pay.discount.tier": "会员等级优惠（{tier}）",
    "pay.discount.promotion": "限时活动优惠",
    "pay.points_paid": "积分抵扣（{points} 积分）",
    "pay.balance_pays": "余额支付",
    "pay.funded": "其中现金 {cash}，赠送金 {bonus}",
    "pay.external": "需用其他方式支付",
    "pay.points_to_earn": "本单可得积分",
    "pay.why": "为什么余额没有支付更多",
    "pay.why_none": "没有限制：本单可由余额支付的部分全部由余额支付。",
    "pay.cannot_pay": "现在无法支付",
    "pay.submit_pay": "支付 {amount}",
    "pay.submit_authorize": "冻结 {amount}",
    "pay.submit_confirm": "确认支付",
    "pay.paying": "正在支付…",
    "pay.returning": "支付成功，正在返回商店…",
    "pay.back_to_shop": "返回商店",
    "pay.refused_title": "此付款链接无法使用",
    "pay.refused_text": "付款后要返回的网址不是该商家登记过的地址。为了您的安全，此页面不能付款，也不会带您去那个网址。没有扣任何款项。",
    "pay.refused_next": "请回到商店的网站重新发起付款。",
    "pay.missing_title": "找不到此付款",
    "pay.missing_text": "此付款不存在，或不属于您的账户。",
    "pay.state.paid": "此订单已支付。",
    "pay.state.authorized": "此订单的余额已冻结，等待商家扣款。",
    "pay.state.expired": "此付款链接已过期，请回到商店重新下单。",
    "pay.state.cancelled": "商家已取消此订单的付款。",
    "pay.done_title": "支付完成",
    "pay.done_authorized_title": "已冻结余额",
    "pay.done_payment": "付款编号",
    "pay.done_status": "状态",
    "pay.status.succeeded": "已支付",
    "pay.status.authorized": "已冻结，等待商家扣款",
    "pay.done_paid": "余额支付",
    "pay.done_external": "需用其他方式支付",
    "pay.done_points_spent": "使用积分",
    "pay.done_points_earned": "获得积分",
    "pay.done_balance_after": "支付后余额",
    "pay.done_expires": "冻结至",
    "pay.done_wallet": "查看我的钱包",
  },
  en: {
    "pay.title": "Pay",
    "pay.order": "Your order",
    "pay.shop": "Shop",
    "pay.order_id": "Order",
    "pay.expires": "Pay by",
    "pay.lines": "Order lines",
    "pay.col.sku": "Item",
    "pay.col.category": "Category",
    "pay.col.unit_price": "Unit price",
    "pay.col.quantity": "Qty",
    "pay.col.total": "Subtotal",
    "pay.amount": "Order total",
    "pay.your_balance": "Your balance",
    "pay.choices": "How you pay",
    "pay.points_label": "Points to use",
    "pay.points_value": "{points} points ({value})",
    "pay.points_hint": "{available} points available. Move the slider and the price updates.",
    "pay.no_points": "You have no points to use.",
    "pay.coupon_label": "Coupon",
    "pay.no_coupon": "No coupon",
    "pay.no_coupons": "You hold no coupon this shop takes.",
    "pay.coupon.amount_off": "{name}: {value} off",
    "pay.coupon.percent_off": "{name}: {value}% off",
    "pay.coupon.max": " (at most {max})",
    "pay.coupon.min_spend": ", on orders from {min}",
    "pay.coupon.until": ", valid until {until}",
    "pay.partial_label": "Pay the rest to the shop another way",
    "pay.partial_hint": "Balance then pays what it can: its part is held until the shop collects the rest and charges it.",
    "pay.capture_legend": "When to charge",
    "pay.capture_now": "Pay now",
    "pay.capture_later": "Hold now (authorize); the shop charges it later",
    "pay.price": "Price",
    "pay.quoting": "Updating the price…",
    "pay.quoted": "Balance pays {balance}; {external} is left to pay another way.",
    "pay.discount.coupon": "Coupon",
    "pay.discount.balance_pay": "The shop's discount for paying with balance",
    "pay.discount.tier": "Membership discount ({tier})",
    "pay.discount.promotion": "Promotion",
    "pay.points_paid": "Points ({points} points)",
    "pay.balance_pays": "Paid from your balance",
    "pay.funded": "of which cash {cash}, bonus {bonus}",
    "pay.external": "Left to pay another way",
    "pay.points_to_earn": "Points you earn",
    "pay.why": "Why balance does not pay more",
    "pay.why_none": "Nothing holds balance back: it pays all of the order it may.",
    "pay.cannot_pay": "This cannot be paid now",
    "pay.submit_pay": "Pay {amount}",
    "pay.submit_authorize": "Authorize {amount}",
    "pay.submit_confirm": "Confirm payment",
    "pay.paying": "Paying…",
    "pay.returning": "Paid; taking you back to the shop…",
    "pay.back_to_shop": "Back to the shop",
    "pay.refused_title": "This checkout link cannot be used",
    "pay.refused_text":
      "The address to return to after paying is not one the shop registered. For your safety this page takes no payment and will not send you there. Nothing was charged.",
    "pay.refused_next": "Go back to the shop's website and start the payment again.",
    "pay.missing_title": "Checkout not found",
    "pay.missing_text": "There is no such checkout, or it is not yours.",
    "pay.state.paid": "This order is paid.",
    "pay.state.authorized": "Balance for this order is on hold until the shop charges it.",
    "pay.state.expired": "This checkout has expired: go back to the shop to order again.",
    "pay.state.cancelled": "The shop cancelled this checkout.",
    "pay.done_title": "Payment done",
    "pay.done_authorized_title": "Balance on hold",
    "pay.done_payment": "Payment",
    "pay.done_status": "Status",
    "pay.status.succeeded": "Paid",
    "pay.status.authorized": "On hold until the shop charges it",
    "pay.done_paid": "Paid from your balance",
    "pay.done_external": "Left to pay another way",
    "pay.done_points_spent": "Points used",
    "pay.done_points_earned": "Points earned",
    "pay.done_balance_after": "Balance after",
    "pay.done_expires": "Held until",
    "pay.done_wallet": "Go to my wallet",
  },
});

const QUOTE_DELAY_MS = 250; // the slider and the picker re-price once the customer pauses

// the shop's page to go back to, with the outcome: only a URL the API approved for this checkout
export function returnTarget(approved, checkoutId, paymentId, status) {
  let url;
  try {
    url = new URL(approved);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  // appended to the query as the merchant wrote it (searchParams.set would re-encode all of it, and break a
  // signed return URL); the shop confirms the outcome with the API, never from these values alone
  const add = [["checkout_id", checkoutId], ["payment_id", paymentId], ["status", status]]
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  url.search = url.search ? `${url.search}&${add}` : `?${add}`;
  return url.href;
}

function usableCoupons(list, merchantId, now = Date.now()) {
  return (list || []).filter(
    (c) =>
      c.state === "available" &&
      (!c.merchant_id || c.merchant_id === merchantId) &&
      Date.parse(c.valid_from) <= now &&
      now < Date.parse(c.valid_to),
  );
}

function couponLabel(c) {
  const head =
    c.kind === "percent_off"
      ? t("pay.coupon.percent_off", { name: c.name, value: c.value })
      : t("pay.coupon.amount_off", { name: c.name, value: yuan(c.value) });
  return (
    head +
    (c.kind === "percent_off" && c.max_discount ? t("pay.coupon.max", { max: yuan(c.max_discount) }) : "") +
    (c.min_spend ? t("pay.coupon.min_spend", { min: yuan(c.min_spend) }) : "") +
    t("pay.coupon.until", { until: dateTime(c.valid_to) })
  );
}

function Refusal({ refusal, id, hint }) {
  const said = explainRefusal(refusal);
  return html`<div class="error pay-refusal" role="alert" id=${id} data-code=${said.code}>
    <p><strong>${t("pay.cannot_pay")}</strong>: ${said.text}</p>
    ${refusal.code === "coupon_not_applicable" && refusal.message ? html`<p class="hint">${refusal.message}</p>` : null}
    ${hint ? html`<p>${hint}</p>` : null}
    <p class="code">${said.code}</p>
  </div>`;
}

function Lines({ checkout }) {
  const columns = [
    { key: "sku", label: t("pay.col.sku") },
    { key: "category", label: t("pay.col.category") },
    { key: "unit_price", label: t("pay.col.unit_price"), numeric: true, format: (v) => html`<${Money} fen=${v} />` },
    { key: "quantity", label: t("pay.col.quantity"), numeric: true },
    { key: "total", label: t("pay.col.total"), numeric: true, format: (v) => html`<${Money} fen=${v} />` },
  ];
  const rows = checkout.items.map((i) => ({ ...i, total: i.unit_price * i.quantity }));
  return html`<section class="card" aria-labelledby="pay-order-h">
    <h2 id="pay-order-h">${t("pay.order")}</h2>
    <dl class="pay-facts">
      <div><dt>${t("pay.shop")}</dt><dd id="checkout-merchant">${checkout.merchant_id}</dd></div>
      <div><dt>${t("pay.order_id")}</dt><dd id="checkout-order">${checkout.order_id}</dd></div>
      <div><dt>${t("pay.expires")}</dt><dd>${dateTime(checkout.expires_at)}</dd></div>
    </dl>
    <${DataTable} id="checkout-lines" caption=${t("pay.lines")} columns=${columns} rows=${rows} />
    <p class="pay-total">${t("pay.amount")}: <strong id="checkout-amount"><${Money} fen=${checkout.amount} /></strong></p>
  </section>`;
}

function PriceRow({ id, label, fen, negative, note }) {
  return html`<div class="pay-row" id=${id}>
    <dt>${label}${note ? html`<span class="hint pay-note">${note}</span>` : null}</dt>
    <dd>${negative && fen ? "−" : ""}<${Money} fen=${fen} /></dd>
  </div>`;
}

function Price({ q, busy, ctx }) {
  const discountLabel = (d) =>
    d.source === "tier" ? t("pay.discount.tier", { tier: q.tier || "" }) : t(`pay.discount.${d.source}`);
  const limits = (q.limits || []).map((l) => explainLimit(l, q, ctx));
  return html`<section class="card" aria-labelledby="pay-price-h" aria-busy=${busy ? "true" : "false"} id="pay-price">
    <h2 id="pay-price-h">${t("pay.price")}</h2>
    <p class="visually-hidden" role="status">
      ${busy ? t("pay.quoting") : t("pay.quoted", { balance: yuan(q.balance), external: yuan(q.external) })}
    </p>
    <dl class="pay-rows">
      <${PriceRow} id="quote-amount" label=${t("pay.amount")} fen=${q.amount} />
      ${q.discounts.map(
        (d) => html`<${PriceRow} id=${`quote-discount-${d.source}`} label=${discountLabel(d)} fen=${d.amount} negative=${true} />`,
      )}
      ${q.points
        ? html`<${PriceRow} id="quote-points" label=${t("pay.points_paid", { points: q.points })} fen=${q.points_value} negative=${true} />`
        : null}
      <${PriceRow}
        id="quote-balance"
        label=${t("pay.balance_pays")}
        fen=${q.balance}
        note=${q.balance ? t("pay.funded", { cash: yuan(q.funded_by.cash), bonus: yuan(q.funded_by.bonus) }) : null}
      />
      <${PriceRow} id="quote-external" label=${t("pay.external")} fen=${q.external} />
    </dl>
    <p class="hint">${t("pay.points_to_earn")}: <span id="quote-points-to-earn" data-points=${q.points_to_earn}>${q.points_to_earn}</span></p>
    <h3>${t("pay.why")}</h3>
    ${limits.length
      ? html`<ul class="pay-limits" id="quote-limits">
          ${limits.map(
            (l) => html`<li data-code=${l.code}>${l.text}${l.raw ? html` <span class="code">${l.code}</span>` : null}</li>`,
          )}
        </ul>`
      : html`<p class="hint" id="quote-limits-none">${t("pay.why_none")}</p>`}
  </section>`;
}

function Choices({ checkout, points, coupons, options, set, q }) {
  const available = points?.available ?? 0;
  const max = Math.max(0, Math.min(available, checkout.amount));
  const usable = usableCoupons(coupons, checkout.merchant_id);
  const perPoint = q && q.points ? q.points_value / q.points : 1;
  const showPartial = options.allowPartial || (q && q.external > 0);
  return html`<section class="card" aria-labelledby="pay-choices-h">
    <h2 id="pay-choices-h">${t("pay.choices")}</h2>
    ${max > 0
      ? html`<div class="field pay-points">
          <label for="pay-points">${t("pay.points_label")}</label>
          <input
            id="pay-points"
            type="range"
            min="0"
            max=${max}
            step="1"
            value=${options.points}
            aria-describedby="pay-points-hint"
            aria-valuetext=${t("pay.points_value", { points: options.points, value: yuan(Math.round(options.points * perPoint)) })}
            onInput=${(e) => set({ points: Number(e.target.value) })}
          />
          <output for="pay-points" id="pay-points-output">
            ${t("pay.points_value", { points: options.points, value: yuan(Math.round(options.points * perPoint)) })}
          </output>
          <p class="hint" id="pay-points-hint">${t("pay.points_hint", { available })}</p>
        </div>`
      : html`<p class="hint" id="pay-no-points">${t("pay.no_points")}</p>`}
    ${usable.length
      ? html`<div class="field">
          <label for="pay-coupon">${t("pay.coupon_label")}</label>
          <select id="pay-coupon" value=${options.couponId} onChange=${(e) => set({ couponId: e.target.value })}>
            <option value="" selected=${options.couponId === ""}>${t("pay.no_coupon")}</option>
            ${usable.map(
              (c) => html`<option value=${c.coupon_id} selected=${options.couponId === c.coupon_id}>${couponLabel(c)}</option>`,
            )}
          </select>
        </div>`
      : html`<p class="hint" id="pay-no-coupons">${t("pay.no_coupons")}</p>`}
    ${showPartial
      ? html`<div class="pay-check">
          <input
            id="pay-partial"
            type="checkbox"
            checked=${options.allowPartial}
            aria-describedby="pay-partial-hint"
            onChange=${(e) => set({ allowPartial: e.target.checked })}
          />
          <label for="pay-partial">${t("pay.partial_label")}</label>
          <p class="hint" id="pay-partial-hint">${t("pay.partial_hint")}</p>
        </div>`
      : null}
    <fieldset class="pay-capture">
      <legend>${t("pay.capture_legend")}</legend>
      <label class="pay-radio">
        <input type="radio" name="pay-capture" id="pay-capture-now" checked=${options.capture} onChange=${() => set({ capture: true })} />
        ${t("pay.capture_now")}
      </label>
      <label class="pay-radio">
        <input type="radio" name="pay-capture" id="pay-capture-later" checked=${!options.capture} onChange=${() => set({ capture: false })} />
        ${t("pay.capture_later")}
      </label>
    </fieldset>
  </section>`;
}

function body(options) {
  return {
    points: options.points,
    allow_partial: options.allowPartial,
    capture: options.capture,
    ...(options.couponId ? { coupon_id: options.couponId } : {}),
  };
}

function Done({ payment, checkout }) {
  const title = payment.status === "authorized" ? t("pay.done_authorized_title") : t("pay.done_title");
  const paid = (payment.funded_by?.cash ?? 0) + (payment.funded_by?.bonus ?? 0);
  return html`<${Page} title=${title}>
    <div class="card" id="pay-done" data-status=${payment.status}>
      <dl class="pay-rows">
        <div class="pay-row"><dt>${t("pay.done_payment")}</dt><dd id="done-payment-id"><code>${payment.payment_id}</code></dd></div>
        <div class="pay-row"><dt>${t("pay.done_status")}</dt><dd id="done-status">${t(`pay.status.${payment.status}`)}</dd></div>
        <div class="pay-row"><dt>${t("pay.order_id")}</dt><dd>${checkout.order_id}</dd></div>
        <div class="pay-row"><dt>${t("pay.done_paid")}</dt><dd id="done-paid"><${Money} fen=${paid} /></dd></div>
        ${payment.external
          ? html`<div class="pay-row"><dt>${t("pay.done_external")}</dt><dd id="done-external"><${Money} fen=${payment.external} /></dd></div>`
          : null}
        ${payment.points_spent
          ? html`<div class="pay-row"><dt>${t("pay.done_points_spent")}</dt><dd>${payment.points_spent}</dd></div>`
          : null}
        ${payment.status === "succeeded"
          ? html`<div class="pay-row"><dt>${t("pay.done_points_earned")}</dt><dd>${payment.points_earned}</dd></div>`
          : null}
        ${payment.expires_at
          ? html`<div class="pay-row"><dt>${t("pay.done_expires")}</dt><dd>${dateTime(payment.expires_at)}</dd></div>`
          : null}
        <div class="pay-row"><dt>${t("pay.done_balance_after")}</dt><dd id="done-balance"><${Money} fen=${payment.balance?.total} /></dd></div>
      </dl>
      <p><a href="/app/wallet">${t("pay.done_wallet")}</a></p>
    </div>
  </${Page}>`;
}

function Closed({ checkout, approved }) {
  const back =
    approved && (checkout.status === "paid" || checkout.status === "authorized")
      ? returnTarget(approved, checkout.checkout_id, checkout.payment_id, checkout.status === "paid" ? "succeeded" : "authorized")
      : null;
  return html`<${Page} title=${t("pay.title")}>
    <div class="banner" role="status" id="checkout-state" data-status=${checkout.status}>${t(`pay.state.${checkout.status}`)}</div>
    <${Lines} checkout=${checkout} />
    ${back ? html`<p><a class="pay-back" id="pay-back" href=${back}>${t("pay.back_to_shop")}</a></p>` : null}
  </${Page}>`;
}

function Checkout({ data }) {
  const { checkout, wallet, points, coupons } = data;
  const approved = checkout.return_url || null;
  const [options, setOptions] = useState({ points: 0, couponId: "", allowPartial: false, capture: true });
  const [quote, setQuote] = useState({ q: null, error: null, for: null });
  const [refresh, setRefresh] = useState(0);
  const [paying, setPaying] = useState({ busy: false, error: null, done: null, leaving: false });
  const seq = useRef(0);
  // one key per intent: a retry after a lost answer cannot charge twice; another body (a new quote) is another intent
  const key = useRef(api.newKey());
  const keyFor = useRef(null);
  const wanted = JSON.stringify(body(options));

  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(
      () => {
        api.post(`/v1/checkouts/${encodeURIComponent(checkout.checkout_id)}/quote`, body(options)).then(
          (q) => mine === seq.current && setQuote({ q, error: null, for: wanted }),
          (error) => mine === seq.current && setQuote({ q: null, error, for: wanted }),
        );
      },
      quote.for === null ? 0 : QUOTE_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [wanted, refresh]);

  // back in the tab (the shop may have changed its rules meanwhile): price again
  useEffect(() => {
    const again = () => document.visibilityState === "visible" && setRefresh((n) => n + 1);
    document.addEventListener("visibilitychange", again);
    return () => document.removeEventListener("visibilitychange", again);
  }, []);

  if (paying.done) return html`<${Done} payment=${paying.done} checkout=${checkout} />`;

  const set = (change) => {
    setOptions((o) => ({ ...o, ...change }));
    setPaying((p) => ({ ...p, error: null }));
  };
  const q = quote.q;
  const current = quote.for === wanted && !quote.error && q;
  const finalError = paying.error && FINAL.has(paying.error.code);
  const canPay = Boolean(current && q.payable && !paying.busy && !paying.leaving && !finalError);

  const pay = async () => {
    setPaying({ busy: true, error: null, done: null, leaving: false });
    try {
      // the balance the customer sees on the button: a price that changed since is refused (price_changed)
      const payload = { checkout_id: checkout.checkout_id, ...body(options), expected_balance: q.balance };
      const intent = JSON.stringify(payload);
      if (keyFor.current !== intent) {
        key.current = api.newKey();
        keyFor.current = intent;
      }
      const payment = await api.post("/v1/payments", payload, { key: key.current });
      key.current = api.newKey();
      const target = approved ? returnTarget(approved, checkout.checkout_id, payment.payment_id, payment.status) : null;
      if (target) {
        setPaying({ busy: false, error: null, done: null, leaving: true });
        location.assign(target);
      } else {
        setPaying({ busy: false, error: null, done: payment, leaving: false });
      }
    } catch (error) {
      // an answer (a refusal) ends the intent; no answer, or "retry later", keeps the key for the retry
      if (error instanceof ApiError && error.status < 500) key.current = api.newKey();
      setPaying({ busy: false, error, done: null, leaving: false });
      setRefresh((n) => n + 1);
    }
  };

  let amountLabel = t("pay.submit_confirm");
  if (current && q.balance > 0) {
    const which = q.status === "authorized" ? "pay.submit_authorize" : "pay.submit_pay";
    amountLabel = t(which, { amount: yuan(q.balance) });
  }
  const refusal = current && !q.payable && q.refusal ? q.refusal : null;
  const partialHint =
    refusal && PARTIAL_LIFTS.has(refusal.code) && !options.allowPartial && q.external > 0 ? t("pay.refusal.partial_hint") : null;

  return html`<${Page} title=${t("pay.title")}>
    <p class="pay-wallet">${t("pay.your_balance")}: <strong id="wallet-total"><${Money} fen=${wallet.balance.total} /></strong></p>
    <div class="pay-grid">
      <div>
        <${Lines} checkout=${checkout} />
      </div>
      <div>
        <${Choices} checkout=${checkout} points=${points} coupons=${coupons?.coupons} options=${options} set=${set} q=${q} />
        ${quote.error ? html`<${ErrorBox} error=${quote.error} retry=${() => setRefresh((n) => n + 1)} />` : null}
        ${q ? html`<${Price} q=${q} busy=${!current} ctx=${{ wallet, points }} />` : html`<${Loading} />`}
        ${refusal ? html`<${Refusal} refusal=${refusal} id="quote-refusal" hint=${partialHint} />` : null}
        ${paying.error
          ? paying.error instanceof ApiError
            ? html`<${Refusal} refusal=${paying.error} id="pay-error" />`
            : html`<${ErrorBox} error=${paying.error} />`
          : null}
        ${paying.leaving
          ? html`<p class="banner ok" role="status" id="pay-returning">${t("pay.returning")}</p>`
          : html`<div class="pay-actions">
              <button type="button" class="primary" id="pay-submit" disabled=${!canPay} onClick=${pay}>
                ${paying.busy ? t("pay.paying") : amountLabel}
              </button>
            </div>`}
      </div>
    </div>
  </${Page}>`;
}

function Refused() {
  return html`<${Page} title=${t("pay.refused_title")}>
    <div class="card" id="pay-refused" data-code="return_url_not_allowed">
      <p>${t("pay.refused_text")}</p>
      <p>${t("pay.refused_next")}</p>
      <p class="pay-code">return_url_not_allowed</p>
    </div>
  </${Page}>`;
}

function Missing({ error }) {
  return html`<${Page} title=${t("pay.missing_title")}>
    <div class="card" id="pay-missing" data-code=${error.code}>
      <p>${t("pay.missing_text")}</p>
      <p class="pay-code">${error.code}</p>
    </div>
  </${Page}>`;
}

export default function Pay({ params, query }) {
  const id = params.checkout_id;
  const returnUrl = query.return_url || null;
  const { data, error, loading, reload } = useLoad(async () => {
    const checkout = await api.get(`/v1/checkouts/${encodeURIComponent(id)}`, returnUrl ? { return_url: returnUrl } : {});
    const [wallet, points, coupons] = await Promise.all([
      api.get("/v1/wallet"),
      api.get("/v1/points").catch(() => null),
      api.get("/v1/coupons", { state: "available" }).catch(() => ({ coupons: [] })),
    ]);
    return { checkout, wallet, points, coupons };
  }, [id, returnUrl]);

  if (loading) return html`<${Page} title=${t("pay.title")}><${Loading} /></${Page}>`;
  if (error) {
    // the envelope's details arrive as error.details.details (api.js keeps every field besides code and message)
    const about = (d) => d?.field === "return_url" || (d?.errors || []).some((e) => e.field === "return_url");
    const aboutReturn = about(error.details) || about(error.details?.details);
    const badReturn = error.code === "return_url_not_allowed" || (error.status === 400 && aboutReturn);
    if (badReturn) return html`<${Refused} />`;
    if (error.status === 404 || error.status === 403) return html`<${Missing} error=${error} />`;
    return html`<${Page} title=${t("pay.title")}><${ErrorBox} error=${error} retry=${reload} /></${Page}>`;
  }
  if (data.checkout.status !== "open") return html`<${Closed} checkout=${data.checkout} approved=${data.checkout.return_url} />`;
  return html`<${Checkout} data=${data} />`;
}
