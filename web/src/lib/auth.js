// The session: a Cognito ID token kept in sessionStorage only (never a cookie; gone with the tab; cleared on
// sign-out). Production signs in through the user pool's hosted sign-in with the authorization-code flow and
// PKCE; the local stack signs its demo users in against the local pool (Cognito's InitiateAuth, proxied on the
// same origin by dev/web_server.py). Which one: /app/config.json (written by the infra, or by the local server).
const KEY = "sb.session";
const PKCE = "sb.pkce";
let configPromise;

export function config() {
  configPromise ??= fetch("/app/config.json", { cache: "no-store" }).then((r) => {
    if (!r.ok) throw new Error(`config.json: ${r.status}`);
    return r.json();
  });
  return configPromise;
}

function decode(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")))
        .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
        .join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

// a place in the app to go after signing in: a path of this origin under /app/, read as the browser reads it
// (a prefix test would let "/app/..//evil.example/" through)
export function safeNext(next) {
  if (typeof next !== "string") return "/app/";
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin && url.pathname.startsWith("/app/") ? url.pathname + url.search : "/app/";
  } catch {
    return "/app/";
  }
}

export function session() {
  let s;
  try {
    s = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    s = null;
  }
  if (!s?.idToken) return null;
  const claims = decode(s.idToken);
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return { ...s, claims, username: s.username || claims["cognito:username"] || claims.sub };
}

export function token() {
  return session()?.idToken ?? null;
}

// what the signed-in user may see: everyone has a wallet; `admin` runs operations; `merchant:<id>` staff a shop
export function roles(s = session()) {
  const groups = s?.claims?.["cognito:groups"] || [];
  return {
    customer: Boolean(s),
    admin: groups.includes("admin"),
    merchants: groups.filter((g) => g.startsWith("merchant:")).map((g) => g.slice("merchant:".length)),
  };
}

// only the ID token is kept: no refresh token (nothing here renews a session, and one left in storage would
// outlive the sign-out, which does not revoke it); an expired session signs in again
function store(idToken, username) {
  sessionStorage.setItem(KEY, JSON.stringify({ idToken, username }));
}

export async function signInLocal(username, password) {
  const c = await config();
  const r = await fetch(c.cognitoPath, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: c.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok || !body.AuthenticationResult?.IdToken) {
    throw new Error(body.message || body.__type || `HTTP ${r.status}`);
  }
  store(body.AuthenticationResult.IdToken, username);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

// the hosted sign-in: a fresh verifier and state per attempt, kept in sessionStorage until the callback
export async function signInHosted(next = "/app/") {
  const c = await config();
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, next }));
  const q = new URLSearchParams({
    response_type: "code",
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: "openid email profile",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${c.domain}/oauth2/authorize?${q}`);
}

export async function finishHosted(search) {
  const c = await config();
  const q = new URLSearchParams(search);
  const saved = JSON.parse(sessionStorage.getItem(PKCE) || "null");
  sessionStorage.removeItem(PKCE);
  if (q.get("error")) throw new Error(q.get("error_description") || q.get("error"));
  if (!saved || !q.get("code") || q.get("state") !== saved.state) throw new Error("state");
  const r = await fetch(`${c.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: c.clientId,
      code: q.get("code"),
      redirect_uri: c.redirectUri,
      code_verifier: saved.verifier,
    }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok || !body.id_token) throw new Error(body.error || `HTTP ${r.status}`);
  store(body.id_token, null);
  return safeNext(saved.next);
}

export async function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(PKCE);
  const c = await config().catch(() => ({}));
  if (c.auth === "hosted") {
    location.assign(`${c.domain}/logout?${new URLSearchParams({ client_id: c.clientId, logout_uri: c.logoutUri })}`);
  } else {
    location.assign("/app/signin");
  }
}
