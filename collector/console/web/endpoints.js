// The endpoint list (search, keyset paging; this collector's endpoints and, at a province,
// its districts' with their source) and one endpoint: its checks, remediation, history of
// changes and latest report (a district's endpoint: federation.js).
import { el, clear } from './dom.js';
import { lang, t, pick } from './i18n.js';
import { fmtTime, fmtJson } from './format.js';
import { api, ApiError, qs, PAGE } from './api.js';
import { heading, section, table, loadingNode, kv } from './ui.js';
import { go, routeHash } from './router.js';
import { unitCache } from './units.js';
import { federatedEndpoint } from './federation.js';
import { endpointExceptions } from './exceptions.js';

// An endpoint's page: a child's row (issue 16) is named with its source.
const endpointHref = (e) => routeHash('endpoints', e.agent_id, e.source ? { source: e.source } : null);

export function endpointTable(list, testid) {
  return table(testid || 'endpoints-table', [t('hostname'), t('unit'), t('source'), t('os'), t('lastSeen'), t('stale'), t('failing')],
    list.map((e) => el('tr', { 'data-testid': 'endpoint-row', 'data-agent-id': e.agent_id, 'data-source': e.source || '' },
      el('td', null, el('a', { href: endpointHref(e), 'data-testid': 'endpoint-link' }, e.hostname || e.agent_id),
        el('div', { class: 'muted small' }, e.agent_id)),
      el('td', null, e.unit || '—'),
      el('td', { 'data-testid': 'endpoint-source' }, e.source ? el('span', { class: 'mono small' }, e.source) : t('sourceLocal')),
      el('td', null, e.os || '—'), el('td', null, fmtTime(e.last_seen)),
      el('td', null, e.stale ? el('span', { class: 'badge st-missed' }, t('yes')) : t('no')),
      el('td', { class: 'num' }, Array.isArray(e.failing) ? e.failing.length : (e.failing ?? '—')))));
}

export async function pageEndpoints(app, route, alive) {
  if (route.id) return pageEndpoint(app, route, alive);
  const q = route.params.get('q') || '', unit = route.params.get('unit') || '';
  // Keyset paging (after/before an agent id, as for alerts): the API caps `offset`, and a
  // keyset page costs the same at any depth. `offset` only numbers the rows shown.
  const offset = Math.max(0, Number(route.params.get('offset')) || 0);
  const after = route.params.get('after') || '', before = after ? '' : route.params.get('before') || '';
  const src = route.params.get('src') || '';  // the cursor row's source: a child's id
  app.append(heading(t('endpoints')));
  const qIn = el('input', { id: 'endpoint-search', 'data-testid': 'endpoint-search', type: 'search', value: q, placeholder: t('searchPh') });
  const unitIn = el('input', { id: 'endpoint-unit', 'data-testid': 'endpoint-unit', value: unit, list: 'unit-codes-e', placeholder: t('unit') });
  const form = el('form', { class: 'filters card' }, el('label', null, t('search'), qIn),
    el('label', null, t('unit'), unitIn, el('datalist', { id: 'unit-codes-e' }, [...unitCache.keys()].map((c) => el('option', { value: c })))),
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'endpoint-search-go' }, t('search')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go(routeHash('endpoints', null, { q: qIn.value.trim(), unit: unitIn.value.trim() })); });
  app.append(form);
  const box = el('div', { class: 'card' }, loadingNode());
  app.append(box);
  const r = await api('GET', '/api/v1/endpoints' + qs({ q, unit, limit: PAGE, after_id: after, before_id: before,
    after_source: after ? src : '', before_source: before ? src : '' }));
  if (!alive()) return;
  const list = (r && r.endpoints) || [];
  const total = Number(r && r.total) || list.length;
  const first = list.length ? list[0].agent_id : '', last = list.length ? list[list.length - 1].agent_id : '';
  const firstSrc = list.length ? list[0].source || '' : '', lastSrc = list.length ? list[list.length - 1].source || '' : '';
  clear(box).append(list.length ? endpointTable(list) : el('p', { class: 'muted' }, t('none')),
    el('div', { class: 'row pager', 'data-testid': 'pager' },
      offset > 0 && first ? el('a', { href: routeHash('endpoints', null, { q, unit, before: first, src: firstSrc, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button' }, t('prev')) : null,
      el('span', { class: 'muted' }, t('pageOf', { a: list.length ? offset + 1 : 0, b: offset + list.length, t: total })),
      list.length === PAGE && last && offset + list.length < total
        ? el('a', { href: routeHash('endpoints', null, { q, unit, after: last, src: lastSrc, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
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
