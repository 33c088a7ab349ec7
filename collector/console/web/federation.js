// A province's view of its districts (issue 16), read-only for every role: the link state
// of each child collector (overview), the districts' alert counts (alerts page: triage
// stays in the district, so no action is offered) and the page of an endpoint a child
// pushed (endpoints page). Strings: fed_* and link_* in strings-vi.js / strings-en.js.
import { el, clear, append } from './dom.js';
import { t, pick } from './i18n.js';
import { fmtTime, badge } from './format.js';
import { api, ApiError, qs } from './api.js';
import { section, table, loadingNode, kv } from './ui.js';
import { routeHash } from './router.js';
import { unitCache, unitName, subtree } from './units.js';

const LINK_STATES = ['healthy', 'stale', 'revoked', 'waiting', 'incomplete'];
export function linkBadge(state) {
  const known = LINK_STATES.includes(state);
  return el('span', { class: 'badge link-' + (known ? state : 'unknown'), 'data-testid': 'link-state', 'data-state': state },
    known ? t('link_' + state) : String(state || '—'));
}
const errorText = (err) => (err instanceof ApiError ? err.text() : String((err && err.message) || err));
const seconds = (n) => (n ? t('fed_seconds', { n }) : '—');
// A child's id is its certificate's agent id (a UUID): shown whole, in small type.
const childId = (id) => el('span', { class: 'mono small', 'data-testid': 'child-id' }, id);

// The overview's panel: the children mounted in the selected unit's subtree, or whose
// tree holds the selected unit. Nothing at all on a collector without children.
export function childrenSection(unit) {
  const box = el('div', null, loadingNode());
  const node = section(t('fed_children'), 'federation-children', box);
  node.hidden = true;
  (async () => {
    try {
      const r = await api('GET', '/api/v1/federation/children');
      const all = (r && r.children) || [];
      const below = subtree(unit.code);
      const list = all.filter((c) => below.has(c.mount_unit) || subtree(c.mount_unit).has(unit.code));
      if (!all.length) return;
      node.hidden = false;
      clear(box).append(list.length ? table('children-table',
        [t('fed_child'), t('fed_mount'), t('fed_state'), t('fed_lastPush'), t('fed_interval'), t('fed_epoch'), t('fed_sequence'), t('endpointsCount')],
        list.map((c) => {
          const mount = unitCache.get(c.mount_unit);
          return el('tr', { 'data-testid': 'child-row', 'data-child': c.child_id, 'data-state': c.state },
            el('td', null, childId(c.child_id), c.detail === 'summary' ? el('div', { class: 'muted small' }, t('fed_summary')) : null),
            el('td', null, el('a', { href: routeHash('overview', null, { unit: c.mount_unit }) },
              mount ? unitName(mount) : (pick(c, 'mount_name') || c.mount_unit)), el('div', { class: 'muted small' }, c.mount_unit)),
            el('td', null, linkBadge(c.state), c.revoked_at ? el('div', { class: 'muted small' }, fmtTime(c.revoked_at)) : null),
            el('td', null, fmtTime(c.last_push_at)),
            el('td', { class: 'num' }, seconds(c.interval_seconds),
              c.stale_after_seconds ? el('div', { class: 'muted small' }, t('fed_staleAfter', { n: c.stale_after_seconds })) : null),
            el('td', { class: 'num' }, c.epoch || '—'),
            el('td', { class: 'num' }, c.snapshot_complete ? c.last_sequence : `${c.last_sequence} / ${c.snapshot_through}`),
            el('td', { class: 'num' }, el('a', { href: routeHash('endpoints', null, { unit: c.mount_unit }), 'data-testid': 'child-endpoints' }, c.endpoints)));
        })) : el('p', { class: 'muted' }, t('none')));
    } catch (err) {
      node.hidden = false;
      clear(box).append(el('p', { class: 'muted' }, errorText(err)));
    }
  })();
  return node;
}

// The overview's line on this collector's own link up (serve --upstream): layer 4's
// telemetry. Nothing on the top of a hierarchy.
export function uplinkSection() {
  const box = el('div');
  const node = section(t('fed_uplink'), 'federation-uplink', box);
  node.hidden = true;
  (async () => {
    try {
      const u = (await api('GET', '/api/v1/federation/children')).uplink;
      if (!u) return;
      node.hidden = false;
      append(clear(box), [
        table('uplink-table', [t('fed_upstream'), t('fed_identity'), t('fed_mount'), t('fed_state'), t('fed_lastAck'), t('fed_interval')],
          [el('tr', { 'data-testid': 'uplink-row', 'data-state': u.state },
            el('td', { class: 'mono' }, u.upstream),
            el('td', null, childId(u.identity)),
            el('td', null, u.mount_unit),
            el('td', null, linkBadge(u.state)),
            el('td', null, fmtTime(u.last_ack_at)),
            el('td', { class: 'num' }, seconds(u.interval_seconds)))]),
        u.last_error ? el('p', { class: 'muted small', 'data-testid': 'uplink-error' }, t('fed_lastError', { e: u.last_error })) : null,
      ]);
    } catch (err) {
      node.hidden = false;
      clear(box).append(el('p', { class: 'muted' }, errorText(err)));
    }
  })();
  return node;
}

// The alerts page's section: counts per (child, unit, rule, severity) under the page's
// filters, paged in place; no checkbox, no button that acts. Hidden without children.
export function districtAlertsSection(filters) {
  const box = el('div', null, loadingNode());
  const node = section(t('fed_alerts'), 'district-alerts', el('p', { class: 'muted small' }, t('fed_alertsNote')), box);
  node.hidden = true;
  const limit = 100;
  const load = async (offset) => {
    try {
      const r = await api('GET', '/api/v1/federation/alerts' + qs({ unit: filters.unit, severity: filters.severity, rule: filters.rule, limit, offset: offset || '' }));
      if (!r || !r.children) return;
      node.hidden = false;
      const rows = r.counts || [];
      // dom.js append: the pager is null on a single page (the DOM's own append would
      // write "null").
      append(clear(box), [
        el('p', { 'data-testid': 'district-alert-totals' }, t('fed_totals', { o: r.open, a: r.acknowledged })),
        rows.length ? table('district-alerts-table', [t('severity'), t('titleCol'), t('unit'), t('source'), t('al_open'), t('al_acknowledged')],
          rows.map((c) => el('tr', { 'data-testid': 'district-alert-row', 'data-child': c.child_id, 'data-unit': c.unit, 'data-rule': c.rule },
            el('td', null, badge('sev', c.severity)),
            el('td', null, pick(c, 'title') || c.rule, el('div', { class: 'muted small' }, c.rule)),
            el('td', null, unitCache.has(c.unit) ? unitName(unitCache.get(c.unit)) : c.unit, el('div', { class: 'muted small' }, c.unit)),
            el('td', null, childId(c.child_id)),
            el('td', { class: 'num', 'data-testid': 'district-open' }, c.open),
            el('td', { class: 'num', 'data-testid': 'district-acknowledged' }, c.acknowledged))))
          : el('p', { class: 'muted' }, t('none')),
        r.total > rows.length ? el('div', { class: 'row pager' },
          offset > 0 ? el('button', { type: 'button', onclick: () => load(Math.max(0, offset - limit)) }, t('prev')) : null,
          el('span', { class: 'muted' }, t('pageOf', { a: rows.length ? offset + 1 : 0, b: offset + rows.length, t: r.total })),
          offset + rows.length < r.total ? el('button', { type: 'button', onclick: () => load(offset + limit) }, t('next')) : null) : null]);
    } catch (err) {
      node.hidden = false;
      clear(box).append(el('p', { class: 'muted' }, errorText(err)));
    }
  };
  load(0);
  return node;
}

// The page of an endpoint a child pushed: what the district sent, read-only.
export function federatedEndpoint(app, r, checksSections) {
  const e = r.endpoint || {}, from = r.federated || {};
  app.append(section(e.hostname || e.agent_id, 'endpoint-detail',
    el('p', { class: 'notice', 'data-testid': 'federated-note' }, t('fed_endpointNote', { c: from.child_id, u: from.mount_unit })),
    el('dl', { class: 'kv' },
      kv(t('agentId'), e.agent_id), kv(t('unit'), e.unit), kv(t('os'), e.os || '—'),
      kv(t('lastSeen'), fmtTime(e.last_seen)), kv(t('stale'), e.stale ? t('yes') : t('no')),
      kv(t('source'), childId(from.child_id)), kv(t('fed_mount'), from.mount_unit),
      kv(t('fed_factsAt'), fmtTime(from.facts_at)), kv(t('fed_pushedStale'), from.pushed_stale ? t('yes') : t('no')))));
  app.append(...checksSections(r.checks || []));
  const facts = r.facts || [];
  app.append(section(t('fed_facts'), 'federated-facts', facts.length ? table('facts-table', [t('fact'), t('value')],
    facts.map((f) => el('tr', { 'data-testid': 'fact-row', 'data-name': f.name, class: f.known ? '' : 'muted' },
      el('td', null, pick(f, 'title') || f.name, el('div', { class: 'muted small' }, f.name)),
      el('td', null, pick(f, 'value')))))
    : el('p', { class: 'muted' }, t('none'))));
  app.append(section(t('historyTitle'), 'endpoint-history', el('p', { class: 'muted', 'data-testid': 'federated-no-history' }, t('fed_noHistory'))));
}
