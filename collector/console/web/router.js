// Hash routing (#/page/id?params), the top bar, and rendering the current page. The pages
// themselves are registered by app.js (setPages), so that they can import go/render.
import { $, el, clear } from './dom.js';
import { lang, t } from './i18n.js';
import { api, ApiError, can, qs, session, setSession } from './api.js';
import { showError } from './ui.js';

let pages = {};  // route name -> async (app, route, alive) => void
export function setPages(map) { pages = map; }

export function updateChrome() {
  document.documentElement.lang = lang;
  document.title = t('title');
  $('lang-toggle').textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('lang-toggle').setAttribute('aria-label', lang === 'vi' ? 'Switch to English' : 'Chuyển sang tiếng Việt');
  $('logout').textContent = t('logout');
  const nav = clear($('nav'));
  const loggedIn = !!session;
  nav.hidden = !loggedIn; $('logout').hidden = !loggedIn;
  clear($('who'));
  if (!loggedIn) return;
  $('who').append(session.user, ' · ', t('role_' + session.role));
  const route = currentRoute().name;
  const links = [['overview', '#/overview'], ['alerts', '#/alerts'], ['endpoints', '#/endpoints']];
  links.push(['exceptions', '#/exceptions']);  // every role reads them (issue 17)
  if (can.audit()) links.push(['audit', '#/audit']);
  if (can.exportData()) links.push(['remediation', '#/remediation']);
  for (const [key, href] of links) {
    nav.append(el('a', { href, id: 'nav-' + key, 'data-testid': 'nav-' + key,
      class: route === key ? 'active' : '' }, t(key)));
  }
}

export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart, query] = hash.split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'overview', id: parts[1], params: new URLSearchParams(query || '') };
}
export function go(hash) { if (location.hash !== hash) location.hash = hash; else render(); }
export function routeHash(name, id, params) {
  return '#/' + name + (id ? '/' + encodeURIComponent(id) : '') + qs(params || {});
}

let renderSeq = 0;
export async function render() {
  const seq = ++renderSeq;
  const route = currentRoute();
  if (!session && route.name !== 'login') {
    try { setSession(await api('GET', '/api/v1/session', undefined, { allow401: true })); } catch (_) { setSession(null); }
    if (seq !== renderSeq) return;
    if (!session) { go('#/login'); return; }
  }
  updateChrome();
  const app = clear($('app'));
  app.setAttribute('data-page', route.name);
  const page = pages[route.name];
  if (!page) { app.append(el('h1', { id: 'page-title', 'data-testid': 'page-title' }, t('notFound'))); return; }
  try {
    await page(app, route, () => seq === renderSeq);
  } catch (err) {
    if (seq !== renderSeq) return;
    showError(err);
    if (!(err instanceof ApiError && err.status === 401)) {
      app.append(el('p', { class: 'error', 'data-testid': 'page-error' },
        err instanceof ApiError ? err.text() : String(err && err.message || err)));
    }
  }
}
