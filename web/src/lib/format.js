// Money is integer fen everywhere in the API; shown as yuan. Dates in the browser's own time zone.
import { lang } from "./i18n.js";

const locale = () => (lang() === "en" ? "en-GB" : "zh-CN");

export function yuan(fen) {
  if (fen === null || fen === undefined || Number.isNaN(Number(fen))) return "—";
  const n = Number(fen);
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  const whole = Math.floor(abs / 100).toLocaleString(locale());
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
}

// "12.34" (a form's yuan) -> 1234 fen; null when it is not an amount with at most two decimals
export function toFen(text) {
  const s = String(text ?? "").trim();
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(s)) return null;
  const [whole, frac = ""] = s.split(".");
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
}

export function fenToInput(fen) {
  return (Number(fen) / 100).toFixed(2);
}

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? String(iso)
    : d.toLocaleString(locale(), { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function day(iso) {
  if (!iso) return "—";
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return Number.isNaN(d.getTime())
    ? String(iso)
    : d.toLocaleDateString(locale(), { year: "numeric", month: "2-digit", day: "2-digit" });
}

export function percent(value, digits = 1) {
  if (value === null || value === undefined) return "—";
  return `${(Number(value) * 100).toFixed(digits)}%`;
}

export function count(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString(locale());
}
