// The flash line, error messages and the blocks every page is built of (text only).
import { $, el } from './dom.js';
import { t } from './i18n.js';
import { api, ApiError } from './api.js';

let flashTimer = 0;
export function flash(text, kind) {
  const f = $('flash');
  f.textContent = text; f.className = 'flash flash-' + (kind || 'info'); f.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { f.hidden = true; }, 6000);
}
export function showError(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return;
    flash(err.status === 403 && !err.body.message_vi ? t('forbidden') : err.text(), 'error');
  } else {
    flash(`${t('error')}: ${err && err.message ? err.message : err}`, 'error');
  }
}
export function heading(text, extra) {
  return el('div', { class: 'page-head' }, el('h1', { id: 'page-title', 'data-testid': 'page-title' }, text), extra);
}
export function section(title, testid, ...children) {
  return el('section', { class: 'card', 'data-testid': testid, id: testid }, el('h2', null, title), ...children);
}
export function table(testid, headers, rows) {
  return el('div', { class: 'table-wrap' }, el('table', { 'data-testid': testid, id: testid },
    el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, rows)));
}
export const loadingNode = () => el('p', { class: 'muted' }, t('loading'));
export function kv(k, v) { return el('div', null, el('dt', null, k), el('dd', null, v ?? '—')); }
// GET `path` as a file download (the name the server gives, else `fallback`); the name.
export async function downloadFile(path, fallback) {
  const res = await api('GET', path, undefined, { raw: true });
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd);
  const name = m ? decodeURIComponent(m[1] || m[2]) : fallback;
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, class: 'hidden' });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}
