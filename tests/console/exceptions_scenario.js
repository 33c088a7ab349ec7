// Exceptions (risk acceptance, issue 17) in the console, run by console_test.js with the
// district collector's page: an admin records an exception in the form (a missing and a past
// expiry refused first, each naming `expires`), the excepted alert is resolved at the next
// evaluation tick, the endpoint's page lists the exception; soc and auditor see the list but
// no form, and the server refuses their POST (403); revoking brings the alert back (the path
// an expiry takes: the set of active exceptions changes, the next tick evaluates again).
'use strict';

async function run(ctx) {
  const { page, base, shot, apiGet, login, logout, check, ok, env, admin, password } = ctx;
  const postAs = (path, body) => page.evaluate(async ({ path, body }) => {
    const s = await (await fetch('/api/v1/session', { credentials: 'same-origin' })).json();
    const r = await fetch(path, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, { path, body });
  const alertStatus = async (id) => (await apiGet('/api/v1/alerts/' + id)).body.status;
  const waitStatus = async (id, want) => {
    let got = '';
    for (let i = 0; i < 40 && got !== want; i++) {
      got = await alertStatus(id);
      if (got !== want) await page.waitForTimeout(500);
    }
    return got;
  };

  await login(admin, password);
  // An open alert of one endpoint's failing check.
  const open = (await apiGet('/api/v1/alerts?status=open&rule=binh-son-2022/&limit=500')).body;
  const alert = ((open && (open.alerts || open.members)) || []).find((a) => String(a.subject || '').startsWith('endpoint:') && a.status === 'open');
  check(alert, 'an open endpoint alert of binh-son-2022 to except');
  const agent = alert.subject.slice('endpoint:'.length);

  await page.goto(base + '#/exceptions');
  await page.waitForSelector('[data-testid="exception-form"]');
  // The console may be in English here (the language toggle above is remembered).
  const heading = await page.textContent('#page-title');
  check(['Ngoại lệ (chấp nhận rủi ro)', 'Exceptions (accepted risks)'].includes(heading), 'the page is titled "Ngoại lệ (chấp nhận rủi ro)": ' + heading);
  await page.selectOption('[data-testid="exception-form-scope"]', 'endpoint');
  await page.fill('[data-testid="exception-form-subject"]', agent);
  await page.fill('[data-testid="exception-form-rule"]', alert.rule);
  await page.fill('[data-testid="exception-form-justification"]', 'Máy điều khiển thiết bị chuyên dụng, không cài được phần mềm; <b>không</b> phải HTML');
  await page.fill('[data-testid="exception-form-approver"]', 'Trưởng phòng Văn hóa - Thông tin');
  await page.fill('[data-testid="exception-form-document"]', '15/QĐ-UBND');
  // No expiry: refused, naming the field.
  await page.click('[data-testid="exception-form-save"]');
  await page.waitForSelector('[data-testid="exception-form-error"]:not([hidden])');
  const missing = await page.textContent('[data-testid="exception-form-error"]');
  check(missing.includes('expires'), 'a missing expiry is refused naming `expires`: ' + missing);
  // In the past: refused, naming the field.
  await page.fill('[data-testid="exception-form-expires"]', '2020-01-31');
  await page.click('[data-testid="exception-form-save"]');
  await page.waitForFunction(() => /đã qua|in the past/.test(document.querySelector('[data-testid="exception-form-error"]').textContent));
  const past = await page.textContent('[data-testid="exception-form-error"]');
  check(past.includes('expires'), 'a past expiry is refused naming `expires`: ' + past);
  ok('exception form: a missing and a past expiry are refused, each naming `expires`');
  const until = new Date(Date.now() + 7 * 3600e3 + 30 * 86400e3).toISOString().slice(0, 10);
  await page.fill('[data-testid="exception-form-expires"]', until);
  await page.click('[data-testid="exception-form-save"]');
  await page.waitForSelector('[data-testid="exception-row"][data-state="active"]');
  const row = await page.$eval('[data-testid="exception-row"][data-state="active"]', (r) => ({ id: r.dataset.id, text: r.textContent,
    badge: r.querySelector('[data-testid="exception-state"]').textContent, html: !!r.querySelector('b') }));
  check(row.text.includes('15/QĐ-UBND') && ['còn hiệu lực', 'active'].includes(row.badge) && !row.html, 'the list shows the exception, active, its text as text: ' + JSON.stringify(row));
  const status = await waitStatus(alert.id, 'resolved');
  check(status === 'resolved', `the excepted alert ${alert.id} is resolved at the next tick, got ${status}`);
  ok(`exception ${row.id} recorded for ${agent} against ${alert.rule}; alert ${alert.id} gone (resolved)`);
  await shot('17-exceptions');
  const audit = (await apiGet('/api/v1/audit?limit=20')).body.entries;
  check(audit.some((e) => e.action === 'exception.add' && e.object === 'exception:' + row.id), 'the audit log has exception.add for exception ' + row.id);
  await page.goto(base + '#/endpoints/' + encodeURIComponent(agent));
  await page.waitForSelector('#endpoint-exceptions [data-testid="exception-row"]');
  ok('the endpoint page lists its exception; the audit log has it');
  await logout();

  for (const [who, pw] of [['soc', env('SOC_PASSWORD')], ['auditor', env('AUDITOR_PASSWORD')]]) {
    await login(who, pw);
    await page.goto(base + '#/exceptions');
    await page.waitForSelector('[data-testid="exception-row"]');
    check(!(await page.$('[data-testid="exception-form"]')) && !(await page.$('[data-testid="exception-revoke"]')), who + ' sees the list but no form and no revoke');
    const refused = await postAs('/api/v1/exceptions', { endpoint: agent, rule: alert.rule, justification: 'x', approver: 'x', document: 'x', expires: until });
    check(refused.status === 403, `the server refuses ${who} recording an exception, got ${refused.status}`);
    const revoke = await postAs(`/api/v1/exceptions/${row.id}/revoke`, {});
    check(revoke.status === 403, `the server refuses ${who} revoking, got ${revoke.status}`);
    ok(`${who}: reads the exceptions, cannot record or revoke (403)`);
    await logout();
  }

  await login(admin, password);
  await page.goto(base + '#/exceptions');
  await page.click(`[data-testid="exception-row"][data-id="${row.id}"] [data-testid="exception-revoke"]`);
  await page.waitForSelector(`[data-testid="exception-row"][data-id="${row.id}"][data-state="revoked"]`);
  const back = await waitStatus(alert.id, 'open');
  check(back === 'open', `revoked: alert ${alert.id} is open again at the next tick, got ${back}`);
  ok(`exception ${row.id} revoked, shown as revoked; alert ${alert.id} is back`);
  await shot('18-exceptions-revoked');
  await logout();
}

module.exports = { run };
