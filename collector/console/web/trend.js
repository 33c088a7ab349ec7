// The overview's trend of one target: a select, and an inline SVG chart (no library).
import { el, clear, svg } from './dom.js';
import { t, pick } from './i18n.js';
import { fmtDay, fmtPct, STATUSES } from './format.js';
import { api, ApiError, qs } from './api.js';
import { section, loadingNode } from './ui.js';

export function trendSection(unit) {
  const targets = unit.targets || [];
  const chart = el('div', { class: 'chart', id: 'trend-chart', 'data-testid': 'trend-chart' });
  const sel = el('select', { id: 'trend-target', 'data-testid': 'trend-target' },
    targets.map((tg, i) => el('option', { value: String(i) }, `${pick(tg, 'title') || tg.id} (${tg.policy})`)));
  const daysSel = el('select', { id: 'trend-days' }, [30, 90, 365].map((d) => el('option', { value: d, selected: d === 90 }, `${d} ${t('days')}`)));
  async function load() {
    clear(chart).append(loadingNode());
    const tg = targets[Number(sel.value)];
    if (!tg) return;
    try {
      const h = await api('GET', '/api/v1/history' + qs({ unit: unit.code, target: tg.id, policy: tg.policy, days: daysSel.value }));
      clear(chart).append(drawTrend((h && h.points) || [], tg && tg.threshold));
    } catch (err) {
      clear(chart).append(el('p', { class: 'muted' }, err instanceof ApiError && err.status === 404 ? t('notAvailable') : (err.text ? err.text() : String(err))));
    }
  }
  sel.addEventListener('change', load); daysSel.addEventListener('change', load);
  const s = section(t('trend'), 'trend', el('div', { class: 'row' }, sel, daysSel), chart);
  if (targets.length) load(); else clear(chart).append(el('p', { class: 'muted' }, t('none')));
  return s;
}

// Inline SVG line chart: value 0..100% by day, the required threshold dashed.
function drawTrend(points, threshold) {
  if (!points.length) return el('p', { class: 'muted' }, t('noHistory'));
  const W = 640, H = 220, L = 44, R = 12, T = 12, B = 34;
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : i * (W - L - R) / (points.length - 1));
  const y = (v) => T + (1 - Math.max(0, Math.min(1, v))) * (H - T - B);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'trend-svg', role: 'img', 'data-testid': 'trend-svg' });
  root.append(svg('title', null, t('trend')));
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }));
    root.append(svg('text', { x: L - 6, y: y(g) + 4, class: 'axis', 'text-anchor': 'end' }, `${g * 100}%`));
  }
  if (threshold !== undefined && threshold !== null) {
    root.append(svg('line', { x1: L, x2: W - R, y1: y(threshold), y2: y(threshold), class: 'threshold' }));
  }
  let d = '', pen = false;
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) { pen = false; return; }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `; pen = true;
  });
  if (d) root.append(svg('path', { d: d.trim(), class: 'line' }));
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) return;
    const c = svg('circle', { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 3, class: 'pt st-' + (STATUSES.includes(p.status) ? p.status : 'unknown') });
    c.append(svg('title', null, `${fmtDay(p.day)}: ${fmtPct(p.value)} (${t('st_' + p.status)})`));
    root.append(c);
  });
  const step = Math.max(1, Math.ceil(points.length / 6));
  points.forEach((p, i) => {
    if (i % step && i !== points.length - 1) return;
    root.append(svg('text', { x: x(i), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, fmtDay(p.day).slice(0, 5)));
  });
  return root;
}
