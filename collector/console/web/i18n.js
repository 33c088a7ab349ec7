// Language: Vietnamese by default, English on request (kept in localStorage). `lang` is a
// live binding: importers always read the current language; only setLang changes it.
import vi, { columns as viColumns } from './strings-vi.js';
import en, { columns as enColumns } from './strings-en.js';

const STRINGS = { vi, en };
const COLUMNS = { vi: viColumns, en: enColumns };

export let lang = 'vi';
try { if (localStorage.getItem('posture.lang') === 'en') lang = 'en'; } catch (_) { /* storage off */ }

export function t(key, vars) {
  let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.vi[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  return s;
}
// A bilingual field pair from the API (title_vi / title_en ...).
export const pick = (obj, base) => (obj && (obj[base + '_' + lang] || obj[base + '_vi'] || obj[base + '_en'])) || '';

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'vi';
  try { localStorage.setItem('posture.lang', lang); } catch (_) { /* storage off */ }
}
// The generic table's label of an API field in the current language only, or undefined.
export const columnLabel = (key) => COLUMNS[lang][key];
