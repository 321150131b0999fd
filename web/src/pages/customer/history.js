// The history: the ledger's entries newest first, each with the balance after it, a filter by type, more by
// cursor; an entry opens its payment (with its refunds) or its top-up, with a "rate this" action.
// `/app/history` lists; `/app/history/:entry_id` shows one. The entries already read are kept for this tab's
// life, so going back to the list keeps what was loaded, and the detail of a listed entry needs no new read.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { addStrings, t } from "../../lib/i18n.js";
import { dateTime, day } from "../../lib/format.js";
import { ErrorBox, Field, Loading, Money, Page, useLoad } from "../../lib/ui.js";
import { ENTRY_TYPES, Signed, entryType } from "./shared.js";

addStrings({
  "zh-CN": {
    "history.title": "交易记录",
    "history.filter": "类型",
    "history.all": "全部",
    "history.balance_after": "余额",
    "history.empty": "还没有交易记录。",
    "history.open": "查看详情",
    "history.count": "已显示 {n} 条",
    "history.end": "已全部显示。",
    "history.loading_more": "正在加载…",
    "entry.title": "交易详情",
    "entry.back": "返回交易记录",
    "entry.not_found": "找不到这条记录。",
    "entry.type": "类型",
    "entry.amount": "金额",
    "entry.time": "时间",
    "entry.cash": "现金",
    "entry.bonus": "赠送金",
    "entry.balance_after": "交易后余额",
    "entry.merchant": "商户",
    "entry.order": "订单号",
    "entry.reason": "原因",
    "entry.bonus_expires": "赠送金到期",
    "entry.never": "永不过期",
    "entry.rate": "评价这笔交易",
    "entry.payment": "支付",
    "entry.payment_status": "状态",
    "entry.funded_cash": "现金支付",
    "entry.funded_bonus": "赠送金支付",
    "entry.discount": "优惠",
    "entry.points_spent": "使用积分",
    "entry.points_earned": "获得积分",
    "entry.external": "其他方式支付",
    "entry.refunded": "已退款",
    "entry.items": "商品",
    "entry.item_line": "{sku} × {quantity}",
    "entry.refunds": "退款",
        "entry.this_refund": "（本条）",
    "entry.topup": "充值",
    "entry.topup_status": "状态",
    "entry.topup_channel": "渠道",
    "entry.topup_bonus": "赠送",
    "status.authorized": "已预授权",
    "status.succeeded": "已完成",
    "status.partially_refunded": "部分退款",
    "status.refunded": "已退款",
    "status.voided": "已撤销",
    "status.expired": "已过期",
    "status.pending": "处理中",
    "status.failed": "失败",
  },
  en: {
    "history.title": "History",
    "history.filter": "Type",
    "history.all": "All",
    "history.balance_after": "balance",
    "history.empty": "No entries yet.",
    "history.open": "Details",
    "history.count": "{n} shown",
    "history.end": "That is all of them.",
    "history.loading_more": "Loading…",
    "entry.title": "Entry",
    "entry.back": "Back to the history",
    "entry.not_found": "This entry was not found.",
    "entry.type": "Type",
    "entry.amount": "Amount",
    "entry.time": "Time",
    "entry.cash": "Cash",
    "entry.bonus": "Bonus",
    "entry.balance_after": "Balance after",
    "entry.merchant": "Merchant",
    "entry.order": "Order",
    "entry.reason": "Reason",
    "entry.bonus_expires": "Bonus expires",
    "entry.never": "never",
    "entry.rate": "Rate this",
    "entry.payment": "Payment",
    "entry.payment_status": "Status",
    "entry.funded_cash": "Paid from cash",
    "entry.funded_bonus": "Paid from bonus",
    "entry.discount": "Discounts",
    "entry.points_spent": "Points spent",
    "entry.points_earned": "Points earned",
    "entry.external": "Paid another way",
    "entry.refunded": "Refunded",
    "entry.items": "Items",
    "entry.item_line": "{sku} × {quantity}",
    "entry.refunds": "Refunds",
        "entry.this_refund": " (this entry)",
    "entry.topup": "Top-up",
    "entry.topup_status": "Status",
    "entry.topup_channel": "Channel",
    "entry.topup_bonus": "Bonus",
    "status.authorized": "Authorized",
    "status.succeeded": "Done",
    "status.partially_refunded": "Partly refunded",
    "status.refunded": "Refunded",
    "status.voided": "Voided",
    "status.expired": "Expired",
    "status.pending": "Pending",
    "status.failed": "Failed",
  },
});

const PAGE = 20;
const known = new Map(); // entry id -> entry, every entry read in this tab
let listing = { type: "", entries: [], next: null, loaded: false };
let generation = 0; // the newest read: an answer to an older one (the filter changed meanwhile) is dropped

async function readPage(type, cursor) {
  const page = await api.get("/v1/wallet/entries", { limit: PAGE, type: type || undefined, cursor });
  for (const e of page.entries) known.set(e.id, e);
  return page;
}

function statusName(s) {
  const key = `status.${s}`;
  const text = t(key);
  return text === key ? s : text;
}

function List() {
  const [state, setState] = useState(listing);
  const [busy, setBusy] = useState(!listing.loaded);
  const [error, setError] = useState(null);
  const show = (next) => {
    listing = next;
    setState(next);
  };
  const load = async (type, cursor, before) => {
    const mine = ++generation;
    setBusy(true);
    setError(null);
    try {
      const page = await readPage(type, cursor);
      if (mine === generation) show({ type, entries: [...before, ...page.entries], next: page.next_cursor, loaded: true });
    } catch (e) {
      if (mine === generation) setError(e);
    } finally {
      if (mine === generation) setBusy(false);
    }
  };
  useEffect(() => {
    if (!listing.loaded) load(listing.type, undefined, []);
  }, []);
  const filter = (e) => {
    const type = e.target.value;
    show({ type, entries: [], next: null, loaded: false });
    load(type, undefined, []);
  };
  return html`<${Page} title=${t("history.title")}>
    <div class="cu-toolbar">
      <${Field} id="history-type" label=${t("history.filter")}>
        <select id="history-type" value=${state.type} onChange=${filter}>
          <option value="" selected=${state.type === ""}>${t("history.all")}</option>
          ${ENTRY_TYPES.map((x) => html`<option value=${x} selected=${state.type === x}>${entryType(x)}</option>`)}
        </select>
      </${Field}>
    </div>
    <${ErrorBox} error=${error} retry=${() => load(state.type, state.next || undefined, state.entries)} />
    ${state.loaded && !state.entries.length ? html`<p class="empty" id="history-empty">${t("history.empty")}</p>` : null}
    <ul class="cu-entries" id="history-list">
      ${state.entries.map(
        (e) => html`<li class="cu-entry" data-entry=${e.id} data-type=${e.type}>
          <a href=${`/app/history/${encodeURIComponent(e.id)}`} class="cu-entry-link" aria-label=${`${entryType(e.type)} ${dateTime(e.created_at)} · ${t("history.open")}`}>
            <span class="cu-entry-main">
              <span class="cu-entry-type">${entryType(e.type)}</span>
              <span class="cu-entry-time">${dateTime(e.created_at)}</span>
            </span>
            <span class="cu-entry-side">
              <${Signed} fen=${e.amount} />
              <span class="cu-entry-after" data-fen=${e.balance_after.total}>${t("history.balance_after")} <${Money} fen=${e.balance_after.total} /></span>
            </span>
          </a>
        </li>`,
      )}
    </ul>
    ${busy ? html`<${Loading} />` : null}
    ${state.loaded ? html`<p class="hint" id="history-count" role="status">${t("history.count", { n: state.entries.length })}</p>` : null}
    ${state.next
      ? html`<button type="button" id="history-more" disabled=${busy} onClick=${() => load(state.type, state.next, state.entries)}>
          ${busy ? t("history.loading_more") : t("app.more")}
        </button>`
      : state.loaded && state.entries.length
        ? html`<p class="hint" id="history-end">${t("history.end")}</p>`
        : null}
  </${Page}>`;
}

// an entry not read yet in this tab (a link followed from elsewhere): read pages until it turns up
async function findEntry(id) {
  if (known.has(id)) return known.get(id);
  let cursor;
  for (let i = 0; i < 20; i += 1) {
    const page = await api.get("/v1/wallet/entries", { limit: 100, cursor });
    for (const e of page.entries) known.set(e.id, e);
    if (known.has(id)) return known.get(id);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return null;
}

function Row({ label, children, id }) {
  return html`<div><dt>${label}</dt><dd id=${id}>${children}</dd></div>`;
}

function PaymentDetail({ p, entry }) {
  const discounts = p.discount_total || 0;
  return html`<section class="card cu-card" aria-labelledby="payment-h" id="entry-payment" data-payment=${p.payment_id}>
    <h2 id="payment-h">${t("entry.payment")}</h2>
    <dl class="cu-facts">
      <${Row} label=${t("entry.merchant")}>${p.merchant_id}</${Row}>
      <${Row} label=${t("entry.order")}><code>${p.order_id}</code></${Row}>
      <${Row} label=${t("entry.payment_status")} id="payment-status">${statusName(p.status)}</${Row}>
      <${Row} label=${t("entry.amount")} id="payment-amount"><${Money} fen=${p.amount} /></${Row}>
      ${discounts ? html`<${Row} label=${t("entry.discount")}><${Money} fen=${discounts} /></${Row}>` : null}
      <${Row} label=${t("entry.funded_cash")}><${Money} fen=${p.funded_by.cash} /></${Row}>
      <${Row} label=${t("entry.funded_bonus")}><${Money} fen=${p.funded_by.bonus} /></${Row}>
      ${p.external ? html`<${Row} label=${t("entry.external")}><${Money} fen=${p.external} /></${Row}>` : null}
      ${p.points_spent ? html`<${Row} label=${t("entry.points_spent")}>${p.points_spent}</${Row}>` : null}
      ${p.points_earned ? html`<${Row} label=${t("entry.points_earned")}>${p.points_earned}</${Row}>` : null}
      ${p.refunded ? html`<${Row} label=${t("entry.refunded")}><${Money} fen=${p.refunded} /></${Row}>` : null}
    </dl>
    ${p.items?.length
      ? html`<h3>${t("entry.items")}</h3>
          <ul class="cu-plain">
            ${p.items.map((it) => html`<li>${t("entry.item_line", { sku: it.sku, quantity: it.quantity })} · <${Money} fen=${it.unit_price * it.quantity} /></li>`)}
          </ul>`
      : null}
    ${p.refunds?.length
      ? html`<h3>${t("entry.refunds")}</h3>
          <ul class="cu-plain" id="payment-refunds">
            ${p.refunds.map(
              (r) => html`<li data-refund=${r.refund_id}>
                ${dateTime(r.created_at)} · <${Money} fen=${r.amount} /> · ${r.reason}
                ${entry.refund_id === r.refund_id ? t("entry.this_refund") : null}
              </li>`,
            )}
          </ul>`
      : null}
  </section>`;
}

function TopupDetail({ top }) {
  return html`<section class="card cu-card" aria-labelledby="topup-h" id="entry-topup" data-topup=${top.topup_id}>
    <h2 id="topup-h">${t("entry.topup")}</h2>
    <dl class="cu-facts">
      <${Row} label=${t("entry.topup_status")} id="topup-status">${statusName(top.status)}</${Row}>
      <${Row} label=${t("entry.amount")}><${Money} fen=${top.amount} /></${Row}>
      <${Row} label=${t("entry.topup_channel")}>${t(`channel.${top.channel}`)}</${Row}>
      ${top.bonus ? html`<${Row} label=${t("entry.topup_bonus")}><${Money} fen=${top.bonus} /></${Row}>` : null}
      <${Row} label=${t("entry.time")}>${dateTime(top.created_at)}</${Row}>
    </dl>
  </section>`;
}

function rateLink(e) {
  if (e.type === "top_up" && e.topup_id) return `/app/feedback?topup_id=${encodeURIComponent(e.topup_id)}`;
  if (e.type === "payment" && e.payment_id) return `/app/feedback?payment_id=${encodeURIComponent(e.payment_id)}`;
  return `/app/feedback?entry_id=${encodeURIComponent(e.id)}`;
}

function Detail({ id }) {
  const { data: e, error, loading, reload } = useLoad(() => findEntry(id), [id]);
  const linked = useLoad(async () => {
    if (!e) return null;
    if (e.payment_id) return { payment: await api.get(`/v1/payments/${encodeURIComponent(e.payment_id)}`) };
    if (e.topup_id) return { topup: await api.get(`/v1/topups/${encodeURIComponent(e.topup_id)}`) };
    return null;
  }, [e]);
  return html`<${Page} title=${t("entry.title")}>
    <p><a href="/app/history" id="entry-back">${t("entry.back")}</a></p>
    ${loading ? html`<${Loading} />` : null}
    <${ErrorBox} error=${error} retry=${reload} />
    ${!loading && !error && !e ? html`<p class="empty" id="entry-not-found">${t("entry.not_found")}</p>` : null}
    ${e
      ? html`<section class="card cu-card" id="entry-detail" data-entry=${e.id} aria-labelledby="entry-h">
            <h2 id="entry-h">${entryType(e.type)}</h2>
            <dl class="cu-facts">
              <${Row} label=${t("entry.amount")} id="entry-amount"><${Signed} fen=${e.amount} /></${Row}>
              <${Row} label=${t("entry.cash")}><${Signed} fen=${e.lots.cash} /></${Row}>
              <${Row} label=${t("entry.bonus")}><${Signed} fen=${e.lots.bonus} /></${Row}>
              <${Row} label=${t("entry.balance_after")} id="entry-balance-after"><${Money} fen=${e.balance_after.total} /></${Row}>
              <${Row} label=${t("entry.time")}>${dateTime(e.created_at)}</${Row}>
              ${e.merchant_id ? html`<${Row} label=${t("entry.merchant")}>${e.merchant_id}</${Row}>` : null}
              ${e.order_id ? html`<${Row} label=${t("entry.order")}><code>${e.order_id}</code></${Row}>` : null}
              ${e.reason ? html`<${Row} label=${t("entry.reason")}>${e.reason}</${Row}>` : null}
              ${e.bonus_expires_at
                ? html`<${Row} label=${t("entry.bonus_expires")}>${e.bonus_expires_at === "never" ? t("entry.never") : day(e.bonus_expires_at)}</${Row}>`
                : null}
            </dl>
            <p><a class="cu-button" id="entry-rate" href=${rateLink(e)}>${t("entry.rate")}</a></p>
          </section>
          ${linked.loading ? html`<${Loading} />` : null}
          <${ErrorBox} error=${linked.error} retry=${linked.reload} />
          ${linked.data?.payment ? html`<${PaymentDetail} p=${linked.data.payment} entry=${e} />` : null}
          ${linked.data?.topup ? html`<${TopupDetail} top=${linked.data.topup} />` : null}`
      : null}
  </${Page}>`;
}

export default function History({ params }) {
  return params?.entry_id ? html`<${Detail} id=${params.entry_id} />` : html`<${List} />`;
}
