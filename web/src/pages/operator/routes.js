// The operator's dashboard: the `admin` group. Navigation labels here (the shell shows them before any page loads).
// `/app/ops` (where the shell sends an admin) shows the overview; the navigation links it as `/app/ops/overview`,
// so that its entry is not marked current on every other `/app/ops/...` page.
import { addStrings } from "../../lib/i18n.js";

addStrings({
  "zh-CN": {
    "nav.ops_overview": "概览",
    "nav.ops_customers": "客户与分群",
    "nav.ops_obstacles": "支付障碍",
    "nav.ops_campaigns": "营销活动",
    "nav.ops_reconciliation": "对账",
  },
  en: {
    "nav.ops_overview": "Overview",
    "nav.ops_customers": "Customers",
    "nav.ops_obstacles": "Obstacles",
    "nav.ops_campaigns": "Campaigns",
    "nav.ops_reconciliation": "Reconciliation",
  },
});

const overview = () => import("./overview.js");

export const routes = [
  { path: "/app/ops", load: overview, role: "admin" },
  { path: "/app/ops/overview", load: overview, role: "admin", nav: "nav.ops_overview" },
  { path: "/app/ops/customers", load: () => import("./customers.js"), role: "admin", nav: "nav.ops_customers" },
  { path: "/app/ops/obstacles", load: () => import("./obstacles.js"), role: "admin", nav: "nav.ops_obstacles" },
  { path: "/app/ops/campaigns", load: () => import("./campaigns.js"), role: "admin", nav: "nav.ops_campaigns" },
  { path: "/app/ops/campaigns/:campaign_id", load: () => import("./campaign.js"), role: "admin" },
  { path: "/app/ops/reconciliation", load: () => import("./reconciliation.js"), role: "admin", nav: "nav.ops_reconciliation" },
];
