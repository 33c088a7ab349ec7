// Issue 17, routed notifications: a unit's notice contacts on its overview page, admins
// only. Called from console_test.js twice: run() as the admin on #/overview?unit=BS
// (a bad address refused naming the field, an e-mail contact added, shown as text,
// stored, removed in two clicks), and hidden() as the auditor or the SOC analyst (no
// section, the API refuses them: 403).
'use strict';

async function run({ page, apiGet, shot, check, ok, base }) {
  await page.goto(base + '#/overview?unit=BS');
  await page.waitForSelector('[data-testid="contact-add-form"]');
  const form = page.locator('[data-testid="contact-add-form"]');
  await form.locator('[data-testid="contact-form-kind"]').selectOption('email');
  await form.locator('[data-testid="contact-form-address"]').fill('not an address');
  await form.locator('[data-testid="contact-form-save"]').click();
  await page.waitForSelector('[data-testid="contact-add-form"] .form-error:not([hidden])');
  const refusal = await page.textContent('[data-testid="contact-add-form"] .form-error');
  check(refusal.includes('address'), 'a bad e-mail address is refused naming the field: ' + refusal);
  await form.locator('[data-testid="contact-form-address"]').fill('it.bs@binhson.quangngai.gov.vn');
  await form.locator('[data-testid="contact-form-save"]').click();
  const row = page.locator('[data-testid="contact-row"][data-kind="email"]');
  await row.waitFor();
  check((await row.textContent()).includes('it.bs@binhson.quangngai.gov.vn'), 'the new contact is listed');
  const stored = await apiGet('/api/v1/contacts?unit=BS');
  check(stored.status === 200 && stored.body.contacts.length === 1 && stored.body.contacts[0].kind === 'email' &&
    stored.body.contacts[0].address === 'it.bs@binhson.quangngai.gov.vn', 'the contact is stored: ' + JSON.stringify(stored.body));
  await shot('09b-contacts-admin');
  await row.locator('[data-testid="contact-delete"]').click();
  await row.locator('[data-testid="contact-delete"]').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="contact-row"]'));
  check((await apiGet('/api/v1/contacts?unit=BS')).body.contacts.length === 0, 'the removed contact is gone from the API');
  // Kept for the notices of the rest of the run: a webhook for the district.
  await form.locator('[data-testid="contact-form-kind"]').selectOption('webhook');
  await form.locator('[data-testid="contact-form-address"]').fill('https://soc.binhson.example/hook');
  await form.locator('[data-testid="contact-form-save"]').click();
  await page.locator('[data-testid="contact-row"][data-kind="webhook"]').waitFor();
  ok('admin: a unit\'s notice contacts — a bad address refused naming the field, an e-mail contact added and removed in two clicks');
}

async function hidden({ page, apiGet, check, ok, base }, role) {
  await page.goto(base + '#/overview?unit=BS');
  await page.waitForSelector('[data-testid="layer-matrix-row"]');
  check(!(await page.$('#contacts, [data-testid="contact-add-form"]')), `the ${role} sees no notice contacts`);
  const status = (await apiGet('/api/v1/contacts')).status;
  check(status === 403, `the server refuses the contacts to the ${role}, got ${status}`);
  ok(`${role}: no notice contacts in the UI; the contacts API is refused (403)`);
}

module.exports = { run, hidden };
