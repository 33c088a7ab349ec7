// Issue 17, grouped alerts in the console: the alerts page lists groups (rule, unit) with
// their member counts, which equal the member alerts the API lists; a click drills down to
// the members; checkboxes acknowledge whole groups; the auditor sees no controls and the
// server refuses a group action from them. Called from console_test.js.
'use strict';

async function groupsOf(apiGet, query) {
  const r = await apiGet('/api/v1/alerts/groups?limit=500' + (query || ''));
  if (r.status !== 200) throw new Error('GET /api/v1/alerts/groups answered ' + r.status);
  return r.body;
}

// ctx: { page, base, apiGet, shot, check, ok }, logged in as a user who triages.
async function run(ctx) {
  const { page, base, apiGet, shot, check, ok } = ctx;
  // Every group's counts equal its member alerts (the drill-down's list).
  const all = await groupsOf(apiGet);
  check(all.groups.length >= 1, 'the collector has alert groups');
  let members = 0;
  for (const g of all.groups.slice(0, 8)) {
    const m = await apiGet('/api/v1/alerts?limit=500&group=' + encodeURIComponent(g.key));
    check(m.status === 200, 'GET /api/v1/alerts?group= answers 200, got ' + m.status);
    const open = m.body.alerts.filter((a) => a.status === 'open').length;
    const acked = m.body.alerts.filter((a) => a.status === 'acknowledged').length;
    check(m.body.total === g.members && open === g.open && acked === g.acknowledged,
      `group ${g.key}: ${g.open} open / ${g.acknowledged} acknowledged, its members ${open} / ${acked} (total ${m.body.total})`);
    check(m.body.alerts.every((a) => a.rule === g.rule && a.unit === g.unit), `group ${g.key}: every member is of its rule and unit`);
    members += m.body.total;
  }
  const perRule = all.rules.reduce((n, r) => n + r.members, 0);
  const perGroup = all.groups.reduce((n, g) => n + g.members, 0);
  check(perRule === perGroup, `the rollup per rule counts the groups' members: ${perRule} = ${perGroup}`);
  ok(`${all.total} alert groups; the first ${Math.min(8, all.groups.length)} hold ${members} member alerts, as their drill-down lists`);

  // The page lists groups by default, with a member badge.
  await page.goto(base + '#/alerts');
  await page.waitForSelector('[data-testid="group-row"]');
  const rows = await page.$$eval('[data-testid="group-row"]', (rs) => rs.map((r) => ({ key: r.dataset.group, status: r.dataset.status,
    open: Number(r.querySelector('[data-testid="group-members"]').dataset.open),
    acknowledged: Number(r.querySelector('[data-testid="group-members"]').dataset.acknowledged) })));
  check(rows.length === Math.min(all.groups.length, 50), `the page shows the groups (${rows.length})`);
  const badgeText = await page.textContent('[data-testid="group-members"]');
  check(/mở/.test(badgeText) && /đã xác nhận/.test(badgeText), 'the member badge is in Vietnamese: ' + badgeText);
  await shot('20-alert-groups');

  // Drill down: the biggest open group's members.
  const open = rows.filter((r) => r.status === 'open').sort((a, b) => (b.open + b.acknowledged) - (a.open + a.acknowledged));
  check(open.length >= 1, 'an open group to drill into');
  const big = open[0];
  await page.click(`[data-testid="group-row"][data-group="${big.key}"] [data-testid="group-link"]`);
  await page.waitForSelector('[data-testid="members-of"]');
  await page.waitForSelector('[data-testid="alert-row"]');
  const shown = await page.$$eval('[data-testid="alert-row"]', (rs) => rs.length);
  check(shown === Math.min(50, big.open + big.acknowledged), `the drill-down of ${big.key} lists its ${big.open + big.acknowledged} members (${shown} shown)`);
  ok(`drill-down: group ${big.key} lists its ${shown} member alerts`);
  await shot('21-alert-group-members');

  // Bulk acknowledge of up to two open groups.
  await page.goto(base + '#/alerts?status=open');
  await page.waitForSelector('[data-testid="group-row"]');
  const keys = await page.$$eval('[data-testid="group-row"][data-status="open"]', (rs) => rs.slice(0, 2).map((r) => r.dataset.group));
  check(keys.length >= 1, 'open groups for the bulk action');
  for (const k of keys) await page.check(`[data-testid="group-row"][data-group="${k}"] [data-testid="group-check"]`);
  await page.click('#bulk-ack');
  await page.waitForFunction((ks) => ks.every((k) => !document.querySelector(`[data-testid="group-row"][data-group="${k}"]`)), keys);
  const after = await groupsOf(apiGet, '&status=all');
  for (const k of keys) {
    const g = after.groups.find((x) => x.key === k);
    check(g && g.open === 0 && g.acknowledged >= 1 && g.status === 'acknowledged', `group ${k} is acknowledged: ` + JSON.stringify(g));
    const m = await apiGet('/api/v1/alerts?limit=500&group=' + encodeURIComponent(k));
    check(m.body.alerts.every((a) => a.status === 'acknowledged'), `every member of ${k} is acknowledged`);
  }
  ok(`bulk acknowledge of groups ${keys.join(', ')}: every member acknowledged`);
  await shot('22-alert-groups-acknowledged');
}

// ctx as run's, logged in as the auditor.
async function runAuditor(ctx) {
  const { page, base, check, ok } = ctx;
  await page.goto(base + '#/alerts');
  await page.waitForSelector('[data-testid="group-row"]');
  check(!(await page.$('#bulk-bar')) && !(await page.$('[data-testid="group-check"]')), 'the auditor sees no group actions');
  const key = await page.$eval('[data-testid="group-row"]', (r) => r.dataset.group);
  const status = await page.evaluate(async (k) => {
    const s = await (await fetch('/api/v1/session', { credentials: 'same-origin' })).json();
    return (await fetch('/api/v1/alerts/groups/actions', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: JSON.stringify({ action: 'resolve', groups: [k] }) })).status;
  }, key);
  check(status === 403, 'the server refuses an auditor acting on a group, got ' + status);
  ok('auditor: groups without controls; a group action via the API is refused (403)');
}

module.exports = { run, runAuditor };
