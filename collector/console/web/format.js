// Times, days, percentages, JSON and status badges, as the console shows them.
import { el } from './dom.js';
import { lang, t } from './i18n.js';

const pad = (n) => String(n).padStart(2, '0');
// dd/mm/yyyy HH:mm in Vietnam time (UTC+7, no daylight saving), whatever the browser's zone.
export function fmtTime(v) {
  if (v === undefined || v === null || v === '' || v === 0) return '—';
  let ms;
  if (typeof v === 'number') ms = v > 1e12 ? v : v * 1000;
  else if (/^\d+$/.test(String(v))) ms = Number(v) * 1000;
  else ms = Date.parse(String(v));
  if (!Number.isFinite(ms)) return String(v);
  const d = new Date(ms + 7 * 3600 * 1000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
export function fmtDay(v) {  // YYYY-MM-DD -> dd/mm/yyyy
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v || ''));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (v ? String(v) : '—');
}
export function fmtPct(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const p = Number(v) * 100;
  return (Math.round(p * 10) / 10).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB') + '%';
}
export function fmtJson(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string') {
    try { return JSON.stringify(JSON.parse(v), null, 2); } catch (_) { return v; }
  }
  return JSON.stringify(v, null, 2);
}
export const STATUSES = ['met', 'at-risk', 'missed', 'no-data'];
export function badge(kind, value, testid) {
  const known = kind === 'st' ? STATUSES.includes(value) : true;
  return el('span', {
    class: `badge ${kind}-${known ? value : 'unknown'}`, 'data-status': value,
    'data-testid': testid || (kind === 'st' ? 'status-badge' : kind + '-badge'),
  }, t(kind + '_' + value) === kind + '_' + value ? String(value || '—') : t(kind + '_' + value));
}
