// The console API: fetch with the session's CSRF token on every non-GET request, errors as
// ApiError (with the server's Vietnamese and English message), and what the role may do.
import { lang, t } from './i18n.js';

// The signed-in user: {user, role, csrf}, or null. A live binding: only setSession changes it.
export let session = null;
export function setSession(s) { session = s || null; }

// What a 401 on an ordinary request does (app.js: forget the session, back to the login).
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message_en || e.message_vi || `HTTP ${status}`);
    this.status = status; this.code = e.code || String(status); this.body = e; this.headers = headers;
  }
  text() { return (lang === 'en' ? this.body.message_en : this.body.message_vi) || this.body.message_vi || this.body.message_en || `${t('error')} ${this.status}`; }
}

export async function api(method, path, body, opts) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && session && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (opts && opts.raw) {
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers);
    return res;
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data, res.headers);
    if (res.status === 401 && !(opts && opts.allow401)) {
      session = null;
      onUnauthorized();
    }
    throw err;
  }
  return data;
}
export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
};

export const can = {
  triage: () => session && (session.role === 'admin' || session.role === 'soc'),
  exportData: () => session && (session.role === 'admin' || session.role === 'auditor'),
  audit: () => session && (session.role === 'admin' || session.role === 'auditor'),
  admin: () => !!session && session.role === 'admin',
};

// Rows per page of the alert and endpoint lists.
export const PAGE = 50;
