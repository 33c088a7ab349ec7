// Posture console: a single page, hash routing, vanilla ES2020 modules, no dependencies.
// Loaded by index.html as <script type="module">; every module is served from /assets/
// (script-src 'self'). Every text that comes from the API is inserted as a text node
// (textContent / createTextNode); innerHTML is never used, so SQL- or script-shaped text
// stays inert. The Content-Security-Policy forbids inline scripts, style attributes and
// inline event handlers: styling is by class only, events by addEventListener.
// Nothing is put on window: modules import what they use.
import { $ } from './dom.js';
import { lang, t, setLang } from './i18n.js';
import { api, setSession, setUnauthorizedHandler } from './api.js';
import { flash } from './ui.js';
import { go, render, setPages, updateChrome } from './router.js';
import { unitCache } from './units.js';
import { pageLogin } from './login.js';
import { pageOverview } from './overview.js';
import { pageAlerts } from './alerts.js';
import { pageEndpoints } from './endpoints.js';
import { pageAudit } from './audit.js';
import { pageRemediation } from './remediation.js';
import { pageExceptions } from './exceptions.js';
import './org.js';  // registers the layer and system sections of the overview

setPages({ login: pageLogin, overview: pageOverview, alerts: pageAlerts, endpoints: pageEndpoints, audit: pageAudit,
  remediation: pageRemediation, exceptions: pageExceptions });

// A 401 on an ordinary request: the session expired (api.js already forgot it).
setUnauthorizedHandler(() => {
  updateChrome();
  flash(t('sessionExpired'), 'warn');
  go('#/login');
});

function init() {
  $('lang-toggle').addEventListener('click', () => {
    setLang(lang === 'vi' ? 'en' : 'vi');
    render();
  });
  $('logout').addEventListener('click', async () => {
    try { await api('DELETE', '/api/v1/session', undefined, { allow401: true }); } catch (_) { /* gone anyway */ }
    setSession(null); unitCache.clear();
    go('#/login');
  });
  window.addEventListener('hashchange', () => { $('flash').hidden = true; render(); });
  if (!location.hash) history.replaceState(null, '', '#/overview');
  render();
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
