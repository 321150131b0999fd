// The merchant's console: staff of `merchant:<id>` (and operators) for the shop in the path. Navigation labels here (the shell shows them before any page loads).
import { addStrings } from "../../lib/i18n.js";

addStrings({
  "zh-CN": {
    "nav.merchant.overview": "商家概览",
    "nav.merchant.rules": "余额规则",
    "nav.merchant.coupons": "优惠券",
    "nav.merchant.promotions": "促销活动",
    "nav.merchant.payments": "支付",
    "nav.merchant.insight": "经营洞察",
  },
  en: {
    "nav.merchant.overview": "Merchant overview",
    "nav.merchant.rules": "Balance rules",
    "nav.merchant.coupons": "Coupons",
    "nav.merchant.promotions": "Promotions",
    "nav.merchant.payments": "Payments",
    "nav.merchant.insight": "Insight",
  },
});

// the navigation's links go to the signed-in user's first merchant (an operator without one: the demo shop m1)
const shop = (r) => `/app/merchant/${encodeURIComponent(r.merchants[0] || "m1")}`;

export const routes = [
  { path: "/app/merchant/:merchant_id", load: () => import("./overview.js"), role: "merchant", nav: "nav.merchant.overview", href: shop },
  { path: "/app/merchant/:merchant_id/rules", load: () => import("./rules.js"), role: "merchant", nav: "nav.merchant.rules", href: (r) => `${shop(r)}/rules` },
  { path: "/app/merchant/:merchant_id/coupons", load: () => import("./coupons.js"), role: "merchant", nav: "nav.merchant.coupons", href: (r) => `${shop(r)}/coupons` },
  { path: "/app/merchant/:merchant_id/promotions", load: () => import("./promotions.js"), role: "merchant", nav: "nav.merchant.promotions", href: (r) => `${shop(r)}/promotions` },
  { path: "/app/merchant/:merchant_id/payments", load: () => import("./payments.js"), role: "merchant", nav: "nav.merchant.payments", href: (r) => `${shop(r)}/payments` },
  { path: "/app/merchant/:merchant_id/insight", load: () => import("./insight.js"), role: "merchant", nav: "nav.merchant.insight", href: (r) => `${shop(r)}/insight` },
];
