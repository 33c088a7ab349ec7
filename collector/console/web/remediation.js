// The remediation list (issue 17): for a unit and its subtree, the machines to fix grouped
// by what to do (GET /api/v1/remediation), printable (print CSS in app.css: no navigation,
// one page per action, a header with unit, date and collector), and as CSV or XLSX.
import { el, clear } from './dom.js';
import { lang, t, pick } from './i18n.js';
import { fmtTime } from './format.js';
import { api, ApiError, qs } from './api.js';
import { heading, table, loadingNode, downloadFile } from './ui.js';
import { go, routeHash } from './router.js';
import { unitCache } from './units.js';

// {vi, en} from the API, in the current language.
const loc = (o) => (o && (o[lang] || o.vi || o.en)) || '';

async function download(unit, format, status) {
  status.textContent = t('loading');
  try {
    const name = await downloadFile('/api/v1/remediation' + qs({ unit, format, lang }), `khac-phuc-${unit || 'all'}.${format}`);
    status.textContent = t('exportStarted', { f: name });
  } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
}

function group(g, running) {
  const rows = g.items.map((i) => el('tr', { 'data-testid': 'rem-item', 'data-host': i.hostname },
    el('td', null, i.hostname || i.agent_id, el('div', { class: 'muted small' }, i.agent_id)),
    el('td', null, i.unit, el('div', { class: 'muted small' }, loc(i.unit_name))),
    el('td', { 'data-testid': 'rem-observed' }, loc(i.observed)),
    el('td', null, loc(i.step) || '—'),
    el('td', null, fmtTime(i.last_report),
      i.stale ? el('span', { class: 'badge st-missed' }, t('stale')) : null)));
  return el('section', { class: 'card rem-group', 'data-testid': 'rem-group-' + g.action, 'data-count': g.count },
    el('div', { class: 'print-only rem-running muted small' }, running),
    el('h2', null, loc(g.title), ' ', el('span', { class: 'muted' }, `(${g.count})`)),
    el('p', null, loc(g.advice)),
    loc(g.threshold) ? el('p', { class: 'muted small', 'data-testid': 'rem-threshold' }, t('rem_threshold'), ': ', loc(g.threshold)) : null,
    g.shown < g.count ? el('p', { class: 'muted', 'data-testid': 'rem-cut' }, t('rem_cut', { n: g.shown, t: g.count })) : null,
    g.items.length
      ? table('rem-table-' + g.action, [t('hostname'), t('unit'), t('rem_observed'), t('rem_step'), t('rem_lastReport')], rows)
      : el('p', { class: 'muted' }, t('rem_noMachine')));
}

export async function pageRemediation(app, route, alive) {
  const unit = route.params.get('unit') || '';
  app.append(heading(t('remediation')));
  const unitIn = el('input', { id: 'rem-unit', 'data-testid': 'rem-unit', value: unit, list: 'unit-codes-r', placeholder: t('allUnits') });
  const status = el('p', { class: 'muted', 'data-testid': 'rem-status' });
  const form = el('form', { class: 'filters card no-print' },
    el('label', null, t('unit'), unitIn, el('datalist', { id: 'unit-codes-r' }, [...unitCache.keys()].map((c) => el('option', { value: c })))),
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'rem-go' }, t('rem_show')),
    el('button', { type: 'button', 'data-testid': 'rem-print', onclick: () => window.print() }, t('rem_print')),
    ['csv', 'xlsx'].map((f) => el('button', { type: 'button', 'data-testid': 'rem-' + f, onclick: () => download(unit, f, status) }, f.toUpperCase())),
    status);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go(routeHash('remediation', null, { unit: unitIn.value.trim() })); });
  app.append(form);
  const box = el('div', null, loadingNode());
  app.append(box);
  const r = await api('GET', '/api/v1/remediation' + qs({ unit }));
  if (!alive()) return;
  const unitText = r.unit ? `${r.unit}${loc(r.unit_name) ? ' — ' + loc(r.unit_name) : ''}` : t('allUnits');
  // What a printed page carries at its top: unit, date, collector.
  const head = el('div', { class: 'card rem-head', 'data-testid': 'rem-head' },
    el('div', { class: 'print-only rem-doc' }, t('remediation')),
    el('dl', { class: 'kv' },
      el('div', null, el('dt', null, t('unit')), el('dd', { 'data-testid': 'rem-head-unit' }, unitText)),
      el('div', null, el('dt', null, t('rem_date')), el('dd', null, fmtTime(r.generated_at))),
      el('div', null, el('dt', null, t('rem_collector')), el('dd', null, r.collector || '—',
        r.ca_fingerprint ? el('div', { class: 'muted small mono' }, 'CA SHA-256 ' + r.ca_fingerprint.slice(0, 16) + '…') : null)),
      el('div', null, el('dt', null, t('rem_summary')), el('dd', { 'data-testid': 'rem-summary' },
        t('rem_summaryText', { n: r.machines_to_fix, t: r.endpoints })))));
  // On paper every action group starts a page, which names the list, unit, date and collector.
  const running = `${t('remediation')} — ${unitText} · ${fmtTime(r.generated_at)} · ${r.collector || ''}`;
  clear(box).append(head, ...(r.groups || []).map((g) => group(g, running)));
}
