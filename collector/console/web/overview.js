// The overview: the unit tree, the selected unit's figures and targets, its sub-units, the
// child collectors' links (federation.js), the trend, stale endpoints, the four-layer
// matrix, the layer and system sections (org.js renders them) and the export.
import { el, clear } from './dom.js';
import { lang, t, pick, columnLabel } from './i18n.js';
import { fmtTime, fmtDay, fmtPct, fmtJson, badge, STATUSES } from './format.js';
import { api, ApiError, qs, can } from './api.js';
import { heading, section, table, loadingNode, downloadFile } from './ui.js';
import { routeHash } from './router.js';
import { unitCache, unitName, subtree } from './units.js';
import { sectionView } from './sections.js';
import { trendSection } from './trend.js';
import { endpointTable } from './endpoints.js';
import { childrenSection, uplinkSection } from './federation.js';

export async function pageOverview(app, route, alive) {
  const selected = route.params.get('unit') || '';
  app.append(heading(t('overview')));
  const body = el('div', { class: 'overview' });
  app.append(body); body.append(loadingNode());
  const data = await api('GET', '/api/v1/overview' + qs({ unit: selected }));
  if (!alive()) return;
  // `units`: the selected unit (or each root) and its children, with their targets;
  // `tree`: every unit's figures without targets, for the navigation tree.
  const units = (data && data.units) || [];
  if (data && data.tree) { unitCache.clear(); for (const u of data.tree) unitCache.set(u.code, u); }
  for (const u of units) if (!unitCache.has(u.code)) unitCache.set(u.code, u);
  clear(body);

  const byCode = new Map(units.map((u) => [u.code, u]));
  let current = selected ? byCode.get(selected) : null;
  if (!current) current = units.find((u) => !u.parent || !byCode.has(u.parent)) || null;
  const children = (code) => [...unitCache.values()].filter((u) => u.parent === code);

  // tree (everything known so far)
  const tree = el('nav', { class: 'card unit-tree', id: 'unit-tree', 'data-testid': 'unit-tree', 'aria-label': t('unitTree') },
    el('h2', null, t('unitTree')));
  const roots = [...unitCache.values()].filter((u) => !u.parent || !unitCache.has(u.parent));
  const seen = new Set();
  const branch = (list) => el('ul', null, list.map((u) => {
    if (seen.has(u.code)) return null;
    seen.add(u.code);
    const kids = children(u.code);
    return el('li', null,
      el('a', { href: routeHash('overview', null, { unit: u.code }), 'data-testid': 'unit-node-' + u.code,
        class: current && current.code === u.code ? 'active' : '' }, unitName(u),
        el('span', { class: 'muted' }, ' ', u.code), u.open_alerts ? el('span', { class: 'count' }, u.open_alerts) : null),
      kids.length ? branch(kids) : null);
  }));
  tree.append(roots.length ? branch(roots) : el('p', { class: 'muted' }, t('none')));

  const mainCol = el('div', { class: 'overview-main' });
  body.append(tree, mainCol);
  mainCol.append(el('p', { class: 'muted', 'data-testid': 'generated-at' }, t('generatedAt'), ': ', fmtTime(data && data.generated_at)));
  if (!current) { mainCol.append(el('p', { class: 'muted' }, t('none'))); return; }

  // the selected unit
  mainCol.append(section(`${unitName(current)} (${current.code})`, 'unit-summary',
    el('dl', { class: 'stats' },
      el('div', null, el('dt', null, t('endpointsCount')), el('dd', { 'data-testid': 'stat-endpoints' }, current.endpoints ?? '—')),
      el('div', null, el('dt', null, t('stale')), el('dd', { 'data-testid': 'stat-stale' }, current.stale ?? '—')),
      el('div', null, el('dt', null, t('openAlerts')), el('dd', { 'data-testid': 'stat-open-alerts' },
        el('a', { href: routeHash('alerts', null, { unit: current.code }) }, current.open_alerts ?? '—')))),
    targetTable(current)));

  // sub-units (or all units when at the top) with each target's badge
  const kids = units.filter((u) => u.parent === current.code);
  const listed = kids.length ? kids : units.filter((u) => !u.parent || !byCode.has(u.parent));
  mainCol.append(section(kids.length ? t('childUnits') : t('units'), 'unit-table-section', unitsTable(listed)));

  // a province's child collectors and their links (nothing without children)
  mainCol.append(childrenSection(current));
  // this collector's own link up to its province (nothing without --upstream)
  mainCol.append(uplinkSection());
  // trend
  mainCol.append(trendSection(current));
  // stale endpoints, four-layer model, systems, export
  mainCol.append(staleSection(current));
  mainCol.append(layerMatrix([current, ...kids]));
  mainCol.append(optionalSection('/api/v1/layers', current.code, t('layers'), 'layers'));
  mainCol.append(optionalSection('/api/v1/systems', current.code, t('systems'), 'systems'));
  // Issue 17: the unit's notice contacts, admins only (org.js renders them).
  if (can.admin() && current.code) mainCol.append(optionalSection('/api/v1/contacts', current.code, t('org_contacts'), 'contacts'));
  if (can.exportData()) mainCol.append(exportSection(current));
}

// The four layers' verdicts of the unit and its children, each with its evidence.
function layerMatrix(units) {
  const rows = units.filter((u) => Array.isArray(u.layers) && u.layers.length);
  if (!rows.length) return section(t('layerMatrix'), 'layer-matrix', el('p', { class: 'muted' }, t('none')));
  return section(t('layerMatrix'), 'layer-matrix',
    table('layer-matrix-table', [t('unit'), ...[1, 2, 3, 4].map((n) => t('lay_' + n))],
      rows.map((u) => el('tr', { 'data-testid': 'layer-matrix-row', 'data-unit': u.code },
        el('th', { scope: 'row' }, unitName(u), el('div', { class: 'muted small' }, u.code)),
        [1, 2, 3, 4].map((n) => {
          const v = u.layers.find((x) => x.layer === n) || {};
          return el('td', { 'data-testid': 'layer-cell', 'data-layer': n, 'data-pass': String(!!v.pass) },
            badge('st', v.pass ? 'met' : 'missed'),
            el('div', { class: 'small evidence-text' }, pick(v, 'evidence') || '—'));
        })))));
}

function targetTable(unit) {
  const targets = unit.targets || [];
  if (!targets.length) return el('p', { class: 'muted' }, t('none'));
  const rows = [];
  let policy = null;
  for (const tg of [...targets].sort((a, b) => String(a.policy).localeCompare(String(b.policy)))) {
    if (tg.policy !== policy) {
      policy = tg.policy;
      rows.push(el('tr', { class: 'group' }, el('th', { colspan: 6, scope: 'colgroup' }, t('policy'), ': ', policy || '—')));
    }
    rows.push(tg);
  }
  return table('targets-table', [t('target'), t('value'), t('passing'), t('threshold'), t('by'), t('status')],
    rows.map((tg) => tg instanceof Node ? tg : el('tr', { 'data-testid': 'target-row', 'data-target': tg.id, 'data-policy': tg.policy },
      el('td', null, pick(tg, 'title') || tg.id, el('div', { class: 'muted small' }, tg.id)),
      el('td', { class: 'num' }, meter(tg), fmtPct(tg.value)),
      el('td', { class: 'num' }, `${tg.passing ?? '—'} / ${tg.total ?? '—'}`),
      el('td', { class: 'num' }, fmtPct(tg.threshold)),
      el('td', null, fmtDay(tg.by)),
      el('td', null, badge('st', tg.status)))));
}
function meter(tg) {
  if (tg.value === null || tg.value === undefined) return null;
  const m = el('meter', { min: 0, max: 1, class: 'meter' });
  m.value = Number(tg.value);
  if (tg.threshold !== undefined) { m.low = Number(tg.threshold) - 0.0001; m.optimum = 1; m.high = Number(tg.threshold); }
  return m;
}
// One row per unit: its figures and how many of its targets are met / at risk / missed.
function unitsTable(units) {
  return table('units-table', [t('unit'), t('endpointsCount'), t('stale'), t('openAlerts'), t('targets')],
    units.map((u) => {
      const counts = {};
      for (const tg of u.targets || []) counts[tg.status] = (counts[tg.status] || 0) + 1;
      return el('tr', { 'data-testid': 'unit-row-' + u.code, class: 'unit-row', 'data-unit': u.code },
        el('td', null, el('a', { href: routeHash('overview', null, { unit: u.code }) }, unitName(u)),
          el('div', { class: 'muted small' }, u.code, u.kind ? ' · ' + t('kind_' + u.kind) : '')),
        el('td', { class: 'num' }, u.endpoints ?? '—'), el('td', { class: 'num' }, u.stale ?? '—'),
        el('td', { class: 'num' }, u.open_alerts ?? '—'),
        el('td', { class: 'badges' }, STATUSES.filter((st) => counts[st]).map((st) =>
          el('span', { class: 'badge-count' }, badge('st', st), ' × ', counts[st]))));
    }));
}
function staleSection(unit) {
  const box = el('div', null, loadingNode());
  (async () => {
    try {
      const r = await api('GET', '/api/v1/endpoints' + qs({ unit: unit.code, limit: 500 }));
      const stale = ((r && r.endpoints) || []).filter((e) => e.stale);
      clear(box).append(stale.length ? endpointTable(stale.slice(0, 50), 'stale-table')
        : el('p', { class: 'muted' }, t('none')));
    } catch (err) { clear(box).append(el('p', { class: 'muted' }, err.text ? err.text() : String(err))); }
  })();
  return section(`${t('staleEndpoints')} (${unit.stale ?? 0})`, 'stale-endpoints', box);
}

// Sections whose API may not exist yet: "not available" on 404, a generic table otherwise.
// A renderer registered for the section's testid (org.js: layers, systems) replaces the
// generic table; it gets a reload function to call after a change.
function optionalSection(path, unitCode, title, testid) {
  const box = el('div', null, loadingNode());
  const load = async () => {
    try {
      const r = await api('GET', path + qs({ unit: unitCode }));
      const view = sectionView(testid);
      clear(box).append(view ? view(r, { unit: unitCode, units: subtree(unitCode), reload: load }) : genericData(r, subtree(unitCode)));
    } catch (err) {
      clear(box).append(el('p', { class: 'muted', 'data-testid': testid + '-na' },
        err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)
          ? `${t('notAvailable')} / ${lang === 'vi' ? 'not available' : 'chưa có'}` : (err.text ? err.text() : String(err))));
    }
  };
  load();
  return section(title, testid, box);
}
function genericData(r, units) {
  let list = Array.isArray(r) ? r : null;
  if (!list && r && typeof r === 'object') list = Object.values(r).find((v) => Array.isArray(v)) || null;
  if (!list) return el('pre', { class: 'json' }, fmtJson(r));
  if (units) list = list.filter((row) => !row || row.unit === undefined || units.has(row.unit));
  if (!list.length) return el('p', { class: 'muted' }, t('none'));
  const keys = [];
  for (const row of list) for (const k of Object.keys(row || {})) if (!keys.includes(k)) keys.push(k);
  const shown = keys.filter((k) => !k.endsWith(lang === 'vi' ? '_en' : '_vi'));
  const label = (k) => { const b = k.replace(/_(vi|en)$/, ''); return columnLabel(b) || columnLabel(k) || b.replace(/_/g, ' '); };
  return table('generic-table', shown.map(label), list.map((row) => el('tr', null, shown.map((k) => {
    const v = row[k];
    if (typeof v === 'boolean') return el('td', null, v ? t('yes') : t('no'));
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return el('td', null, fmtDay(v));
    if (typeof v === 'number' && /_at$/.test(k)) return el('td', null, fmtTime(v));
    return el('td', null, v !== null && typeof v === 'object' ? el('pre', { class: 'json small' }, fmtJson(v)) : (v ?? '—'));
  }))));
}

function exportSection(unit) {
  const asOf = el('input', { type: 'date', id: 'export-as-of', 'data-testid': 'export-as-of' });
  const status = el('p', { class: 'muted', 'data-testid': 'export-status' });
  const params = (format) => qs({ format, unit: unit.code, as_of: asOf.value, lang });
  async function download(format) {
    status.textContent = t('loading');
    try {
      const name = await downloadFile('/api/v1/export' + params(format), `danh-sach-tuan-thu-${unit.code}.${format}`);
      status.textContent = t('exportStarted', { f: name });
    } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
  }
  async function manifest() {
    status.textContent = t('loading');
    try {
      const m = await api('GET', '/api/v1/export/manifest' + params('xlsx'));
      clear(status).append(el('pre', { class: 'json', 'data-testid': 'export-manifest' }, fmtJson(m)));
    } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
  }
  return section(t('exportTitle'), 'export',
    el('div', { class: 'row' },
      el('label', null, t('asOf'), ' ', asOf),
      ['csv', 'xlsx', 'json'].map((f) => el('button', { type: 'button', id: 'export-' + f, 'data-testid': 'export-' + f, onclick: () => download(f) }, f.toUpperCase())),
      el('button', { type: 'button', id: 'export-manifest-btn', 'data-testid': 'export-manifest-btn', class: 'link-button', onclick: manifest }, t('manifest'))),
    status);
}
