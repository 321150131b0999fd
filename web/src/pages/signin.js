// Sign-in: the hosted sign-in in production (authorization code + PKCE), a form for the local pool's demo users.
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { config, safeNext, session, signInHosted, signInLocal } from "../lib/auth.js";
import { t } from "../lib/i18n.js";
import { Field, Loading, Page } from "../lib/ui.js";

export default function SignIn({ query, navigate }) {
  const [cfg, setCfg] = useState(null);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [state, setState] = useState({ busy: false, error: null });
  const next = safeNext(query.next);
  useEffect(() => {
    if (session()) navigate(next, { replace: true });
    config().then(setCfg, (error) => setState({ busy: false, error }));
  }, []);
  if (!cfg && !state.error) return html`<${Loading} />`;
  const submit = async (e) => {
    e.preventDefault();
    setState({ busy: true, error: null });
    try {
      await signInLocal(username.trim(), password);
      navigate(next, { replace: true });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return html`<${Page} title=${t("signin.title")}>
    ${state.error ? html`<p class="error" role="alert" id="signin-error">${t("signin.failed", { message: state.error.message })}</p>` : null}
    ${cfg?.auth === "hosted"
      ? html`<button type="button" class="primary" id="signin-hosted" onClick=${() => signInHosted(next)}>${t("signin.hosted")}</button>`
      : html`<form class="card narrow" onSubmit=${submit} id="signin-form">
          <p class="hint">${t("signin.local_note")}</p>
          <${Field} id="signin-username" label=${t("signin.username")}>
            <input id="signin-username" name="username" autocomplete="username" required value=${username}
              onInput=${(e) => setUsername(e.target.value)} />
          </${Field}>
          <${Field} id="signin-password" label=${t("signin.password")}>
            <input id="signin-password" name="password" type="password" autocomplete="current-password" required
              value=${password} onInput=${(e) => setPassword(e.target.value)} />
          </${Field}>
          <button type="submit" class="primary" id="signin-submit" disabled=${state.busy}>
            ${state.busy ? t("signin.working") : t("signin.submit")}
          </button>
          ${cfg?.demoUsers?.length
            ? html`<p class="hint">${t("signin.demo_users")}: ${cfg.demoUsers.map((u) => html`<code>${u}</code> `)}</p>`
            : null}
        </form>`}
  </${Page}>`;
}
