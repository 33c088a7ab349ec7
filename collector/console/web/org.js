// Posture console: the four-layer records and the information-system registry on the
// overview page, with admin editing (PUT /api/v1/layers/{unit}/{layer},
// PUT and DELETE /api/v1/systems/{code}), and a unit's notice contacts (admins only:
// GET, POST /api/v1/contacts, DELETE /api/v1/contacts/{id}). Registers its renderers with sections.js (app.js
// imports this module); its strings (org_*) are in strings-vi.js and strings-en.js. Text
// is inserted as text only (no innerHTML), events by addEventListener (the CSP forbids
// inline handlers).
import { el, clear } from './dom.js';
import { t, pick } from './i18n.js';
import { fmtDay, fmtTime } from './format.js';
import { api, ApiError, session } from './api.js';
import { flash, showError, table } from './ui.js';
import { unitNameOf } from './units.js';
import { registerSection } from './sections.js';

const isAdmin = () => !!session && session.role === 'admin';
const dateOrNull = (input) => (input.value ? input.value : null);
const input = (attrs) => el('input', attrs);
const field = (label, control) => el('label', null, label, control);
const yesNo = (v) => (v ? t('yes') : t('no'));

// Saves with the session's CSRF token (api() adds it to every non-GET request); errors
// are shown in the form, as text.
async function save(form, method, path, body, done) {
  const msg = form.querySelector('.form-error');
  msg.hidden = true;
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const r = await api(method, path, body);
    flash(r && r.changed === false ? t('org_unchanged') : t('org_saved'), 'ok');
    await done();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    msg.textContent = err instanceof ApiError ? err.text() : String(err && err.message || err);
    msg.hidden = false;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}
const errorLine = () => el('p', { class: 'error form-error', role: 'alert', hidden: true });

// ---- four-layer records --------------------------------------------------------------
// Which members each layer has (as the API and `posture-collector layer set` accept).
const LAYER_FIELDS = {
  1: { document: true, date: true, until: false, period: false },
  2: { document: true, date: false, until: true, period: false },
  3: { document: true, date: true, until: false, period: true },
  4: { document: false, date: true, until: true, period: false },
};
const label = (key, layer, fallback) => { const k = `org_${key}${layer}`; return t(k) === k ? t(fallback) : t(k); };

// The form of one record: `record` prefilled (edit) or null (a new one: pick unit and layer).
function layerForm(record, units, reload, onCancel) {
  const unitSel = el('select', { 'data-testid': 'layer-form-unit', disabled: !!record },
    [...units].sort().map((c) => el('option', { value: c, selected: record ? record.unit === c : false }, `${c} — ${unitNameOf(c)}`)));
  const layerSel = el('select', { 'data-testid': 'layer-form-layer', disabled: !!record },
    [1, 2, 3, 4].map((n) => el('option', { value: String(n), selected: record ? record.layer === n : false }, `${n}. ${t('org_l' + n)}`)));
  const reference = input({ 'data-testid': 'layer-form-reference', maxlength: 500, required: true, value: record ? record.reference : '' });
  const documentIn = input({ 'data-testid': 'layer-form-document', maxlength: 500, value: record ? record.document : '' });
  const date = input({ type: 'date', 'data-testid': 'layer-form-date', value: record && record.date ? record.date : '' });
  const until = input({ type: 'date', 'data-testid': 'layer-form-until', value: record && record.valid_until ? record.valid_until : '' });
  const period = input({ type: 'number', min: 1, max: 120, 'data-testid': 'layer-form-period', value: record ? record.period_months : 12 });
  const labels = {};
  const wrap = (key, control) => { labels[key] = el('span', null); return el('label', { 'data-field': key }, labels[key], control); };
  const fields = el('div', { class: 'row' }, field(t('org_unit'), unitSel), field(t('org_layer'), layerSel),
    wrap('reference', reference), wrap('document', documentIn), wrap('date', date), wrap('until', until), wrap('period', period));
  const sync = () => {  // show the members of the chosen layer, named as that layer names them
    const n = Number(layerSel.value), f = LAYER_FIELDS[n];
    labels.reference.textContent = label('ref', n, 'org_reference');
    labels.document.textContent = label('doc', n, 'org_document');
    labels.date.textContent = label('date', n, 'org_date');
    labels.until.textContent = label('until', n, 'org_validUntil');
    labels.period.textContent = t('org_period');
    fields.querySelector('[data-field="document"]').hidden = !f.document;
    fields.querySelector('[data-field="date"]').hidden = !f.date;
    fields.querySelector('[data-field="until"]').hidden = !f.until;
    fields.querySelector('[data-field="period"]').hidden = !f.period;
  };
  layerSel.addEventListener('change', sync);
  sync();
  const form = el('form', { class: 'org-form', 'data-testid': record ? 'layer-edit-form' : 'layer-add-form' }, fields,
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', 'data-testid': 'layer-form-save' }, t('org_save')),
      onCancel ? el('button', { type: 'button', onclick: onCancel }, t('org_cancel')) : null),
    errorLine());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = Number(layerSel.value), f = LAYER_FIELDS[n];
    const body = { reference: reference.value.trim() };
    if (f.document) body.document = documentIn.value.trim();
    if (f.date) body.date = dateOrNull(date);
    if (f.until) body.valid_until = dateOrNull(until);
    if (f.period) body.period_months = Number(period.value) || 12;
    save(form, 'PUT', `/api/v1/layers/${encodeURIComponent(unitSel.value)}/${n}`, body, reload);
  });
  return form;
}

registerSection('layers', (data, ctx) => {
  const list = ((data && data.layers) || []).filter((l) => ctx.units.has(l.unit));
  const admin = isAdmin();
  const out = el('div', null);
  const headers = [t('org_unit'), t('org_layer'), t('org_reference'), t('org_document'), t('org_date'), t('org_validUntil'),
    t('org_period'), t('org_recorded')];
  if (admin) headers.push(t('org_actions'));
  const rows = [];
  for (const l of list) {
    const row = el('tr', { 'data-testid': 'layer-row', 'data-unit': l.unit, 'data-layer': l.layer },
      el('td', null, l.unit), el('td', null, `${l.layer}. ${t('org_l' + l.layer)}`), el('td', null, l.reference || '—'),
      el('td', null, l.document || '—'), el('td', null, fmtDay(l.date)), el('td', null, fmtDay(l.valid_until)),
      el('td', { class: 'num' }, l.layer === 3 ? l.period_months : '—'),
      el('td', { class: 'small' }, l.recorded_by || '—', el('br'), fmtTime(l.recorded_at)));
    rows.push(row);
    if (admin) {
      const editRow = el('tr', { class: 'edit-row', hidden: true }, el('td', { colspan: headers.length }));
      const close = () => { editRow.hidden = true; clear(editRow.firstChild); };
      row.append(el('td', null, el('button', { type: 'button', 'data-testid': 'layer-edit', onclick: () => {
        clear(editRow.firstChild).append(layerForm(l, ctx.units, ctx.reload, close));
        editRow.hidden = false;
      } }, t('org_edit'))));
      rows.push(editRow);
    }
  }
  out.append(list.length ? table('layers-table', headers, rows) : el('p', { class: 'muted' }, t('none')));
  if (admin) out.append(el('h3', null, t('org_addLayer')), layerForm(null, ctx.units, ctx.reload, null));
  return out;
});

// ---- information systems -------------------------------------------------------------
function systemForm(system, units, reload, onCancel) {
  const s = system || { unit: [...units][0], level: 1, shared: false, assessment_period_months: 12 };
  const code = input({ 'data-testid': 'system-form-code', maxlength: 64, required: true, pattern: '[A-Za-z0-9._\\-]{1,64}',
    value: system ? system.code : '', disabled: !!system });
  const unitSel = el('select', { 'data-testid': 'system-form-unit' },
    [...new Set([...units, s.unit])].filter(Boolean).sort().map((c) => el('option', { value: c, selected: s.unit === c }, `${c} — ${unitNameOf(c)}`)));
  const nameVi = input({ 'data-testid': 'system-form-name-vi', maxlength: 500, required: true, value: s.name_vi || '' });
  const nameEn = input({ 'data-testid': 'system-form-name-en', maxlength: 500, value: s.name_en || '' });
  const level = el('select', { 'data-testid': 'system-form-level' },
    [1, 2, 3, 4, 5].map((n) => el('option', { value: String(n), selected: s.level === n }, String(n))));
  const shared = input({ type: 'checkbox', 'data-testid': 'system-form-shared', checked: !!s.shared });
  const decision = input({ 'data-testid': 'system-form-decision', maxlength: 500, value: s.dossier_decision || '' });
  const approved = input({ type: 'date', 'data-testid': 'system-form-approved', value: s.dossier_approved || '' });
  const plan = input({ type: 'date', 'data-testid': 'system-form-plan', value: s.plan_implemented || '' });
  const assessed = input({ type: 'date', 'data-testid': 'system-form-assessed', value: s.last_assessment || '' });
  const assessor = input({ 'data-testid': 'system-form-assessor', maxlength: 500, value: s.assessor || '' });
  const period = input({ type: 'number', min: 1, max: 120, 'data-testid': 'system-form-period', value: s.assessment_period_months || 12 });
  const form = el('form', { class: 'org-form', 'data-testid': system ? 'system-edit-form' : 'system-add-form' },
    el('div', { class: 'row' }, field(t('org_code'), code), field(t('org_unit'), unitSel), field(t('org_nameVi'), nameVi),
      field(t('org_nameEn'), nameEn), field(t('org_level'), level), el('label', { class: 'inline' }, shared, t('org_shared'))),
    el('div', { class: 'row' }, field(t('org_dossierDecision'), decision), field(t('org_dossierApproved'), approved),
      field(t('org_planImplemented'), plan), field(t('org_lastAssessment'), assessed), field(t('org_assessor'), assessor),
      field(t('org_assessmentPeriod'), period)),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', 'data-testid': 'system-form-save' }, t('org_save')),
      onCancel ? el('button', { type: 'button', onclick: onCancel }, t('org_cancel')) : null),
    errorLine());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {
      unit: unitSel.value, name_vi: nameVi.value.trim(), name_en: nameEn.value.trim(), level: Number(level.value),
      shared: shared.checked, dossier_decision: decision.value.trim(), dossier_approved: dateOrNull(approved),
      plan_implemented: dateOrNull(plan), last_assessment: dateOrNull(assessed), assessor: assessor.value.trim(),
      assessment_period_months: Number(period.value) || 12,
    };
    save(form, 'PUT', '/api/v1/systems/' + encodeURIComponent(code.value.trim()), body, reload);
  });
  return form;
}

// Delete in two clicks (no dialog): the first arms the button, the second deletes.
function deleteButton(system, reload) {
  let armed = false;
  const b = el('button', { type: 'button', class: 'danger', 'data-testid': 'system-delete' }, t('org_delete'));
  b.addEventListener('click', async () => {
    if (!armed) { armed = true; b.textContent = t('org_confirmDelete'); return; }
    b.disabled = true;
    try {
      await api('DELETE', '/api/v1/systems/' + encodeURIComponent(system.code));
      flash(t('org_deleted', { c: system.code }), 'ok');
      await reload();
    } catch (err) {
      showError(err);
      b.disabled = false; armed = false; b.textContent = t('org_delete');
    }
  });
  return b;
}

registerSection('systems', (data, ctx) => {
  const list = ((data && data.systems) || []).filter((s) => ctx.units.has(s.unit));
  const admin = isAdmin();
  const out = el('div', null);
  const headers = [t('org_code'), t('org_unit'), t('name'), t('org_level'), t('org_shared'), t('org_dossierDecision'),
    t('org_dossierApproved'), t('org_planImplemented'), t('org_lastAssessment'), t('org_assessor')];
  if (admin) headers.push(t('org_actions'));
  const rows = [];
  for (const s of list) {
    const row = el('tr', { 'data-testid': 'system-row', 'data-code': s.code },
      el('td', null, s.code), el('td', null, s.unit), el('td', null, pick(s, 'name') || '—'), el('td', { class: 'num' }, s.level),
      el('td', null, yesNo(s.shared)), el('td', null, s.dossier_decision || '—'), el('td', null, fmtDay(s.dossier_approved)),
      el('td', null, fmtDay(s.plan_implemented)), el('td', null, fmtDay(s.last_assessment)), el('td', null, s.assessor || '—'));
    rows.push(row);
    // A district's system (issue 16) is kept at the district: shown, not edited here.
    if (admin && s.source) {
      row.append(el('td', { class: 'muted small', 'data-testid': 'system-from-district' }, t('org_fromDistrict')));
    } else if (admin) {
      const editRow = el('tr', { class: 'edit-row', hidden: true }, el('td', { colspan: headers.length }));
      const close = () => { editRow.hidden = true; clear(editRow.firstChild); };
      row.append(el('td', { class: 'actions' },
        el('button', { type: 'button', 'data-testid': 'system-edit', onclick: () => {
          clear(editRow.firstChild).append(systemForm(s, ctx.units, ctx.reload, close));
          editRow.hidden = false;
        } }, t('org_edit')), ' ', deleteButton(s, ctx.reload)));
      rows.push(editRow);
    }
  }
  out.append(list.length ? table('systems-table', headers, rows) : el('p', { class: 'muted' }, t('none')));
  if (admin) out.append(el('h3', null, t('org_addSystem')), systemForm(null, ctx.units, ctx.reload, null));
  return out;
});

// ---- a unit's notice contacts (issue 17) ---------------------------------------------
const CONTACT_KINDS = ['email', 'webhook', 'syslog'];

function contactForm(unit, reload) {
  const kind = el('select', { 'data-testid': 'contact-form-kind' },
    CONTACT_KINDS.map((k) => el('option', { value: k }, t('org_kind_' + k))));
  const address = input({ 'data-testid': 'contact-form-address', maxlength: 2048, required: true });
  const form = el('form', { class: 'org-form', 'data-testid': 'contact-add-form' },
    el('div', { class: 'row' }, field(t('org_contactKind'), kind), field(t('org_contactAddress'), address),
      el('button', { type: 'submit', class: 'primary', 'data-testid': 'contact-form-save' }, t('org_contactAdd'))),
    errorLine());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save(form, 'POST', '/api/v1/contacts', { unit, kind: kind.value, address: address.value.trim() }, reload);
  });
  return form;
}

function removeContactButton(contact, reload) {
  let armed = false;
  const b = el('button', { type: 'button', class: 'danger', 'data-testid': 'contact-delete' }, t('org_delete'));
  b.addEventListener('click', async () => {
    if (!armed) { armed = true; b.textContent = t('org_confirmDelete'); return; }
    b.disabled = true;
    try {
      await api('DELETE', '/api/v1/contacts/' + encodeURIComponent(contact.id));
      flash(t('org_contactRemoved'), 'ok');
      await reload();
    } catch (err) {
      showError(err);
      b.disabled = false; armed = false; b.textContent = t('org_delete');
    }
  });
  return b;
}

registerSection('contacts', (data, ctx) => {
  const list = ((data && data.contacts) || []).filter((c) => c.unit === ctx.unit);
  const out = el('div', null, el('p', { class: 'muted small' }, t('org_contactNote')));
  const rows = list.map((c) => el('tr', { 'data-testid': 'contact-row', 'data-kind': c.kind },
    el('td', null, t('org_kind_' + c.kind)), el('td', null, c.address),
    el('td', { class: 'small' }, c.added_by || '—', el('br'), fmtTime(c.added_at)),
    el('td', null, removeContactButton(c, ctx.reload))));
  out.append(rows.length
    ? table('contacts-table', [t('org_contactKind'), t('org_contactAddress'), t('org_recorded'), t('org_actions')], rows)
    : el('p', { class: 'muted' }, t('none')));
  out.append(contactForm(ctx.unit, ctx.reload));
  return out;
});
