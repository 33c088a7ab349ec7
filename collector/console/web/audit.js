// The audit log (admin and auditor).
import { el, clear } from './dom.js';
import { t } from './i18n.js';
import { fmtTime, fmtJson } from './format.js';
import { api, qs, can } from './api.js';
import { heading, table, loadingNode } from './ui.js';

export async function pageAudit(app, route, alive) {
  app.append(heading(t('audit')));
  if (!can.audit()) { app.append(el('p', { class: 'error' }, t('forbidden'))); return; }
  const box = el('div', { class: 'card' }, loadingNode());
  app.append(box);
  const r = await api('GET', '/api/v1/audit' + qs({ limit: 100 }));
  if (!alive()) return;
  const entries = (r && r.entries) || [];
  clear(box).append(entries.length ? table('audit-table', [t('at'), t('actor'), t('action'), t('object'), t('before'), t('after')],
    entries.map((e) => el('tr', { 'data-testid': 'audit-row' },
      el('td', null, fmtTime(e.at)), el('td', null, e.actor || '—'), el('td', null, e.action || '—'), el('td', { class: 'break' }, e.object || '—'),
      el('td', null, e.before ? el('pre', { class: 'json small' }, fmtJson(e.before)) : '—'),
      el('td', null, e.after ? el('pre', { class: 'json small' }, fmtJson(e.after)) : '—'))))
    : el('p', { class: 'muted' }, t('none')));
}
