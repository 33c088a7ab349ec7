// The units seen in overview answers, shared by the pages (filters, names, subtrees).
import { lang } from './i18n.js';

export const unitCache = new Map();  // code -> unit (from any overview answer)
export const unitName = (u) => (lang === 'en' && u.name_en) || u.name || u.code;
// The codes of a unit and everything under it (as far as the cache knows).
export function subtree(code) {
  const out = new Set([code]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of unitCache.values()) if (u.parent && out.has(u.parent) && !out.has(u.code)) { out.add(u.code); grew = true; }
  }
  return out;
}
// A unit's name by its code; the code itself when the unit is not known.
export const unitNameOf = (code) => (unitCache.has(code) ? unitName(unitCache.get(code)) : code);
