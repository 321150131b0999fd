// The customer's pages (everyone signed in has a wallet). The navigation's labels live here, so the shell
// shows them before any page module is loaded.
import { addStrings } from "../../lib/i18n.js";

addStrings({
  "zh-CN": {
    "nav.wallet": "钱包",
    "nav.history": "交易记录",
    "nav.topup": "充值",
    "nav.coupons": "优惠券",
    "nav.rewards": "积分兑换",
    "nav.inbox": "消息",
    "nav.settings": "设置",
  },
  en: {
    "nav.wallet": "Wallet",
    "nav.history": "History",
    "nav.topup": "Top up",
    "nav.coupons": "Coupons",
    "nav.rewards": "Rewards",
    "nav.inbox": "Inbox",
    "nav.settings": "Settings",
  },
});

export const routes = [
  { path: "/app/wallet", load: () => import("./wallet.js"), role: "customer", nav: "nav.wallet" },
  { path: "/app/history", load: () => import("./history.js"), role: "customer", nav: "nav.history" },
  { path: "/app/history/:entry_id", load: () => import("./history.js"), role: "customer" },
  { path: "/app/topup", load: () => import("./topup.js"), role: "customer", nav: "nav.topup" },
  { path: "/app/coupons", load: () => import("./coupons.js"), role: "customer", nav: "nav.coupons" },
  { path: "/app/rewards", load: () => import("./rewards.js"), role: "customer", nav: "nav.rewards" },
  { path: "/app/inbox", load: () => import("./inbox.js"), role: "customer", nav: "nav.inbox" },
  { path: "/app/feedback", load: () => import("./feedback.js"), role: "customer" },
  { path: "/app/settings", load: () => import("./settings.js"), role: "customer", nav: "nav.settings" },
  { path: "/app/pay/:checkout_id", load: () => import("./pay.js"), role: "customer" },
];
