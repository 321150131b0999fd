// The API on the same origin (CloudFront in production, dev/web_server.py locally): relative URLs, no CORS.
import { signOut, token } from "./auth.js";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function call(method, path, { params, body, idempotent, key } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotent || key) headers["Idempotency-Key"] = key || newKey();
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const e = data?.error || {};
    if (r.status === 401) {
      await signOut();
    }
    // the envelope is {"error": {"code", "message", "details": {...}}}; a few refusals put fields beside them
    const { code, message, details, ...beside } = e;
    throw new ApiError(r.status, code || `http_${r.status}`, message || r.statusText, { ...beside, ...(details || {}) });
  }
  return data;
}

export const api = {
  get: (path, params) => call("GET", path, { params }),
  post: (path, body, opts = {}) => call("POST", path, { body: body ?? {}, ...opts }),
  put: (path, body, opts = {}) => call("PUT", path, { body: body ?? {}, ...opts }),
  del: (path, opts = {}) => call("DELETE", path, opts),
  newKey,
};
