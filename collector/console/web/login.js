// The sign-in page.
import { el } from './dom.js';
import { t } from './i18n.js';
import { api, ApiError, session, setSession } from './api.js';
import { go } from './router.js';

export async function pageLogin(app) {
  if (session) { go('#/overview'); return; }
  const msg = el('p', { id: 'login-error', 'data-testid': 'login-error', class: 'error', role: 'alert', hidden: true });
  const name = el('input', { id: 'login-name', 'data-testid': 'login-name', name: 'name', autocomplete: 'username', required: true, autofocus: true });
  const pw = el('input', { id: 'login-password', 'data-testid': 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = el('button', { type: 'submit', id: 'login-submit', 'data-testid': 'login-submit', class: 'primary' }, t('login'));
  const form = el('form', { id: 'login-form', class: 'login card', 'data-testid': 'login-form' },
    el('h1', { id: 'page-title', 'data-testid': 'page-title' }, t('loginTitle')),
    el('label', null, t('userName'), name), el('label', null, t('password'), pw), submit, msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.hidden = true; submit.disabled = true;
    try {
      setSession(await api('POST', '/api/v1/session', { name: name.value, password: pw.value }, { allow401: true }));
      pw.value = '';
      go('#/overview');
    } catch (err) {
      let text = err instanceof ApiError ? err.text() : String(err.message || err);
      if (err instanceof ApiError && err.status === 429) {
        const ra = err.headers && err.headers.get('Retry-After');
        if (ra) text += ' ' + t('retryAfter', { s: ra });
      }
      msg.textContent = text || t('loginFailed'); msg.hidden = false;
    } finally { submit.disabled = false; }
  });
  app.append(form);
}
