// Posture console: exceptions (risk acceptance, issue 17) at #/exceptions. Every role sees
// the list (active, expired and revoked, each shown as such); admins record one in the form
// (POST /api/v1/exceptions) and revoke (POST /api/v1/exceptions/{id}/revoke). Its strings
// (exc_*) are in strings-vi.js and strings-en.js. Text only, no innerHTML.
import { el, clear } from './dom.js';
import { t } from './i18n.js';
import { fmtDay, fmtTime } from './format.js';
import { api, ApiError, session } from './api.js';
import { flash, heading, section, table, loadingNode } from './ui.js';

const isAdmin = () => !!session && session.role === 'admin';
const field = (label, control) => el('label', null, label, control);

function stateBadge(state) {
  return el('span', { class: 'badge exc-' + state, 'data-testid': 'exception-state', 'data-state': state }, t('exc_state_' + state));
}

// The exceptions covering one endpoint, for its page (endpoints.js): a small table, or null.
export async function endpointExceptions(agentId) {
  const r = await api('GET', '/api/v1/exceptions?endpoint=' + encodeURIComponent(agentId));
  const list = (r && r.exceptions) || [];
  if (!list.length) return null;
  return section(t('exc_title'), 'endpoint-exceptions', rowsTable(list, () => {}));
}

function rowsTable(list, reload) {
  return table('exceptions-table', [t('exc_id'), t('status'), t('exc_subject'), t('rule'), t('exc_document'),
    t('exc_approver'), t('exc_expires'), t('exc_justification'), t('exc_recorded'), ''],
  list.map((x) => el('tr', { 'data-testid': 'exception-row', 'data-id': String(x.id), 'data-state': x.state },
    el('td', null, String(x.id)), el('td', null, stateBadge(x.state)),
    el('td', { class: 'break' }, x.scope === 'unit' ? `${t('unit')} ${x.subject}` : (x.hostname || x.subject)),
    el('td', { class: 'break' }, x.rule), el('td', null, x.document), el('td', null, x.approver),
    el('td', null, fmtDay(x.expires)), el('td', { class: 'break' }, x.justification),
    el('td', null, `${fmtTime(x.created_at)} · ${x.created_by}`),
    el('td', null, isAdmin() && x.state === 'active'
      ? el('button', { type: 'button', 'data-testid': 'exception-revoke', onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api('POST', `/api/v1/exceptions/${x.id}/revoke`, {});
          flash(t('exc_revoked'), 'ok');
          await reload();
        } catch (err) {
          ev.target.disabled = false;
          flash(err instanceof ApiError ? err.text() : String(err), 'error');
        }
      } }, t('exc_revoke'))
      : (x.revoked_by ? `${t('exc_revokedBy')} ${x.revoked_by}` : '')))));
}

function form(reload) {
  const scope = el('select', { 'data-testid': 'exception-form-scope' },
    el('option', { value: 'endpoint' }, t('exc_scope_endpoint')), el('option', { value: 'unit' }, t('exc_scope_unit')));
  const subject = el('input', { 'data-testid': 'exception-form-subject', maxlength: 200, required: true,
    placeholder: t('exc_subjectHint') });
  const rule = el('input', { 'data-testid': 'exception-form-rule', maxlength: 200, required: true, placeholder: 'POLICY/CHECK' });
  const justification = el('textarea', { 'data-testid': 'exception-form-justification', maxlength: 2000, required: true, rows: 2 });
  const approver = el('input', { 'data-testid': 'exception-form-approver', maxlength: 500, required: true });
  const documentIn = el('input', { 'data-testid': 'exception-form-document', maxlength: 500, required: true });
  const expires = el('input', { type: 'date', 'data-testid': 'exception-form-expires' });
  const msg = el('p', { class: 'error form-error', role: 'alert', hidden: true, 'data-testid': 'exception-form-error' });
  const f = el('form', { class: 'org-form', 'data-testid': 'exception-form', novalidate: true },
    el('div', { class: 'row' }, field(t('exc_scope'), scope), field(t('exc_subject'), subject), field(t('rule'), rule)),
    el('div', { class: 'row' }, field(t('exc_justification'), justification)),
    el('div', { class: 'row' }, field(t('exc_approver'), approver), field(t('exc_document'), documentIn),
      field(t('exc_expires'), expires)),
    el('p', { class: 'muted small' }, t('exc_expiryNote')),
    msg,
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', 'data-testid': 'exception-form-save' }, t('exc_record'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.hidden = true;
    const body = { rule: rule.value.trim(), justification: justification.value, approver: approver.value,
      document: documentIn.value, expires: expires.value };
    body[scope.value] = subject.value.trim();
    const button = f.querySelector('button');
    button.disabled = true;
    try {
      await api('POST', '/api/v1/exceptions', body);
      flash(t('exc_recordedOk'), 'ok');
      await reload();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      msg.textContent = err instanceof ApiError ? err.text() : String(err && err.message || err);
      msg.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

export async function pageExceptions(app, route, alive) {
  app.append(heading(t('exc_title')));
  app.append(el('p', { class: 'muted' }, t('exc_intro')));
  if (isAdmin()) {
    const box = el('div', null);
    app.append(section(t('exc_new'), 'exception-new', box));
    box.append(form(() => load()));
  }
  const listBox = el('div', { class: 'card', 'data-testid': 'exceptions-list' }, loadingNode());
  app.append(listBox);
  async function load() {
    const r = await api('GET', '/api/v1/exceptions');
    if (!alive()) return;
    const list = (r && r.exceptions) || [];
    clear(listBox).append(list.length ? rowsTable(list, load) : el('p', { class: 'muted', 'data-testid': 'exceptions-none' }, t('none')));
  }
  await load();
}
