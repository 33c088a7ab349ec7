// The endpoint list (filters, sort by any column, keyset paging, CSV; posture at a glance;
// this collector's endpoints and, at a province, its districts' with their source) and one endpoint: its checks, remediation, history of
// changes and latest report (a district's endpoint: federation.js).
import { el, clear } from './dom.js';
import { lang, t, pick } from './i18n.js';
import { fmtTime, fmtJson } from './format.js';
import { api, ApiError, can, qs, PAGE } from './api.js';
import { heading, section, table, loadingNode, kv } from './ui.js';
import { go, routeHash } from './router.js';
import { unitCache } from './units.js';
import { federatedEndpoint } from './federation.js';
import { endpointExceptions } from './exceptions.js';

// An endpoint's page: a child's row (issue 16) is named with its source.
const endpointHref = (e) => routeHash('endpoints', e.agent_id, e.source ? { source: e.source } : null);

// Posture at a glance (issue 17): one badge per column, ok / warn / bad / unknown as the API
// grades it; the column's sort key in the API (null: not sortable).
const yn = (v) => (v === true ? t('yes') : v === false ? t('no') : t('unknownShort'));
const POSTURE = [
  ['av', 'av_product', 'colAv', (p) => p.av_product || (p.av_installed === false ? t('avNone') : t('unknownShort'))],
  ['real_time', 'real_time', 'colRealTime', (p) => yn(p.real_time)],
  ['signature', 'signature_age', 'colSignature', (p) => (p.signature_age_days == null ? t('unknownShort') : t('daysN', { n: p.signature_age_days }))],
  ['pending', 'pending', 'colPending', (p) => (p.pending == null ? t('unknownShort') : String(p.pending))],
  ['security', 'security', 'colSecurity', (p) => (p.security == null ? t('unknownShort') : String(p.security))],
  ['reboot', 'reboot', 'colReboot', (p) => yn(p.reboot)],
  ['ipv6', 'ipv6', 'colIpv6', (p) => (p.ipv6 == null ? t('unknownShort') : t('levelN', { n: p.ipv6 }))],
  ['firewall', 'firewall', 'colFirewall', (p) => yn(p.firewall)],
];
const BADGE_CLASS = { ok: 'b-ok', warn: 'b-warn', bad: 'b-bad', unknown: 'b-unknown' };

// The list's columns: [label key, sort key]; `sortHeader(key, label)` makes a header a link.
export function endpointTable(list, testid, sortHeader) {
  const cols = [['hostname', 'hostname'], ['unit', 'unit'], ['source', null], ['os', 'os'], ['lastSeen', 'last_seen'],
    ['stale', null], ['failing', null], ...POSTURE.map(([, sort, label]) => [label, sort])];
  const headers = cols.map(([label, sort]) => (sortHeader && sort ? sortHeader(sort, t(label)) : t(label)));
  return table(testid || 'endpoints-table', headers,
    list.map((e) => el('tr', { 'data-testid': 'endpoint-row', 'data-agent-id': e.agent_id, 'data-source': e.source || '' },
      el('td', null, el('a', { href: endpointHref(e), 'data-testid': 'endpoint-link' }, e.hostname || e.agent_id),
        el('div', { class: 'muted small' }, e.agent_id)),
      el('td', null, e.unit || '—'),
      el('td', { 'data-testid': 'endpoint-source' }, e.source ? el('span', { class: 'mono small' }, e.source) : t('sourceLocal')),
      el('td', null, e.os || '—'), el('td', null, fmtTime(e.last_seen)),
      el('td', null, e.stale ? el('span', { class: 'badge st-missed' }, t('yes')) : t('no')),
      el('td', { class: 'num' }, Array.isArray(e.failing) ? e.failing.length : (e.failing ?? '—')),
      POSTURE.map(([key, , , text]) => {
        const level = (e.badges && e.badges[key]) || 'unknown';
        return el('td', { 'data-col': key },
          el('span', { class: 'badge ' + BADGE_CLASS[level], 'data-testid': 'posture-' + key, 'data-level': level,
            title: key === 'av' ? text(e.posture || {}) : t('level_' + level) }, text(e.posture || {})));
      }))));
}

// The list's view lives in the hash (#/endpoints?q=&unit=&os=&rule=&stale=&sort=&dir=), so a
// link to it opens the same view; after / before are the row cursors of the page shown.
const VIEW = ['q', 'unit', 'os', 'rule', 'stale', 'sort', 'dir'];

export async function pageEndpoints(app, route, alive) {
  if (route.id) return pageEndpoint(app, route, alive);
  const view = Object.fromEntries(VIEW.map((k) => [k, route.params.get(k) || '']));
  // Keyset paging under every sort: `after` / `before` carry a row's cursor (the API's
  // `cursor`). `offset` only numbers the rows shown.
  const offset = Math.max(0, Number(route.params.get('offset')) || 0);
  const after = route.params.get('after') || '', before = after ? '' : route.params.get('before') || '';
  app.append(heading(t('endpoints')));
  const input = (k, extra) => {
    const id = 'endpoint-' + (k === 'q' ? 'search' : k);
    return el('input', { id, 'data-testid': id, value: view[k], ...extra });
  };
  const qIn = input('q', { type: 'search', placeholder: t('searchPh') });
  const unitIn = input('unit', { list: 'unit-codes-e', placeholder: t('unit') });
  const osIn = input('os', { placeholder: 'Windows 10' });
  const ruleIn = input('rule', { placeholder: t('rulePh') });
  const staleIn = el('select', { id: 'endpoint-stale', 'data-testid': 'endpoint-stale' },
    [['', t('any')], ['1', t('staleOnly')], ['0', t('notStale')]].map(([v, label]) => el('option', { value: v, selected: view.stale === v }, label)));
  const form = el('form', { class: 'filters card' }, el('label', null, t('search'), qIn),
    el('label', null, t('unit'), unitIn, el('datalist', { id: 'unit-codes-e' }, [...unitCache.keys()].map((c) => el('option', { value: c })))),
    el('label', null, t('os'), osIn), el('label', null, t('failingRule'), ruleIn), el('label', null, t('stale'), staleIn),
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'endpoint-search-go' }, t('search')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(routeHash('endpoints', null, { ...view, q: qIn.value.trim(), unit: unitIn.value.trim(), os: osIn.value.trim(),
      rule: ruleIn.value.trim(), stale: staleIn.value }));
  });
  app.append(form);
  const status = el('span', { class: 'muted', 'data-testid': 'endpoint-csv-status' });
  if (can.exportData()) {
    app.append(el('div', { class: 'row' }, el('button', { type: 'button', id: 'endpoint-csv', 'data-testid': 'endpoint-csv',
      onclick: () => downloadCsv(view, status) }, 'CSV'), status));
  }
  const box = el('div', { class: 'card' }, loadingNode());
  app.append(box);
  let r;
  try {
    r = await api('GET', '/api/v1/endpoints' + qs({ ...view, limit: PAGE, after, before }));
  } catch (err) {
    if (!alive()) return;
    clear(box).append(el('p', { class: 'error', 'data-testid': 'endpoint-error' }, err instanceof ApiError ? err.text() : String(err && err.message || err)));
    return;
  }
  if (!alive()) return;
  const list = (r && r.endpoints) || [];
  const total = Number(r && r.total) || list.length;
  const sort = view.sort || 'unit', dir = view.dir || 'asc';
  // A header sorts by its column; the current one again turns the direction round.
  const sortHeader = (key, label) => el('a', { href: routeHash('endpoints', null, { ...view, sort: key, dir: sort === key && dir === 'asc' ? 'desc' : 'asc' }),
    'data-testid': 'sort-' + key, 'data-sorted': sort === key ? dir : null, class: sort === key ? 'sorted' : null },
  label, sort === key ? (dir === 'asc' ? ' ▲' : ' ▼') : '');
  const first = list.length ? list[0].cursor : '', last = list.length ? list[list.length - 1].cursor : '';
  clear(box).append(list.length ? endpointTable(list, null, sortHeader) : el('p', { class: 'muted' }, t('none')),
    el('div', { class: 'row pager', 'data-testid': 'pager' },
      offset > 0 && first ? el('a', { href: routeHash('endpoints', null, { ...view, before: first, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button', 'data-testid': 'pager-prev' }, t('prev')) : null,
      el('span', { class: 'muted', 'data-testid': 'pager-range' }, t('pageOf', { a: list.length ? offset + 1 : 0, b: offset + list.length, t: total })),
      list.length === PAGE && last && offset + list.length < total
        ? el('a', { href: routeHash('endpoints', null, { ...view, after: last, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
}

// The filtered view as CSV (every row, the view's order): auditors and admins, as exports.
async function downloadCsv(view, status) {
  status.textContent = t('loading');
  try {
    const res = await api('GET', '/api/v1/endpoints.csv' + qs({ ...view, lang }), undefined, { raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: 'thiet-bi.csv', class: 'hidden' });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = t('exportStarted', { f: 'thiet-bi.csv' });
  } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
}

// The failing checks with their remediation, then every check's result.
function checksSections(checks) {
  const failing = checks.filter((c) => c.result === 'fail');
  const order = { fail: 0, unknown: 1, pass: 2 };
  return [
    section(t('failingChecks'), 'failing-checks', failing.length ? el('ul', { class: 'remediation' }, failing.map((c) =>
      el('li', { 'data-testid': 'failing-check' }, el('strong', null, pick(c, 'title') || c.id), el('span', { class: 'muted small' }, ' ', c.policy, ' · ', c.id),
        el('p', null, pick(c, 'remediation') || '—'))))
      : el('p', { class: 'muted' }, t('allFailingOk'))),
    section(t('checks'), 'checks', checks.length ? table('checks-table', [t('policy'), t('target'), t('status'), t('remediation')],
      [...checks].sort((a, b) => (order[a.result] ?? 3) - (order[b.result] ?? 3)).map((c) => el('tr', { 'data-testid': 'check-row', 'data-result': c.result },
        el('td', null, c.policy || '—'), el('td', null, pick(c, 'title') || c.id, el('div', { class: 'muted small' }, c.id)),
        el('td', null, el('span', { class: 'badge res-' + (order[c.result] !== undefined ? c.result : 'unknown') }, t('res_' + c.result) === 'res_' + c.result ? String(c.result) : t('res_' + c.result))),
        el('td', { class: 'small' }, c.result === 'pass' ? '' : pick(c, 'remediation')))))
      : el('p', { class: 'muted' }, t('none'))),
  ];
}

async function pageEndpoint(app, route, alive) {
  app.append(heading(t('endpoints'), el('a', { href: '#/endpoints', class: 'link-button' }, t('back'))));
  const source = route.params.get('source') || '';
  const r = await api('GET', '/api/v1/endpoints/' + encodeURIComponent(route.id) + qs({ source }));
  if (!alive()) return;
  if (r && r.federated) { federatedEndpoint(app, r, checksSections); return; }
  const e = (r && r.endpoint) || {};
  app.append(section(e.hostname || route.id, 'endpoint-detail', el('dl', { class: 'kv' },
    kv(t('agentId'), e.agent_id || route.id), kv(t('unit'), e.unit), kv(t('os'), e.os),
    kv(t('lastSeen'), fmtTime(e.last_seen)), kv(t('stale'), e.stale ? t('yes') : t('no')),
    Object.entries(e).filter(([k]) => !['agent_id', 'unit', 'os', 'last_seen', 'stale', 'hostname', 'failing', 'source'].includes(k))
      .map(([k, v]) => kv(k, v !== null && typeof v === 'object' ? el('pre', { class: 'json small' }, fmtJson(v)) : v)))));
  app.append(...checksSections((r && r.checks) || []));
  const excepted = await endpointExceptions(e.agent_id || route.id).catch(() => null);  // issue 17
  if (!alive()) return;
  if (excepted) app.append(excepted);
  app.append(historySection(route.id));
  app.append(section(t('latestReport'), 'latest-report', r && r.report ? el('pre', { class: 'json', 'data-testid': 'report-json' }, fmtJson(r.report)) : el('p', { class: 'muted' }, t('none'))));
}

// What changed from one report to the next (GET /endpoints/{id}/history), newest first.
function historySection(agentId) {
  const box = el('div', null, loadingNode());
  (async () => {
    try {
      const r = await api('GET', '/api/v1/endpoints/' + encodeURIComponent(agentId) + '/history' + qs({ limit: 20 }));
      const rows = (r && r.reports) || [];
      if (!rows.length) { clear(box).append(el('p', { class: 'muted' }, t('none'))); return; }
      const fromTo = (a, b) => [el('span', { class: 'muted' }, a || '—'), ' → ', el('strong', null, b || '—')];
      const resBadge = (v) => el('span', { class: 'badge res-' + (['pass', 'fail'].includes(v) ? v : 'unknown') }, t('res_' + v) === 'res_' + v ? String(v) : t('res_' + v));
      const changeList = (h) => {
        if (!h.decoded) return el('span', { class: 'error' }, t('unreadable'));
        if (h.first) return el('span', { class: 'muted' }, t('firstReport'));
        if (!h.changed || !h.changes) return el('span', { class: 'muted', 'data-testid': 'history-no-change' }, t('noChange'));
        const c = h.changes, items = [];
        if (c.hostname) items.push(el('li', null, t('hostname'), ': ', fromTo(c.hostname.from, c.hostname.to)));
        if (c.unit) items.push(el('li', null, t('unit'), ': ', fromTo(c.unit.from, c.unit.to)));
        for (const f of c.facts || []) {
          items.push(el('li', { 'data-testid': 'history-fact', 'data-name': f.name }, pick(f, 'title') || f.name, ': ',
            fromTo(lang === 'en' ? f.from_en : f.from_vi, lang === 'en' ? f.to_en : f.to_vi)));
        }
        for (const k of c.checks || []) {
          items.push(el('li', { 'data-testid': 'history-check' }, t('check'), ' ', pick(k, 'title') || k.id, ' ',
            el('span', { class: 'muted small' }, k.policy, ' · ', k.id), ': ', resBadge(k.from), ' → ', resBadge(k.to)));
        }
        return el('ul', { class: 'changes' }, items);
      };
      clear(box).append(
        el('p', { class: 'muted small' }, t('reportsShown', { n: rows.length, t: r.total ?? rows.length })),
        table('history-table', [t('sequence'), t('receivedAt'), t('collectedAt'), t('failing'), t('changes')],
          rows.map((h) => el('tr', { 'data-testid': 'history-row', 'data-changed': h.changed ? 'yes' : 'no' },
            el('td', { class: 'num' }, h.sequence), el('td', null, fmtTime(h.received_at)), el('td', null, fmtTime(h.collected_at)),
            el('td', { class: 'num' }, h.failing ?? '—'), el('td', null, changeList(h))))));
    } catch (err) {
      clear(box).append(el('p', { class: 'muted' }, err instanceof ApiError ? err.text() : String(err && err.message || err)));
    }
  })();
  return section(t('historyTitle'), 'endpoint-history', box);
}
