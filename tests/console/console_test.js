// The console end to end in real headless Chromium (Debian's /usr/bin/chromium), driven
// by playwright-core (no browser download). Run by console_test.sh, which starts the
// collector, creates the admin and the simulated fleet, and passes:
//   CONSOLE_URL     https://127.0.0.1:PORT/ of the collector's console listener
//   CONSOLE_SPKI    base64 SHA-256 of the console certificate's public key, after the
//                   script verified the certificate chains to the collector's own CA;
//                   empty: fall back to ignoreHTTPSErrors
//   ADMIN_NAME, ADMIN_PASSWORD, SHOTS (screenshot directory), CHROMIUM (executable)
//   PROVINCE_URL, PROVINCE_SPKI, PROVINCE_PASSWORD: the console of the province the
//                   collector pushes to (issue 16), its pinned key and its admin's password
//   DISTRICT_ENDPOINTS how many endpoints the district holds (the province must show them)
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const routing = require('./routing_scenario.js');  // issue 17: a unit's notice contacts

const env = (k, d) => process.env[k] || d;
const base = env('CONSOLE_URL').replace(/\/?$/, '/');
const shots = env('SHOTS');
const admin = env('ADMIN_NAME', 'admin');
const password = env('ADMIN_PASSWORD');
const spki = env('CONSOLE_SPKI', '');
const provinceBase = env('PROVINCE_URL', '').replace(/\/?$/, '/');
const provinceSpki = env('PROVINCE_SPKI', '');
const deadline = setTimeout(() => { console.error('FAIL: the browser scenario took more than 300 s'); process.exit(1); }, 300000);

let step = 0;
let currentPage = null;  // for a screenshot of the failure
const ok = (what) => console.log(`ok ${++step} - ${what}`);
function check(cond, what) { if (!cond) throw new Error('assertion failed: ' + what); }

(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const args = ['--no-sandbox', '--disable-dev-shm-usage', '--lang=vi-VN'];
  if (spki) args.push('--ignore-certificate-errors-spki-list=' + [spki, provinceSpki].filter(Boolean).join(','));
  const browser = await chromium.launch({ executablePath: env('CHROMIUM', '/usr/bin/chromium'), args, headless: true });
  console.log('# chromium ' + browser.version() + (spki ? ', console certificate pinned (verified against the collector CA)' : ', ignoreHTTPSErrors'));
  const contextOptions = {
    acceptDownloads: true, ignoreHTTPSErrors: !spki, viewport: { width: 1366, height: 900 },
    locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh',
  };
  const context = await browser.newContext(contextOptions);
  const problems = [];
  // A page of a context, with the checks every page gets: no CSP violation, no page error,
  // no dialog (an injected script would open one).
  const watchedPage = async (ctx) => {
    const p = await ctx.newPage();
    currentPage = p;
    p.setDefaultTimeout(20000);
    p.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|Refused to/i.test(text)) problems.push('CSP: ' + text);
    });
    p.on('pageerror', (e) => problems.push('page error: ' + e.message));
    p.on('dialog', (d) => { problems.push('dialog opened (injected script ran?): ' + d.message()); d.dismiss(); });
    return p;
  };
  const page = await watchedPage(context);
  const shotOf = (p) => async (name) => { await p.screenshot({ path: path.join(shots, name + '.png'), fullPage: true }); };
  const shot = shotOf(page);
  const apiGetOf = (pg) => (p) => pg.evaluate(async (p) => {
    const r = await fetch(p, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, p);
  const apiGet = apiGetOf(page);
  const title = () => page.textContent('#page-title');

  // -- login ------------------------------------------------------------------------------
  const resp = await page.goto(base);
  check(resp && resp.ok(), `GET / answers 200 (got ${resp && resp.status()})`);
  const headers = resp.headers();
  check(/script-src 'self'/.test(headers['content-security-policy'] || ''), 'index.html carries the Content-Security-Policy');
  await page.waitForSelector('#login-form');
  check((await title()) === 'Đăng nhập bảng điều khiển', 'the login page is in Vietnamese by default');
  // The console is ES modules (app.js imports the rest from /assets/): one module script,
  // no classic script, nothing published on window for other scripts to extend.
  const loaded = await page.evaluate(() => ({
    scripts: [...document.scripts].map((s) => `${s.type || 'classic'} ${new URL(s.src, location.href).pathname}`),
    global: typeof window.PostureConsole,
    modules: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js')),
  }));
  check(loaded.scripts.length === 1 && loaded.scripts[0] === 'module /assets/app.js', 'index.html loads app.js as its only script, a module: ' + loaded.scripts.join(', '));
  check(loaded.global === 'undefined', 'no window.PostureConsole global, got ' + loaded.global);
  for (const m of ['i18n.js', 'strings-vi.js', 'strings-en.js', 'api.js', 'router.js', 'sections.js', 'org.js']) {
    check(loaded.modules.includes('/assets/' + m), `the module ${m} was loaded through an import: ` + loaded.modules.join(', '));
  }
  ok(`the console loaded as ${loaded.modules.length} ES modules, no window.PostureConsole`);
  await page.fill('#login-name', `admin'--<script>window.__xss=6</script>`);
  await page.fill('#login-password', `' OR '1'='1`);
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:not([hidden])');
  check(await page.evaluate(() => window.__xss === undefined), 'a script- and SQL-shaped login is refused, nothing ran');
  await page.fill('#login-name', admin);
  await page.fill('#login-password', 'wrong-password-123');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:not([hidden])');
  ok('a wrong password is refused with a message: ' + (await page.textContent('#login-error')));
  await shot('01-login');
  await page.fill('#login-password', password);
  await page.click('#login-submit');

  // -- overview -----------------------------------------------------------------------------
  await page.waitForSelector('[data-testid^="unit-row-"]');
  await page.waitForSelector('#targets-table [data-testid="status-badge"], #units-table [data-testid="status-badge"]');
  check((await title()) === 'Tổng quan', 'the overview heading is "Tổng quan"');
  const units = await page.$$eval('[data-testid^="unit-row-"]', (rows) => rows.map((r) => r.dataset.unit));
  const badges = await page.$$eval('[data-testid="status-badge"]', (b) => b.map((x) => x.textContent));
  check(badges.every((b) => ['đạt', 'có nguy cơ', 'chưa đạt', 'chưa có dữ liệu'].includes(b)), 'badges are Vietnamese statuses: ' + badges.join(', '));
  ok(`logged in; overview shows unit rows ${units.join(', ')} and target badges ${[...new Set(badges)].join(', ')}`);
  // The browser kept the session as a __Host- cookie: Secure, HttpOnly, SameSite=Strict,
  // Path=/ and bound to this host only (Chromium drops a __Host- cookie otherwise).
  const cookies = await context.cookies(base);
  const sessionCookie = cookies.find((c) => c.name === '__Host-posture_session');
  check(sessionCookie, 'the browser holds the __Host-posture_session cookie, got ' + cookies.map((c) => c.name).join(', '));
  check(sessionCookie.secure && sessionCookie.httpOnly && sessionCookie.sameSite === 'Strict' && sessionCookie.path === '/',
    'the session cookie is Secure, HttpOnly, SameSite=Strict, Path=/: ' + JSON.stringify({ ...sessionCookie, value: '…' }));
  check(!cookies.some((c) => c.name === 'posture_session'), 'no cookie under the old name');
  check(await page.evaluate(() => !document.cookie.includes('posture_session')), 'the page script cannot read the session cookie');
  ok('session cookie __Host-posture_session: Secure, HttpOnly, SameSite=Strict, Path=/');
  await page.waitForSelector('[data-testid="trend-svg"], #trend-chart p');
  await shot('02-overview');
  const drill = units.includes('BS-VP') ? 'BS-VP' : units[units.length - 1];
  await page.click(`[data-testid="unit-node-${drill}"], [data-testid="unit-row-${drill}"] a`);
  await page.waitForFunction((c) => /\(/.test(document.querySelector('#unit-summary h2')?.textContent || '') &&
    document.querySelector('#unit-summary h2').textContent.includes('(' + c + ')'), drill);
  await page.waitForSelector('[data-testid="trend-svg"], #trend-chart p');
  ok(`drilled down to unit ${drill}`);
  await shot('03-overview-unit');

  // -- alerts ---------------------------------------------------------------------------------
  let open = null;
  for (let i = 0; i < 60; i++) {
    const r = await apiGet('/api/v1/alerts?status=open&limit=50');
    check(r.status === 200, 'GET /api/v1/alerts answers 200, got ' + r.status);
    if (r.body.alerts.length >= 2) { open = r.body; break; }
    await page.waitForTimeout(1000);
  }
  check(open, 'the collector raised at least two open alerts for the simulated fleet within 60 s');
  await page.click('#nav-alerts');
  await page.waitForSelector('[data-testid="group-row"]');
  check((await title()) === 'Cảnh báo', 'the alerts heading is "Cảnh báo"');
  await page.goto(base + '#/alerts?view=members');  // every alert (issue 17: groups by default)
  await page.waitForSelector('[data-testid="alert-row"]');
  await shot('04-alerts');
  const target = await page.$eval('[data-testid="alert-row"][data-status="open"]', (r) => r.dataset.alertId);
  await page.click(`[data-testid="alert-row"][data-alert-id="${target}"] [data-testid="alert-link"]`);
  await page.waitForSelector('#alert-ack');
  await page.click('#alert-ack');
  await page.waitForSelector('[data-testid="alert-status"][data-status="acknowledged"]');
  const statusText = await page.textContent('[data-testid="alert-status"]');
  check(statusText === 'đã xác nhận', 'the badge reads "đã xác nhận", got ' + statusText);
  const viaApi = await apiGet('/api/v1/alerts/' + target);
  check(viaApi.status === 200 && viaApi.body.status === 'acknowledged', 'the API reports alert ' + target + ' acknowledged, got ' + JSON.stringify(viaApi.body && viaApi.body.status));
  ok(`alert ${target} acknowledged in the UI ("${statusText}") and in the API`);
  const hostile = `<img src=x onerror="window.__xss=1">'); DROP TABLE alerts;-- <script>window.__xss=2</script>`;
  await page.fill('#comment-input', hostile);
  await page.click('#alert-comment');
  await page.waitForFunction((h) => [...document.querySelectorAll('#alert-events td')].some((td) => td.textContent.includes(h)), hostile);
  check(await page.evaluate(() => window.__xss === undefined && !document.querySelector('#alert-events img, #alert-events script')), 'the comment stays inert text');
  ok('a script- and SQL-shaped comment is shown as text, nothing ran');
  await shot('05-alert-detail');

  // bulk acknowledge two more open alerts with the checkboxes
  await page.goto(base + '#/alerts?view=members&status=open');
  await page.waitForSelector('[data-testid="alert-row"]');
  const ids = await page.$$eval('[data-testid="alert-row"][data-status="open"]', (rows) => rows.slice(0, 2).map((r) => r.dataset.alertId));
  check(ids.length >= 1, 'open alerts remain for the bulk action');
  for (const id of ids) await page.check(`[data-testid="alert-row"][data-alert-id="${id}"] [data-testid="alert-check"]`);
  await page.click('#bulk-ack');
  await page.waitForFunction((ids) => ids.every((id) => !document.querySelector(`[data-testid="alert-row"][data-alert-id="${id}"]`)), ids);
  for (const id of ids) {
    const r = await apiGet('/api/v1/alerts/' + id);
    check(r.body && r.body.status === 'acknowledged', `bulk: alert ${id} acknowledged via the API`);
  }
  ok(`bulk acknowledge of alerts ${ids.join(', ')}`);
  await require('./groups_scenario.js').run({ page, base, apiGet, shot, check, ok });  // issue 17

  // CSRF: a POST without the header is refused
  const noCsrf = await page.evaluate(async (id) => (await fetch(`/api/v1/alerts/${id}/comment`, {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}' })).status, target);
  check(noCsrf === 403, 'a POST without X-CSRF-Token is refused with 403, got ' + noCsrf);
  ok('POST without X-CSRF-Token refused (403)');

  // -- endpoints ------------------------------------------------------------------------------
  await page.click('#nav-endpoints');
  await page.waitForSelector('[data-testid="endpoint-row"]');
  await shot('06-endpoints');
  const host = await page.$eval('[data-testid="endpoint-row"] [data-testid="endpoint-link"]', (a) => a.textContent);
  await page.fill('#endpoint-search', host);
  await page.click('[data-testid="endpoint-search-go"]');
  await page.waitForFunction((h) => { const rows = document.querySelectorAll('[data-testid="endpoint-row"]');
    return rows.length >= 1 && [...rows].every((r) => r.textContent.includes(h)); }, host);
  await page.click('[data-testid="endpoint-link"]');
  await page.waitForSelector('#endpoint-detail');
  await page.waitForSelector('#checks');
  const failing = await page.$$eval('[data-testid="failing-check"]', (l) => l.length);
  ok(`endpoint search "${host}" and its detail page (${failing} failing checks with remediation)`);
  await shot('07-endpoint-detail');
  await require('./endpoints_scenario.js').run({ page, base, shot, ok, check, apiGet, shots });  // issue 17

  // -- audit log --------------------------------------------------------------------------------
  await page.click('#nav-audit');
  await page.waitForSelector('[data-testid="audit-row"]');
  const actions = await page.$$eval('[data-testid="audit-row"] td:nth-child(3)', (t) => t.map((x) => x.textContent));
  check(actions.some((a) => /ack|alert/i.test(a)), 'the audit log lists the acknowledgement: ' + actions.slice(0, 5).join(', '));
  ok('audit log shows ' + actions.length + ' entries, e.g. ' + actions.slice(0, 3).join(', '));
  await shot('08-audit');

  // -- export ---------------------------------------------------------------------------------
  await page.click('#nav-overview');
  await page.waitForSelector('#export-xlsx');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
  const saved = path.join(shots, '..', download.suggestedFilename() || 'export.xlsx');
  await download.saveAs(saved);
  const head = fs.readFileSync(saved).subarray(0, 2).toString('latin1');
  check(head === 'PK', 'the XLSX download starts with "PK", got ' + JSON.stringify(head));
  ok(`XLSX export downloaded (${download.suggestedFilename()}, ${fs.statSync(saved).size} bytes, starts with PK)`);

  // -- four-layer records and the system registry: admin edits, text stays inert ---------------
  await page.goto(base + '#/overview?unit=BS');
  await page.waitForSelector('[data-testid="layer-matrix-row"][data-unit="BS"] [data-testid="layer-cell"]');
  const matrix = await page.$$eval('[data-testid="layer-matrix-row"]', (rows) => rows.map((r) =>
    r.dataset.unit + ':' + [...r.querySelectorAll('[data-testid="layer-cell"]')].map((c) => (c.dataset.pass === 'true' ? '+' : '-')).join('')));
  check(matrix.length >= 2 && matrix.every((m) => /^[^:]+:[+-]{4}$/.test(m)), 'the four-layer matrix shows four verdicts per unit: ' + matrix.join(' '));
  check(await page.$$eval('[data-testid="layer-cell"] .evidence-text', (e) => e.every((x) => x.textContent.length > 1)), 'every matrix cell carries its evidence');
  ok('four-layer matrix (unit × layer with evidence): ' + matrix.join(' '));
  await page.waitForSelector('[data-testid="layer-add-form"]');
  const addLayer = page.locator('[data-testid="layer-add-form"]');
  await addLayer.locator('[data-testid="layer-form-unit"]').selectOption('BS-TC');
  await addLayer.locator('[data-testid="layer-form-layer"]').selectOption('1');
  const nastyLayer = `<script>window.__xss=3</script> '); DROP TABLE org_layers;--`;
  await addLayer.locator('[data-testid="layer-form-reference"]').fill(nastyLayer);
  await addLayer.locator('[data-testid="layer-form-document"]').fill('1/QĐ-UBND');
  await addLayer.locator('[data-testid="layer-form-date"]').fill('2024-03-01');
  await addLayer.locator('[data-testid="layer-form-save"]').click();
  const layerRow = page.locator('[data-testid="layer-row"][data-unit="BS-TC"][data-layer="1"]');
  await layerRow.waitFor();
  check((await layerRow.textContent()).includes(nastyLayer), 'the new layer record shows the script-shaped text as text');
  await page.locator('[data-testid="layer-add-form"] [data-testid="layer-form-layer"]').selectOption('2');
  await page.locator('[data-testid="layer-add-form"] [data-testid="layer-form-reference"]').fill('VNPT');
  await page.locator('[data-testid="layer-add-form"] [data-testid="layer-form-save"]').click();
  await page.waitForSelector('[data-testid="layer-add-form"] .form-error:not([hidden])');
  check((await page.textContent('[data-testid="layer-add-form"] .form-error')).includes('valid_until'), 'a refused layer-2 record (no end date) says why in the form');
  await layerRow.locator('[data-testid="layer-edit"]').click();
  await page.locator('[data-testid="layer-edit-form"] [data-testid="layer-form-reference"]').fill('Nguyễn Văn An');
  await page.locator('[data-testid="layer-edit-form"] [data-testid="layer-form-save"]').click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="layer-row"][data-unit="BS-TC"][data-layer="1"]')].some((r) => r.textContent.includes('Nguyễn Văn An')));
  const layerApi = await apiGet('/api/v1/layers');
  check(layerApi.body.layers.some((l) => l.unit === 'BS-TC' && l.layer === 1 && l.reference === 'Nguyễn Văn An' && l.recorded_by === admin), 'the edited layer record is stored, recorded by the admin');
  ok('admin records and edits a four-layer record; script-shaped text shown as text; a bad record refused with its reason');
  const addSystem = page.locator('[data-testid="system-add-form"]');
  const nastySystem = `<img src=x onerror="window.__xss=4">`;
  await addSystem.locator('[data-testid="system-form-code"]').fill('BS-UI');
  await addSystem.locator('[data-testid="system-form-unit"]').selectOption('BS');
  await addSystem.locator('[data-testid="system-form-name-vi"]').fill(nastySystem);
  await addSystem.locator('[data-testid="system-form-level"]').selectOption('3');
  await addSystem.locator('[data-testid="system-form-save"]').click();
  const systemRow = page.locator('[data-testid="system-row"][data-code="BS-UI"]');
  await systemRow.waitFor();
  check((await systemRow.textContent()).includes(nastySystem), 'a new system shows its name as text');
  await shot('09a-layers-systems-admin');
  await systemRow.locator('[data-testid="system-delete"]').click();
  await systemRow.locator('[data-testid="system-delete"]').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="system-row"][data-code="BS-UI"]'));
  check((await apiGet('/api/v1/systems')).body.systems.every((x) => x.code !== 'BS-UI'), 'the deleted system is gone from the API');
  check(await page.evaluate(() => window.__xss === undefined && !document.querySelector('#layers script, #systems img')), 'no injected markup ran or was inserted');
  ok('admin adds a system (an HTML-shaped name shown as text) and deletes it in two clicks');
  await routing.run({ page, apiGet, shot, check, ok, base });

  // -- filters and search with SQL- and script-shaped text ---------------------------------------
  const hostileQuery = `"><script>window.__xss=5</script>' OR 1=1;--`;
  await page.goto(base + '#/alerts');
  await page.waitForSelector('#f-rule');
  await page.fill('#f-rule', hostileQuery);
  await page.click('[data-testid="filter-apply"]');
  await page.waitForFunction(() => location.hash.includes('rule=') && !document.querySelector('[data-testid="alert-row"]') &&
    [...document.querySelectorAll('main p, #app p, p.muted')].some((p) => /Không có dữ liệu|No data/.test(p.textContent)));
  check(await page.inputValue('#f-rule') === hostileQuery, 'the rule filter keeps the text as typed');
  await page.goto(base + '#/endpoints');
  await page.waitForSelector('#endpoint-search');
  await page.fill('#endpoint-search', hostileQuery);
  await page.click('[data-testid="endpoint-search-go"]');
  await page.waitForFunction(() => location.hash.includes('q=') && !document.querySelector('[data-testid="endpoint-row"]') &&
    [...document.querySelectorAll('p.muted, p')].some((p) => /Không có dữ liệu|No data/.test(p.textContent)));
  check(await page.inputValue('#endpoint-search') === hostileQuery, 'the endpoint search keeps the text as typed');
  check(await page.evaluate(() => window.__xss === undefined), 'nothing injected ran');
  ok('alert rule filter and endpoint search with SQL- and script-shaped text: no match, nothing ran');

  // -- an endpoint's history of changes -----------------------------------------------------------
  await page.goto(base + '#/endpoints');
  await page.waitForSelector('[data-testid="endpoint-link"]');
  await page.locator('[data-testid="endpoint-link"]').first().click();
  await page.waitForSelector('#endpoint-history [data-testid="history-row"]');
  const historyRows = await page.locator('[data-testid="history-row"]').count();
  check(historyRows >= 1, `the endpoint's history lists its reports (${historyRows})`);
  ok(`endpoint history of changes: ${historyRows} report(s)`);
  await shot('09b-endpoint-history');
  await page.goto(base + '#/overview');
  await page.waitForSelector('[data-testid^="unit-row-"]');

  await require('./remediation_scenario.js').run({ page, base, shot, apiGet, check, ok, shots, browser, contextOptions });  // issue 17, part C
  // -- English ----------------------------------------------------------------------------------
  await page.click('#lang-toggle');
  await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Overview');
  await page.reload();
  await page.waitForSelector('[data-testid^="unit-row-"]');
  check((await title()) === 'Overview', 'English is remembered across a reload');
  await page.waitForSelector('[data-testid="trend-svg"], #trend-chart p');
  ok('switched to English: the heading reads "Overview", still after a reload');
  await shot('09-overview-en');
  await page.click('#nav-alerts');
  await page.waitForSelector('[data-testid="group-row"]');
  check((await title()) === 'Alerts', 'the alerts heading reads "Alerts"');
  await shot('10-alerts-en');

  // -- logout -----------------------------------------------------------------------------------
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  const after = await apiGet('/api/v1/session');
  check(after.status === 401, 'the session is gone after logging out, got ' + after.status);
  ok('logged out');

  // -- roles: the UI hides what a role cannot do; the server refuses it anyway ------------------
  const login = async (name, pw) => {
    await page.goto(base + '#/login');
    await page.waitForSelector('#login-form');
    await page.fill('#login-name', name);
    await page.fill('#login-password', pw);
    await page.click('#login-submit');
    await page.waitForSelector('[data-testid^="unit-row-"]');
  };
  const logout = async () => { await page.click('#logout'); await page.waitForSelector('#login-form'); };
  await login('auditor', env('AUDITOR_PASSWORD'));
  check(await page.$('#export-xlsx') && await page.$('#nav-audit'), 'the auditor sees the export buttons and the audit log');
  await page.goto(base + '#/alerts/' + target);
  await page.waitForSelector('#alert-detail');
  check(!(await page.$('#alert-actions')) && !(await page.$('#alert-ack')), 'the auditor sees no alert actions');
  await page.goto(base + '#/alerts?view=members');
  await page.waitForSelector('[data-testid="alert-row"]');
  check(!(await page.$('#bulk-bar')) && !(await page.$('[data-testid="alert-check"]')), 'the auditor sees no bulk actions');
  await require('./groups_scenario.js').runAuditor({ page, base, apiGet, shot, check, ok });
  const auditorAck = await page.evaluate(async (id) => {
    const s = await (await fetch('/api/v1/session', { credentials: 'same-origin' })).json();
    return (await fetch(`/api/v1/alerts/${id}/resolve`, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{}' })).status;
  }, target);
  check(auditorAck === 403, 'the server refuses an auditor resolving an alert, got ' + auditorAck);
  ok('auditor: read and export only in the UI; resolving via the API is refused (403)');
  await routing.hidden({ page, apiGet, check, ok, base }, 'auditor');
  await shot('11-alerts-auditor');
  await logout();
  await login('soc', env('SOC_PASSWORD'));
  check(!(await page.$('#export')) && !(await page.$('#nav-audit')), 'the SOC analyst sees no export and no audit log');
  const socExport = (await apiGet('/api/v1/export?format=csv')).status;
  check(socExport === 403, 'the server refuses a SOC export, got ' + socExport);
  await page.goto(base + '#/alerts');
  await page.waitForSelector('#bulk-bar');
  ok('soc: triage but no export or audit log in the UI; an export via the API is refused (403)');
  await routing.hidden({ page, apiGet, check, ok, base }, 'soc');
  await page.goto(base + '#/overview?unit=BS');
  await page.waitForSelector('[data-testid="layer-row"]');
  check(await page.locator('[data-testid="layer-add-form"], [data-testid="system-add-form"], [data-testid="layer-edit"], [data-testid="system-edit"], [data-testid="system-delete"]').count() === 0, 'soc sees no edit controls for layers and systems');
  const socPut = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session', { credentials: 'same-origin' })).json();
    return (await fetch('/api/v1/systems/BS-X', { method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"unit":"BS","name_vi":"x","level":1}' })).status;
  });
  check(socPut === 403, 'the server refuses a SOC analyst adding a system, got ' + socPut);
  ok('soc: no layer or system edit controls; a PUT via the API is refused (403)');
  await logout();

  await require('./exceptions_scenario.js').run({ page, base, shot, apiGet, login, logout, check, ok, env, admin, password });  // issue 17

  // -- the province this collector pushes to: its console shows the district (issue 16) ------------
  check(env('PROVINCE_URL', ''), 'PROVINCE_URL is set (console_test.sh starts the province)');
  const pctx = await browser.newContext(contextOptions);  // its own cookies: another console
  const pp = await watchedPage(pctx);
  const pshot = shotOf(pp);
  const papi = apiGetOf(pp);
  await pp.goto(provinceBase + '#/login');
  await pp.waitForSelector('#login-form');
  await pp.fill('#login-name', 'admin');
  await pp.fill('#login-password', env('PROVINCE_PASSWORD'));
  await pp.click('#login-submit');
  await pp.waitForSelector('[data-testid^="unit-row-"]');
  // The district pushes every 2 s: its endpoints, and the acknowledgements made above.
  const want = Number(env('DISTRICT_ENDPOINTS', '1'));
  let held = 0, counts = null;
  for (let i = 0; i < 45; i++) {
    held = (await papi('/api/v1/endpoints?limit=1')).body.total;
    counts = (await papi('/api/v1/federation/alerts?limit=500')).body;
    if (held >= want && counts.acknowledged >= 1) break;
    await pp.waitForTimeout(1000);
  }
  check(held >= want, `the province holds the district's ${want} endpoints within 45 s, got ${held}`);
  check(counts.acknowledged >= 1 && counts.open >= 1, 'the district alerts acknowledged in its console arrive with their status: ' + JSON.stringify({ open: counts.open, acknowledged: counts.acknowledged }));
  const links = (await papi('/api/v1/federation/children')).body.children;
  check(links.length === 1 && links[0].mount_unit === 'BS', 'the province has one child, mounted at BS: ' + JSON.stringify(links));
  const childId = links[0].child_id;
  ok(`province: ${held} endpoints and ${counts.open} open / ${counts.acknowledged} acknowledged district alerts pushed by child ${childId}`);

  await pp.goto(provinceBase + '#/overview');
  await pp.waitForSelector('[data-testid="child-row"]');
  const link = await pp.$eval('[data-testid="child-row"]', (r) => ({ child: r.dataset.child, state: r.dataset.state,
    badge: r.querySelector('[data-testid="link-state"]').textContent, endpoints: r.querySelector('[data-testid="child-endpoints"]').textContent }));
  check(link.child === childId && link.state === 'healthy' && link.badge === 'Hoạt động tốt', 'the link panel shows the district healthy: ' + JSON.stringify(link));
  check(Number(link.endpoints) === held, `the link panel counts the district's endpoints (${link.endpoints})`);
  // The overview is cached (rebuilt at most every 5 s while pushes move the figures).
  for (let i = 0; i < 15 && !(await pp.$('[data-testid="unit-node-BS-VP"]')); i++) {
    await pp.waitForTimeout(1000);
    await pp.reload();
    await pp.waitForSelector('[data-testid="child-row"]');
  }
  check(await pp.$('[data-testid="unit-node-BS-VP"]'), "the district's units hang under the mount in the unit tree");
  await pp.waitForSelector('[data-testid="system-row"]');
  const systems = await pp.$$eval('[data-testid="system-row"]', (r) => r.map((x) => ({ code: x.dataset.code,
    kept: !!x.querySelector('[data-testid="system-from-district"]'), edit: !!x.querySelector('[data-testid="system-edit"], [data-testid="system-delete"]') })));
  check(systems.length > 0 && systems.every((x) => x.kept && !x.edit), "the district's systems are shown as kept at the district, without edit buttons: " + JSON.stringify(systems));
  ok(`province overview: the district link is "${link.badge}", ${link.endpoints} endpoints, its units in the tree, its ${systems.length} systems read-only`);
  await pshot('12-province-overview');

  await pp.click('#nav-endpoints');
  await pp.waitForSelector('[data-testid="endpoint-row"]');
  const heads = await pp.$$eval('#endpoints-table th', (h) => h.map((x) => x.textContent));
  check(heads.includes('Nguồn'), 'the endpoint list has the column "Nguồn": ' + heads.join(', '));
  const rows = await pp.$$eval('[data-testid="endpoint-row"]', (r) => r.map((x) => ({ source: x.dataset.source, cell: x.querySelector('[data-testid="endpoint-source"]').textContent })));
  check(rows.length > 0 && rows.every((r) => r.source === childId && r.cell === childId), 'every row names the district as its source');
  ok(`province endpoint list: ${rows.length} rows of the district, Source = ${childId}`);
  await pshot('13-province-endpoints');
  await pp.locator('[data-testid="endpoint-link"]').first().click();
  await pp.waitForSelector('[data-testid="federated-note"]');
  await pp.waitForSelector('#checks [data-testid="check-row"]');
  await pp.waitForSelector('#federated-facts [data-testid="fact-row"]');
  await pp.waitForSelector('[data-testid="federated-no-history"]');
  check(!(await pp.$('[data-testid="history-row"]')) && !(await pp.$('[data-testid="report-json"]')), 'a district endpoint has no report or history here');
  const note = await pp.textContent('[data-testid="federated-note"]');
  check(note.includes(childId) && note.includes('cấp dưới'), 'the page says the endpoint is triaged at its district: ' + note);
  ok('a district endpoint opens: its checks and facts as pushed, triaged at the district, no history here');
  await pshot('14-province-endpoint');

  await pp.click('#nav-alerts');
  await pp.waitForSelector('#district-alerts [data-testid="district-alert-row"]');
  const section = await pp.$eval('#district-alerts', (s) => ({
    title: s.querySelector('h2').textContent, rows: s.querySelectorAll('[data-testid="district-alert-row"]').length,
    stray: /\b(null|undefined)\b/.test(s.textContent),
    controls: s.querySelectorAll('button, input, select, textarea, [data-testid^="bulk-"], [data-testid^="alert-"]').length,
    open: [...s.querySelectorAll('[data-testid="district-open"]')].reduce((n, c) => n + Number(c.textContent), 0),
    acknowledged: [...s.querySelectorAll('[data-testid="district-acknowledged"]')].reduce((n, c) => n + Number(c.textContent), 0),
  }));
  check(section.title === 'Cảnh báo của cấp dưới (chỉ xem)', 'the section is titled "Cảnh báo của cấp dưới (chỉ xem)": ' + section.title);
  check(!section.stray, 'no "null" or "undefined" written into the section');
  check(section.controls === 0, 'the district alerts offer no action: ' + section.controls + ' controls');
  check(section.open >= 1 && section.acknowledged >= 1, 'the district alerts show open and acknowledged counts: ' + JSON.stringify(section));
  ok(`province alerts page: ${section.rows} district rows (${section.open} open, ${section.acknowledged} acknowledged), no action`);
  await pshot('15-province-alerts');
  await pp.click('#lang-toggle');
  await pp.waitForFunction(() => document.querySelector('#district-alerts h2')?.textContent === 'District alerts (read-only)');
  ok('in English: "District alerts (read-only)"');
  await pctx.close();

  // -- the district's own console: its link up to the province (layer 4's telemetry) ---------------
  await login(admin, password);
  await page.goto(base + '#/overview');
  await page.waitForSelector('[data-testid="uplink-row"]');
  const up = await page.$eval('[data-testid="uplink-row"]', (r) => ({ state: r.dataset.state,
    badge: r.querySelector('[data-testid="link-state"]').textContent, identity: r.querySelector('[data-testid="child-id"]').textContent }));
  check(up.state === 'healthy' && ['Hoạt động tốt', 'Healthy'].includes(up.badge) && up.identity === childId,
    'the district shows its link up healthy, under the identity the province knows it by: ' + JSON.stringify(up));
  ok(`district overview: its upstream link is "${up.badge}" as ${up.identity}`);
  await shot('16-district-uplink');
  await logout();

  check(problems.length === 0, 'no CSP violation, page error or dialog:\n  ' + problems.join('\n  '));
  ok('no CSP violation, page error or dialog');
  await browser.close();
  clearTimeout(deadline);
  console.log(`# screenshots in ${shots}`);
})().catch(async (err) => {
  console.error('FAIL: ' + (err && err.stack || err));
  if (currentPage) {
    await currentPage.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error('# the page at the failure: ' + path.join(shots, 'failure.png') + ' (' + currentPage.url() + ')');
  }
  process.exit(1);
});
