// The hosted sign-in's redirect back: exchange the code (with the PKCE verifier) for tokens, then go on.
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { finishHosted } from "../lib/auth.js";
import { t } from "../lib/i18n.js";
import { Page } from "../lib/ui.js";

export default function Callback({ navigate }) {
  const [error, setError] = useState(null);
  useEffect(() => {
    finishHosted(location.search).then((next) => navigate(next, { replace: true }), setError);
  }, []);
  return html`<${Page} title=${t("signin.title")}>
    <p role="status">${error ? t("callback.failed", { message: error.message }) : t("callback.working")}</p>
    ${error ? html`<p><a href="/app/signin">${t("app.sign_in")}</a></p>` : null}
  </${Page}>`;
}
