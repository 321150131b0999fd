// The reconciliation: every wallet recomputed from its entries, the differences listed. The API keeps no record
// of past runs (the daily job logs its result and counts the mismatches as a metric), so this page shows the
// run started here, kept for the rest of the tab's visit, beside the liability read just after it.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../../lib/api.js";
import { count, dateTime, yuan } from "../../lib/format.js";
import { addStrings, t } from "../../lib/i18n.js";
import { Banner, DataTable, ErrorBox, Money, Page } from "../../lib/ui.js";

addStrings({
  "zh-CN": {
    "ops.recon.title": "对账",
    "ops.recon.intro": "根据每个钱包的流水重新计算余额，并列出与存储余额不一致之处。每日任务也会运行同样的检查，并把结果写入日志和 ReconciliationMismatches 指标；API 不保存历次结果，本页显示在这里发起的最近一次。",
    "ops.recon.run": "立即对账",
    "ops.recon.running": "正在对账（读取全部钱包）…",
    "ops.recon.never": "本次访问中还没有运行对账。",
    "ops.recon.ran_at": "对账时间：{at}",
    "ops.recon.clean": "全部一致：{n} 个钱包的余额与流水相符。",
    "ops.recon.mismatched": "{m} 个钱包不一致（共检查 {n} 个）。",
    "ops.recon.not_conserved": "流水的收支不守恒：入账减出账不等于钱包持有的余额。",
    "ops.recon.checked": "检查的钱包",
    "ops.recon.held": "钱包持有（含冻结）",
    "ops.recon.on_hold": "其中冻结",
    "ops.recon.points": "积分合计",
    "ops.recon.net": "流水净额",
    "ops.recon.conserved": "收支守恒",
    "ops.recon.yes": "是",
    "ops.recon.no": "否",
    "ops.recon.flows": "按类型的入账与出账",
    "ops.recon.kind": "类型",
    "ops.recon.credited": "入账（元）",
    "ops.recon.debited": "出账（元）",
    "ops.recon.mismatches": "不一致的钱包",
    "ops.recon.user": "用户",
    "ops.recon.stored": "存储余额",
    "ops.recon.from_entries": "按流水计算",
    "ops.recon.difference": "差额",
    "ops.recon.problems": "问题",
    "ops.recon.liability": "对账后读取的负债合计：",
    "ops.recon.liability_equal": "与对账的持有合计一致。",
    "ops.recon.liability_differs": "与对账的持有合计不同（两次读取之间可能有资金变动）：差 {diff}。",
  },
  en: {
    "ops.recon.title": "Reconciliation",
    "ops.recon.intro": "Every wallet recomputed from its entries, and where it differs from the stored balance. The daily job runs the same check and writes its result to the logs and the ReconciliationMismatches metric; the API keeps no record of past runs, so this page shows the last run started here.",
    "ops.recon.run": "Reconcile now",
    "ops.recon.running": "Reconciling (reading every wallet)…",
    "ops.recon.never": "No reconciliation has run during this visit.",
    "ops.recon.ran_at": "Ran at {at}",
    "ops.recon.clean": "All clear: the {n} wallets match their entries.",
    "ops.recon.mismatched": "{m} wallets differ (of {n} checked).",
    "ops.recon.not_conserved": "The entries do not balance: credits less debits differ from what the wallets hold.",
    "ops.recon.checked": "Wallets checked",
    "ops.recon.held": "Held by the wallets (with holds)",
    "ops.recon.on_hold": "Of which on hold",
    "ops.recon.points": "Points in all",
    "ops.recon.net": "Entries, net",
    "ops.recon.conserved": "Balanced",
    "ops.recon.yes": "Yes",
    "ops.recon.no": "No",
    "ops.recon.flows": "Credits and debits by kind",
    "ops.recon.kind": "Kind",
    "ops.recon.credited": "Credited (yuan)",
    "ops.recon.debited": "Debited (yuan)",
    "ops.recon.mismatches": "Wallets that differ",
    "ops.recon.user": "User",
    "ops.recon.stored": "Stored",
    "ops.recon.from_entries": "From the entries",
    "ops.recon.difference": "Difference",
    "ops.recon.problems": "Problems",
    "ops.recon.liability": "The liability read after it: ",
    "ops.recon.liability_equal": "It equals what the reconciliation found held.",
    "ops.recon.liability_differs": "It differs from what the reconciliation found held (money may have moved between the two reads): by {diff}.",
  },
});

// the last run of this visit: kept while the app stays loaded, so coming back to the page shows it
let last = null;

const money = (v) => html`<${Money} fen=${v} />`;
const balance = (b) => html`<${Money} fen=${b?.total} />`;

function Result({ run }) {
  const { report, at, liability } = run;
  const tot = report.totals;
  const kinds = [...new Set([...Object.keys(tot.credited || {}), ...Object.keys(tot.debited || {})])].sort();
  const flows = kinds.map((k) => ({ kind: k, credited: tot.credited?.[k] ?? 0, debited: tot.debited?.[k] ?? 0 }));
  const mismatches = report.mismatches.map((m) => ({ ...m, problems_text: (m.problems || []).join(", ") }));
  const diff = liability ? liability.total.total - tot.held.total : null;
  return html`<section class="ops-section" id="reconciliation-result" data-mismatches=${report.mismatches.length}>
    <p class="hint" id="reconciliation-at">${t("ops.recon.ran_at", { at: dateTime(at) })}</p>
    ${report.mismatches.length === 0
      ? html`<${Banner} kind="ok">${t("ops.recon.clean", { n: report.wallets_checked })}</${Banner}>`
      : html`<${Banner} kind="warning">${t("ops.recon.mismatched", { m: report.mismatches.length, n: report.wallets_checked })}</${Banner}>`}
    ${tot.conserved ? null : html`<${Banner} kind="warning">${t("ops.recon.not_conserved")}</${Banner}>`}
    <dl class="ops-facts" id="reconciliation-totals">
      <div><dt>${t("ops.recon.checked")}</dt><dd id="reconciliation-checked">${count(report.wallets_checked)}</dd></div>
      <div><dt>${t("ops.recon.held")}</dt><dd id="reconciliation-held">${balance(tot.held)}</dd></div>
      <div><dt>${t("ops.recon.on_hold")}</dt><dd>${balance(tot.on_hold)}</dd></div>
      <div><dt>${t("ops.recon.net")}</dt><dd>${money(tot.net_from_entries)}</dd></div>
      <div><dt>${t("ops.recon.points")}</dt><dd>${count(tot.points)}</dd></div>
      <div><dt>${t("ops.recon.conserved")}</dt><dd id="reconciliation-conserved">${tot.conserved ? t("ops.recon.yes") : t("ops.recon.no")}</dd></div>
    </dl>
    ${liability
      ? html`<p class="hint" id="reconciliation-liability">
          ${t("ops.recon.liability")}<${Money} fen=${liability.total.total} />.
          ${diff === 0 ? t("ops.recon.liability_equal") : t("ops.recon.liability_differs", { diff: yuan(diff) })}
        </p>`
      : null}
    <${DataTable}
      id="reconciliation-mismatches"
      caption=${t("ops.recon.mismatches")}
      rows=${mismatches}
      columns=${[
        { key: "user_id", label: t("ops.recon.user") },
        { key: "stored", label: t("ops.recon.stored"), numeric: true, format: balance },
        { key: "from_entries", label: t("ops.recon.from_entries"), numeric: true, format: balance },
        { key: "difference", label: t("ops.recon.difference"), numeric: true, format: balance },
        { key: "problems_text", label: t("ops.recon.problems") },
      ]}
    />
    <${DataTable}
      id="reconciliation-flows"
      caption=${t("ops.recon.flows")}
      rows=${flows}
      columns=${[
        { key: "kind", label: t("ops.recon.kind") },
        { key: "credited", label: t("ops.recon.credited"), numeric: true, format: money },
        { key: "debited", label: t("ops.recon.debited"), numeric: true, format: money },
      ]}
    />
  </section>`;
}

export default function Reconciliation() {
  const [run, setRun] = useState(last);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function reconcile() {
    setBusy(true);
    setError(null);
    try {
      const report = await api.post("/v1/admin/reconciliations", {});
      const at = new Date().toISOString();
      const liability = await api.get("/v1/admin/reports/liability").catch(() => null);
      last = { report, at, liability };
      setRun(last);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<${Page} title=${t("ops.recon.title")}>
    <p class="ops-intro">${t("ops.recon.intro")}</p>
    <p>
      <button type="button" class="primary" id="reconcile-now" disabled=${busy} onClick=${reconcile}>
        ${busy ? t("ops.recon.running") : t("ops.recon.run")}
      </button>
    </p>
    <${ErrorBox} error=${error} retry=${reconcile} />
    ${run ? html`<${Result} run=${run} />` : html`<p class="empty" id="reconciliation-none">${t("ops.recon.never")}</p>`}
  </${Page}>`;
}
