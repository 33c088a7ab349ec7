// The endpoint list's posture at a glance (issue 17) in Chromium, as an admin: posture
// badges on every row; sorting by a header (both directions) in the API's order; a failing
// rule filter; the view kept in the URL (a reload shows the same rows, filters and sort); a
// bad rule named in the error; the CSV of the filtered view (BOM, bilingual headers, one
// line per row). Called by console_test.js: run({ page, base, shot, ok, check, apiGet, shots }).
const fs = require('fs');
const path = require('path');

const LEVELS = new Set(['ok', 'warn', 'bad', 'unknown']);
const COLUMNS = ['av', 'real_time', 'signature', 'pending', 'security', 'reboot', 'ipv6', 'firewall'];

async function run({ page, base, shot, ok, check, apiGet, shots }) {
  const rowIds = () => page.$$eval('[data-testid="endpoint-row"]', (r) => r.map((x) => x.dataset.agentId + '@' + x.dataset.source));
  const apiIds = async (query) => {
    const r = await apiGet('/api/v1/endpoints?limit=50&' + query);
    check(r.status === 200, `GET /api/v1/endpoints?${query} answers 200 (${r.status})`);
    return { total: r.body.total, ids: r.body.endpoints.map((e) => e.agent_id + '@' + (e.source || '')) };
  };
  // Waits until the table shows exactly these rows (the page renders after the hash changes).
  const waitRows = (ids) => page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('[data-testid="endpoint-row"]')].map((x) => x.dataset.agentId + '@' + x.dataset.source);
    return got.length === want.length && got.every((g, i) => g === want[i]);
  }, ids);

  await page.goto(base + '#/endpoints');
  await page.waitForSelector('[data-testid="endpoint-row"]');
  const badges = await page.$$eval('[data-testid="endpoint-row"]', (rows) => rows.map((r) =>
    [...r.querySelectorAll('[data-testid^="posture-"]')].map((b) => [b.dataset.testid.slice(8), b.dataset.level, b.textContent])));
  check(badges.length > 0 && badges.every((b) => b.length === COLUMNS.length), 'every row has 8 posture badges');
  check(badges.every((b) => b.every(([col, level, text]) => COLUMNS.includes(col) && LEVELS.has(level) && text.length > 0)),
    'every badge is ok / warn / bad / unknown with a label');
  const known = badges.flat().filter(([, level]) => level !== 'unknown').length;
  check(known > 0, 'the simulated fleet shows some known posture');
  const heads = await page.$$eval('#endpoints-table th', (h) => h.map((x) => x.textContent));
  for (const h of ['Phòng, chống mã độc', 'Bảo vệ thời gian thực', 'Mẫu nhận diện', 'Cập nhật bảo mật chờ', 'Cần khởi động lại', 'IPv6', 'Tường lửa'])
    check(heads.some((x) => x.startsWith(h)), `the list has the column "${h}": ${heads.join(', ')}`);
  ok(`endpoint list: ${badges.length} rows with 8 posture badges each (${known} known), Vietnamese column names`);

  // Sort by a header: ascending, then the same header again descending, as the API orders.
  await page.click('[data-testid="sort-signature_age"]');
  await page.waitForFunction(() => location.hash.includes('sort=signature_age') && location.hash.includes('dir=asc'));
  const asc = await apiIds('sort=signature_age&dir=asc');
  await waitRows(asc.ids);
  await page.click('[data-testid="sort-signature_age"]');
  await page.waitForFunction(() => location.hash.includes('dir=desc'));
  const desc = await apiIds('sort=signature_age&dir=desc');
  await waitRows(desc.ids);
  check(desc.ids.join() === [...asc.ids].reverse().join(), 'descending is ascending reversed');
  check(await page.getAttribute('[data-testid="sort-signature_age"]', 'data-sorted') === 'desc', 'the header shows the sort');
  ok(`sorted by signature age both ways (${asc.ids.length} rows, the API's order)`);

  // A failing rule: the rule of an open alert; the rows are the API's for that rule.
  const alerts = await apiGet('/api/v1/alerts?status=open&limit=50');
  const rule = (alerts.body.alerts || []).filter((a) => (a.subject || '').startsWith('endpoint:'))
    .map((a) => a.rule).find((r) => r && r !== 'posture/endpoint-stale');
  check(rule, 'an open alert of an endpoint check to filter by');
  await page.fill('#endpoint-rule', rule);
  await page.click('[data-testid="endpoint-search-go"]');
  await page.waitForFunction(() => location.hash.includes('rule='));
  const failing = await apiIds('sort=signature_age&dir=desc&rule=' + encodeURIComponent(rule));
  check(failing.total > 0 && failing.total <= asc.total, `the rule ${rule} narrows the list (${failing.total} of ${asc.total})`);
  await waitRows(failing.ids);
  ok(`filtered by failing rule ${rule}: ${failing.total} endpoints, still sorted`);
  await shot('06b-endpoints-posture');

  // The view is in the URL: a reload (or the link shared) shows the same rows and filters.
  const hash = await page.evaluate(() => location.hash);
  await page.reload();
  await page.waitForSelector('[data-testid="endpoint-row"]');
  await waitRows(failing.ids);
  check(await page.inputValue('#endpoint-rule') === rule, 'the rule filter is kept after a reload');
  check(await page.getAttribute('[data-testid="sort-signature_age"]', 'data-sorted') === 'desc', 'the sort is kept after a reload');
  check(await page.evaluate(() => location.hash) === hash, 'the URL is unchanged');
  ok('a reload of ' + hash + ' shows the same view');

  // The CSV of the filtered view: BOM, "Vietnamese / English" headers, one line per row.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="endpoint-csv"]')]);
  const saved = path.join(shots, '..', 'endpoints-filtered.csv');
  await download.saveAs(saved);
  const text = fs.readFileSync(saved, 'utf8');
  check(text.charCodeAt(0) === 0xfeff, 'the CSV starts with a UTF-8 byte-order mark');
  const lines = text.slice(1).split('\r\n').filter((l) => l.length);
  check(lines[0].startsWith('Tên máy / Hostname,'), 'the CSV header is Vietnamese / English: ' + lines[0].slice(0, 60));
  check(lines.length === failing.total + 1, `the CSV has the ${failing.total} filtered rows (${lines.length - 1})`);
  ok(`CSV of the filtered view downloaded (${download.suggestedFilename()}, ${lines.length - 1} rows)`);

  // A rule no policy has: the API's error, naming the parameter, on the page.
  await page.goto(base + '#/endpoints?rule=' + encodeURIComponent('khong-co/quy-tac'));
  await page.waitForSelector('[data-testid="endpoint-error"]');
  const err = await page.textContent('[data-testid="endpoint-error"]');
  check(err.includes('rule'), 'the error names the parameter rule: ' + err);
  ok('an unknown rule is refused, naming the parameter: ' + err.slice(0, 80));
}

module.exports = { run };
