// Strings by language: zh-CN first, English second. Each page module adds its own with addStrings(), so no one
// file holds every string. The choice is kept in localStorage (a preference, not a secret).
const STRINGS = { "zh-CN": {}, en: {} };
const LANGS = ["zh-CN", "en"];
let current = pick();
const listeners = new Set();

function pick() {
  const saved = globalThis.localStorage?.getItem("sb.lang");
  return LANGS.includes(saved) ? saved : "zh-CN"; // Chinese first; the switch keeps the choice
}

export function addStrings(table) {
  for (const lang of LANGS) Object.assign(STRINGS[lang], table[lang] || {});
}

export function lang() {
  return current;
}

export function languages() {
  return LANGS;
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  localStorage.setItem("sb.lang", next);
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// t(key) or t(key, {percent: 50}) with {percent} in the text: a missing key shows itself, so a gap is visible
export function t(key, vars) {
  const text = STRINGS[current][key] ?? STRINGS["zh-CN"][key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`)) : text;
}

addStrings({
  "zh-CN": {
    "app.name": "余额",
    "app.loading": "加载中…",
    "app.retry": "重试",
    "app.error": "出错了",
    "app.not_found": "页面不存在",
    "app.not_found_hint": "请检查地址，或返回首页。",
    "app.home": "返回首页",
    "app.forbidden": "您没有查看此页面的权限。",
    "app.language": "语言",
    "app.sign_out": "退出",
    "app.sign_in": "登录",
    "app.signed_in_as": "已登录：{user}",
    "app.menu": "菜单",
    "app.skip": "跳到正文",
    "app.more": "加载更多",
    "app.none": "暂无数据",
    "app.table": "数据表",
    "app.chart": "图表",
    "app.show_table": "查看数据表",
    "app.show_chart": "查看图表",
    "app.download_csv": "下载 CSV",
    "app.save": "保存",
    "app.cancel": "取消",
    "app.saved": "已保存",
    "app.close": "关闭",
    "area.customer": "我的钱包",
    "area.merchant": "商家后台",
    "area.operator": "运营看板",
    "signin.title": "登录",
    "signin.username": "用户名",
    "signin.password": "密码",
    "signin.submit": "登录",
    "signin.local_note": "本地环境：使用本地用户池中的演示用户（密码见 README）。",
    "signin.demo_users": "演示用户",
    "signin.hosted": "使用账户登录",
    "signin.failed": "登录失败：{message}",
    "signin.working": "正在登录…",
    "callback.working": "正在完成登录…",
    "callback.failed": "登录未完成：{message}",
  },
  en: {
    "app.name": "Store balance",
    "app.loading": "Loading…",
    "app.retry": "Try again",
    "app.error": "Something went wrong",
    "app.not_found": "Page not found",
    "app.not_found_hint": "Check the address, or go back to the start.",
    "app.home": "Back to start",
    "app.forbidden": "You may not see this page.",
    "app.language": "Language",
    "app.sign_out": "Sign out",
    "app.sign_in": "Sign in",
    "app.signed_in_as": "Signed in as {user}",
    "app.menu": "Menu",
    "app.skip": "Skip to content",
    "app.more": "Load more",
    "app.none": "Nothing yet",
    "app.table": "Table",
    "app.chart": "Chart",
    "app.show_table": "Show the table",
    "app.show_chart": "Show the chart",
    "app.download_csv": "Download CSV",
    "app.save": "Save",
    "app.cancel": "Cancel",
    "app.saved": "Saved",
    "app.close": "Close",
    "area.customer": "My wallet",
    "area.merchant": "Merchant console",
    "area.operator": "Operations",
    "signin.title": "Sign in",
    "signin.username": "User name",
    "signin.password": "Password",
    "signin.submit": "Sign in",
    "signin.local_note": "Local stack: sign in as a demo user of the local user pool (password in the README).",
    "signin.demo_users": "Demo users",
    "signin.hosted": "Sign in with your account",
    "signin.failed": "Sign-in failed: {message}",
    "signin.working": "Signing in…",
    "callback.working": "Finishing sign-in…",
    "callback.failed": "Sign-in did not finish: {message}",
  },
});
