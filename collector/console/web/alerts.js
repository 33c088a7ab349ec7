// The alert groups (rule, unit; issue 17) by default, with bulk group actions; a group drills
// down to its members (the member list: filters, keyset paging, bulk triage); one alert with
// its history.
import { el, clear } from './dom.js';
import { t, pick } from './i18n.js';
import { fmtTime, fmtJson, badge } from './format.js';
import { api, qs, can, PAGE } from './api.js';
import { flash, showError, heading, section, table, loadingNode, kv } from './ui.js';
import { go, render, routeHash } from './router.js';
import { unitCache } from './units.js';
import { districtAlertsSection } from './federation.js';

export async function pageAlerts(app, route, alive) {
  if (route.id) return pageAlert(app, route, alive);
  const p = route.params;
  if (p.get('view') !== 'members' && !p.get('group')) return pageGroups(app, route, alive);
  const f = { view: 'members', group: p.get('group') || '', unit: p.get('unit') || '', severity: p.get('severity') || '', status: p.get('status') || '', rule: p.get('rule') || '' };
  // Keyset paging (after/before an alert id); `offset` only numbers the rows shown.
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  const after = Number(p.get('after')) || 0, before = Number(p.get('before')) || 0;
  app.append(heading(t('alerts')));

  const unitIn = el('input', { id: 'f-unit', 'data-testid': 'filter-unit', value: f.unit, list: 'unit-codes', placeholder: t('code') });
  const unitList = el('datalist', { id: 'unit-codes' }, [...unitCache.keys()].map((c) => el('option', { value: c })));
  const sevSel = el('select', { id: 'f-severity', 'data-testid': 'filter-severity' },
    el('option', { value: '' }, t('any')), ['critical', 'high', 'medium', 'low'].map((s) => el('option', { value: s, selected: f.severity === s }, t('sev_' + s))));
  const stSel = el('select', { id: 'f-status', 'data-testid': 'filter-status' },
    el('option', { value: '' }, t('any')), ['open', 'acknowledged', 'resolved'].map((s) => el('option', { value: s, selected: f.status === s }, t('al_' + s))));
  const ruleIn = el('input', { id: 'f-rule', 'data-testid': 'filter-rule', value: f.rule });
  const form = el('form', { class: 'filters card', id: 'alert-filters', 'data-testid': 'alert-filters' },
    el('label', null, t('unit'), unitIn, unitList), el('label', null, t('severity'), sevSel),
    el('label', null, t('status'), stSel), el('label', null, t('rule'), ruleIn),
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, t('filter')),
    el('a', { href: '#/alerts', class: 'link-button' }, t('reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(routeHash('alerts', null, { view: 'members', unit: unitIn.value.trim(), severity: sevSel.value, status: stSel.value, rule: ruleIn.value.trim() }));
  });
  app.append(form);
  app.append(el('div', { class: 'row' },
    f.group ? el('span', { class: 'muted', 'data-testid': 'members-of' }, t('membersOf', { g: f.group })) : null,
    el('a', { href: '#/alerts', class: 'link-button', id: 'alerts-groups', 'data-testid': 'alerts-groups' }, t('groupsView'))));

  const box = el('div', { class: 'card' }, loadingNode());
  app.append(box);
  app.append(districtAlertsSection(f));  // a province's districts, read-only
  const { view, ...query } = f;
  const r = await api('GET', '/api/v1/alerts' + qs({ ...query, limit: PAGE, after_id: after || '', before_id: after ? '' : before || '' }));
  if (!alive()) return;
  const alerts = (r && r.alerts) || [];
  const total = Number(r && r.total) || alerts.length;
  clear(box);

  const checks = new Map();
  const triage = can.triage();
  const count = el('span', { class: 'muted', 'data-testid': 'selected-count' }, t('selected', { n: 0 }));
  const bulkBar = el('div', { class: 'row bulk', id: 'bulk-bar', 'data-testid': 'bulk-bar' });
  const assignee = el('input', { id: 'bulk-assignee', 'data-testid': 'bulk-assignee', placeholder: t('assigneePh') });
  const selectedIds = () => [...checks.entries()].filter(([, c]) => c.checked).map(([id]) => id);
  const refreshCount = () => { count.textContent = t('selected', { n: selectedIds().length }); };
  async function bulk(action) {
    const ids = selectedIds();
    if (!ids.length) return;
    if (action === 'assign' && !assignee.value.trim()) { assignee.focus(); return; }
    try {
      const body = { ids, action };
      if (action === 'assign') body.assignee = assignee.value.trim();
      const res = await api('POST', '/api/v1/alerts/bulk', body);
      flash(t('bulkDone', { n: res && res.updated !== undefined ? res.updated : ids.length }), 'ok');
      render();
    } catch (err) { showError(err); }
  }
  if (triage) {
    const all = el('input', { type: 'checkbox', id: 'select-all', 'data-testid': 'select-all', 'aria-label': t('selectAll') });
    all.addEventListener('change', () => { for (const c of checks.values()) c.checked = all.checked; refreshCount(); });
    bulkBar.append(el('label', null, all, ' ', t('selectAll')), count,
      el('button', { type: 'button', 'data-testid': 'bulk-ack', id: 'bulk-ack', onclick: () => bulk('ack') }, t('ack')),
      el('button', { type: 'button', 'data-testid': 'bulk-resolve', id: 'bulk-resolve', onclick: () => bulk('resolve') }, t('resolve')),
      assignee,
      el('button', { type: 'button', 'data-testid': 'bulk-assign', id: 'bulk-assign', onclick: () => bulk('assign') }, t('assign')));
    box.append(bulkBar);
  }
  if (!alerts.length) { box.append(el('p', { class: 'muted', 'data-testid': 'alerts-empty' }, t('none'))); return; }
  const headers = [t('severity'), t('status'), t('titleCol'), t('unit'), t('subject'), t('lastSeen'), t('assignee')];
  if (triage) headers.unshift('');
  box.append(table('alerts-table', headers, alerts.map((a) => {
    const cells = [
      el('td', null, badge('sev', a.severity)),
      el('td', null, badge('al', a.status, 'alert-status')),
      el('td', null, el('a', { href: routeHash('alerts', String(a.id)), 'data-testid': 'alert-link' }, pick(a, 'title') || a.rule),
        el('div', { class: 'muted small' }, a.rule)),
      el('td', null, a.unit || '—'), el('td', { class: 'break' }, subjectLink(a.subject)),
      el('td', null, fmtTime(a.last_seen)), el('td', null, a.assignee || '—'),
    ];
    if (triage) {
      const c = el('input', { type: 'checkbox', 'data-testid': 'alert-check', 'aria-label': String(a.id), value: String(a.id) });
      c.addEventListener('change', refreshCount);
      checks.set(a.id, c);
      cells.unshift(el('td', null, c));
    }
    return el('tr', { 'data-testid': 'alert-row', 'data-alert-id': a.id, 'data-status': a.status }, cells);
  })));
  const first = alerts.length ? alerts[0].id : 0, last = alerts.length ? alerts[alerts.length - 1].id : 0;
  const atStart = offset === 0 || (!after && !before);
  box.append(el('div', { class: 'row pager', 'data-testid': 'pager' },
    !atStart && first ? el('a', { href: routeHash('alerts', null, { ...f, before: first, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button' }, t('prev')) : null,
    el('span', { class: 'muted' }, t('pageOf', { a: alerts.length ? offset + 1 : 0, b: offset + alerts.length, t: total })),
    alerts.length === PAGE && last && offset + alerts.length < total
      ? el('a', { href: routeHash('alerts', null, { ...f, after: last, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
}

// The groups: one row per (rule, unit) with its open / acknowledged members; a click on a
// group lists its members; checkboxes act on whole groups (POST /api/v1/alerts/groups/actions).
async function pageGroups(app, route, alive) {
  const p = route.params;
  const f = { unit: p.get('unit') || '', severity: p.get('severity') || '', status: p.get('status') || '', rule: p.get('rule') || '' };
  const after = Number(p.get('after')) || 0, before = Number(p.get('before')) || 0;
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  app.append(heading(t('alerts')));
  const unitIn = el('input', { id: 'f-unit', 'data-testid': 'filter-unit', value: f.unit, list: 'unit-codes', placeholder: t('code') });
  const unitList = el('datalist', { id: 'unit-codes' }, [...unitCache.keys()].map((c) => el('option', { value: c })));
  const sevSel = el('select', { id: 'f-severity', 'data-testid': 'filter-severity' },
    el('option', { value: '' }, t('any')), ['critical', 'high', 'medium', 'low'].map((s) => el('option', { value: s, selected: f.severity === s }, t('sev_' + s))));
  const stSel = el('select', { id: 'f-status', 'data-testid': 'filter-status' },
    el('option', { value: '' }, t('any')), ['open', 'acknowledged', 'resolved'].map((s) => el('option', { value: s, selected: f.status === s }, t('al_' + s))));
  const ruleIn = el('input', { id: 'f-rule', 'data-testid': 'filter-rule', value: f.rule });
  const form = el('form', { class: 'filters card', id: 'alert-filters', 'data-testid': 'alert-filters' },
    el('label', null, t('unit'), unitIn, unitList), el('label', null, t('severity'), sevSel),
    el('label', null, t('status'), stSel), el('label', null, t('rule'), ruleIn),
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, t('filter')),
    el('a', { href: '#/alerts', class: 'link-button' }, t('reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(routeHash('alerts', null, { unit: unitIn.value.trim(), severity: sevSel.value, status: stSel.value, rule: ruleIn.value.trim() }));
  });
  app.append(form);
  app.append(el('div', { class: 'row' }, el('a', { href: routeHash('alerts', null, { ...f, view: 'members' }), class: 'link-button', id: 'alerts-members', 'data-testid': 'alerts-members' }, t('membersView'))));
  const box = el('div', { class: 'card' }, loadingNode());
  app.append(box);
  app.append(districtAlertsSection(f));
  const r = await api('GET', '/api/v1/alerts/groups' + qs({ ...f, limit: PAGE, after_id: after || '', before_id: after ? '' : before || '' }));
  if (!alive()) return;
  const groups = (r && r.groups) || [];
  const total = Number(r && r.total) || groups.length;
  clear(box);

  const checks = new Map();
  const triage = can.triage();
  const count = el('span', { class: 'muted', 'data-testid': 'selected-count' }, t('selected', { n: 0 }));
  const assignee = el('input', { id: 'bulk-assignee', 'data-testid': 'bulk-assignee', placeholder: t('assigneePh') });
  const selected = () => [...checks.entries()].filter(([, c]) => c.checked).map(([k]) => k);
  const refreshCount = () => { count.textContent = t('selected', { n: selected().length }); };
  async function bulk(action) {
    const keys = selected();
    if (!keys.length) return;
    if (action === 'assign' && !assignee.value.trim()) { assignee.focus(); return; }
    try {
      const body = { groups: keys, action };
      if (action === 'assign') body.assignee = assignee.value.trim();
      const res = await api('POST', '/api/v1/alerts/groups/actions', body);
      flash(t('groupsDone', { n: res ? res.updated : keys.length, m: res ? res.members : 0 }), 'ok');
      render();
    } catch (err) { showError(err); }
  }
  if (triage) {
    const all = el('input', { type: 'checkbox', id: 'select-all', 'data-testid': 'select-all', 'aria-label': t('selectAll') });
    all.addEventListener('change', () => { for (const c of checks.values()) c.checked = all.checked; refreshCount(); });
    box.append(el('div', { class: 'row bulk', id: 'bulk-bar', 'data-testid': 'bulk-bar' },
      el('label', null, all, ' ', t('selectAll')), count,
      el('button', { type: 'button', 'data-testid': 'bulk-ack', id: 'bulk-ack', onclick: () => bulk('ack') }, t('ack')),
      el('button', { type: 'button', 'data-testid': 'bulk-resolve', id: 'bulk-resolve', onclick: () => bulk('resolve') }, t('resolve')),
      assignee,
      el('button', { type: 'button', 'data-testid': 'bulk-assign', id: 'bulk-assign', onclick: () => bulk('assign') }, t('assign'))));
  }
  if (!groups.length) { box.append(el('p', { class: 'muted', 'data-testid': 'alerts-empty' }, t('none'))); return; }
  const headers = [t('severity'), t('status'), t('titleCol'), t('unit'), t('membersCol'), t('lastSeen'), t('assignee')];
  if (triage) headers.unshift('');
  box.append(table('groups-table', headers, groups.map((g) => {
    const cells = [
      el('td', null, badge('sev', g.severity)),
      el('td', null, badge('al', g.status, 'group-status')),
      el('td', null, el('a', { href: routeHash('alerts', null, { group: g.key }), 'data-testid': 'group-link' }, pick(g, 'title') || g.rule),
        el('div', { class: 'muted small' }, g.rule)),
      el('td', null, g.unit || t('fleet')),
      el('td', null, el('span', { class: 'badge members', 'data-testid': 'group-members', 'data-open': g.open, 'data-acknowledged': g.acknowledged },
        t('membersBadge', { o: g.open, a: g.acknowledged })),
        g.status === 'open' && g.acknowledged > 0 ? el('div', { class: 'muted small' }, t('newSinceAck', { n: g.open })) : null),
      el('td', null, fmtTime(g.last_seen)), el('td', null, g.assignee || '—'),
    ];
    if (triage) {
      const c = el('input', { type: 'checkbox', 'data-testid': 'group-check', 'aria-label': g.key, value: g.key });
      c.addEventListener('change', refreshCount);
      checks.set(g.key, c);
      cells.unshift(el('td', null, c));
    }
    return el('tr', { 'data-testid': 'group-row', 'data-group': g.key, 'data-status': g.status }, cells);
  })));
  const first = groups[0].id, last = groups[groups.length - 1].id;
  const atStart = offset === 0 || (!after && !before);
  box.append(el('div', { class: 'row pager', 'data-testid': 'pager' },
    !atStart ? el('a', { href: routeHash('alerts', null, { ...f, before: first, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button' }, t('prev')) : null,
    el('span', { class: 'muted' }, t('pageOf', { a: offset + 1, b: offset + groups.length, t: total })),
    groups.length === PAGE && offset + groups.length < total
      ? el('a', { href: routeHash('alerts', null, { ...f, after: last, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
  const rules = (r && r.rules) || [];
  if (rules.length) {
    app.append(section(t('byRule'), 'rule-rollup', table('rule-rollup-table', [t('rule'), t('titleCol'), t('unitsCol'), t('membersCol')],
      rules.map((x) => el('tr', { 'data-testid': 'rule-row' }, el('td', null, x.rule), el('td', null, pick(x, 'title') || '—'),
        el('td', null, String(x.units)), el('td', null, t('membersBadge', { o: x.open, a: x.acknowledged })))))));
  }
}

async function pageAlert(app, route, alive) {
  const id = route.id;
  app.append(heading(t('alerts') + ' #' + id, el('a', { href: '#/alerts', class: 'link-button' }, t('back'))));
  const a = await api('GET', '/api/v1/alerts/' + encodeURIComponent(id));
  if (!alive()) return;
  const act = async (path, body) => {
    try { await api('POST', `/api/v1/alerts/${encodeURIComponent(id)}/${path}`, body || {}); flash(t('done'), 'ok'); render(); }
    catch (err) { showError(err); }
  };
  app.append(section(pick(a, 'title') || a.rule, 'alert-detail',
    el('dl', { class: 'kv' },
      kv(t('status'), badge('al', a.status, 'alert-status')), kv(t('severity'), badge('sev', a.severity)),
      kv(t('rule'), a.rule), kv(t('unit'), a.unit), kv(t('subject'), subjectLink(a.subject)),
      kv(t('firstSeen'), fmtTime(a.first_seen)), kv(t('lastSeen'), fmtTime(a.last_seen)),
      kv(t('assignee'), el('span', { 'data-testid': 'alert-assignee' }, a.assignee || '—'))),
    el('h3', null, t('detail')),
    el('pre', { class: 'evidence', 'data-testid': 'alert-evidence' }, fmtJson(a.detail) || '—')));

  if (can.triage()) {
    const assignee = el('input', { id: 'assign-input', 'data-testid': 'assign-input', placeholder: t('assigneePh'), value: a.assignee || '' });
    const comment = el('textarea', { id: 'comment-input', 'data-testid': 'comment-input', placeholder: t('commentPh'), rows: 3 });
    app.append(section(t('action'), 'alert-actions',
      el('div', { class: 'row' },
        a.status === 'open' ? el('button', { type: 'button', class: 'primary', id: 'alert-ack', 'data-testid': 'alert-ack', onclick: () => act('ack') }, t('ack')) : null,
        a.status !== 'resolved' ? el('button', { type: 'button', id: 'alert-resolve', 'data-testid': 'alert-resolve', onclick: () => act('resolve') }, t('resolve')) : null),
      el('div', { class: 'row' }, assignee,
        el('button', { type: 'button', id: 'alert-assign', 'data-testid': 'alert-assign', onclick: () => assignee.value.trim() && act('assign', { assignee: assignee.value.trim() }) }, t('assign'))),
      el('div', { class: 'row' }, comment,
        el('button', { type: 'button', id: 'alert-comment', 'data-testid': 'alert-comment', onclick: () => comment.value.trim() && act('comment', { text: comment.value }) }, t('comment')))));
  }

  const events = a.events || [];
  app.append(section(t('events'), 'alert-events', events.length ? table('events-table', [t('at'), t('actor'), t('action'), t('detail')],
    events.map((e) => el('tr', { 'data-testid': 'event-row' },
      el('td', null, fmtTime(e.at)), el('td', null, e.actor || '—'), el('td', null, evName(e.event || e.action)),
      el('td', { class: 'break' }, e.text ?? e.detail ?? e.comment ?? '')))) : el('p', { class: 'muted' }, t('none'))));
}
// "endpoint:AGENT" and "unit:CODE" subjects link to their page.
export function subjectLink(subject) {
  const m = /^(endpoint|unit):(.+)$/.exec(subject || '');
  if (!m) return subject || '—';
  const href = m[1] === 'endpoint' ? routeHash('endpoints', m[2]) : routeHash('overview', null, { unit: m[2] });
  return el('a', { href, 'data-testid': 'subject-link' }, subject);
}
function evName(ev) {
  if (!ev) return '—';
  const k = 'ev_' + ev;
  return t(k) === k ? String(ev) : t(k);
}
