// The remediation list in the browser (issue 17, part C), called by console_test.js while
// the admin is signed in on the overview and the console is in Vietnamese; leaves it so.
//   - the page of unit BS: its header (unit, date, collector), one group per action in
//     Vietnamese, each machine with its observed value, and the API's counts agree;
//   - English: titles and advice switch;
//   - print: the print CSS hides the navigation and the controls, page.pdf() gives a PDF
//     (starts with %PDF) with one page per action group at least;
//   - CSV and XLSX downloads (BOM, PK);
//   - an unknown unit is refused naming `unit`; a SOC analyst has no link and gets 403.
'use strict';
const fs = require('fs');
const path = require('path');

async function run(ctx) {
  const { page, base, shot, apiGet, check, ok, shots, browser, contextOptions } = ctx;
  const title = () => page.textContent('#page-title');

  await page.click('#nav-remediation');
  await page.waitForSelector('[data-testid="rem-head"]');
  check((await title()) === 'Danh sách khắc phục', 'the remediation heading is Vietnamese: ' + (await title()));
  await page.fill('#rem-unit', 'BS');
  await page.click('[data-testid="rem-go"]');
  await page.waitForFunction(() => (document.querySelector('[data-testid="rem-head-unit"]')?.textContent || '').startsWith('BS'));
  const api = await apiGet('/api/v1/remediation?unit=BS');
  check(api.status === 200 && api.body.groups.length === 6, 'GET /api/v1/remediation?unit=BS answers six groups: ' + api.status);
  const groups = await page.$$eval('section.rem-group', (s) => s.map((g) => ({
    id: g.dataset.testid, count: Number(g.dataset.count), rows: g.querySelectorAll('[data-testid="rem-item"]').length,
    title: g.querySelector('h2').textContent })));
  check(groups.length === 6, 'six action groups shown, got ' + groups.length);
  for (const [i, g] of api.body.groups.entries()) {
    check(groups[i].id === 'rem-group-' + g.action && groups[i].rows === g.items.length,
      `group ${g.action}: ${groups[i].rows} rows shown, ${g.items.length} in the API`);
  }
  check(groups[0].title.startsWith('Cài đặt hoặc bật phần mềm phòng, chống mã độc'), 'the first group title is Vietnamese: ' + groups[0].title);
  const total = api.body.groups.reduce((n, g) => n + g.items.length, 0);
  check(total > 0, 'the simulated fleet has machines to fix under BS');
  const units = new Set(api.body.groups.flatMap((g) => g.items.map((i) => i.unit)));
  check([...units].every((u) => u === 'BS' || u.startsWith('BS-')), 'only BS and its subtree: ' + [...units].join(', '));
  const head = await page.textContent('[data-testid="rem-head"]');
  check(head.includes('Ngày lập') && head.includes('Máy chủ thu thập'), 'the header names the date and the collector: ' + head);
  ok(`remediation page of BS: ${groups.map((g) => g.id.replace('rem-group-', '') + ' ' + g.count).join(', ')} (${api.body.machines_to_fix} of ${api.body.endpoints} machines)`);
  await shot('17-remediation');

  // English.
  await page.click('#lang-toggle');
  await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Remediation list');
  await page.waitForSelector('[data-testid="rem-head"]');
  const enTitle = await page.textContent('[data-testid="rem-group-antivirus"] h2');
  check(enTitle.startsWith('Install or enable anti-malware'), 'the group titles switch to English: ' + enTitle);
  ok('remediation page in English: ' + enTitle);
  await shot('18-remediation-en');

  // Print: no navigation nor controls on paper; a PDF from headless Chromium.
  await page.emulateMedia({ media: 'print' });
  const hidden = await page.evaluate(() => ({
    nav: getComputedStyle(document.getElementById('topbar')).display,
    form: getComputedStyle(document.querySelector('form.no-print')).display,
    doc: getComputedStyle(document.querySelector('.rem-doc')).display,
    breaks: [...document.querySelectorAll('section.rem-group')].map((s) => getComputedStyle(s).breakBefore),
    running: [...document.querySelectorAll('section.rem-group .rem-running')].map((r) => getComputedStyle(r).display === 'block' ? r.textContent : ''),
  }));
  check(hidden.nav === 'none' && hidden.form === 'none', 'print hides the navigation and the controls: ' + JSON.stringify(hidden));
  check(hidden.doc === 'block' && hidden.breaks[0] !== 'page' && hidden.breaks.slice(1).every((b) => b === 'page'),
    'print shows the document title, the first group under it and a page break before each other group: ' + JSON.stringify(hidden));
  check(hidden.running.length === 6 && hidden.running.every((r) => r.startsWith('Remediation list — BS') && r.includes(' · ')),
    'each printed group is headed by the list, unit, date and collector: ' + hidden.running[0]);
  await shot('19-remediation-print');
  const pdfPath = path.join(shots, 'remediation-BS-en.pdf');
  const pdf = await page.pdf({ path: pdfPath, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: null });
  check(pdf.length > 5000 && pdf.subarray(0, 4).toString('latin1') === '%PDF', `page.pdf() gives a PDF (${pdf.length} bytes)`);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  check(pages >= 6, 'at least one PDF page per action group, got ' + pages);
  ok(`printed to PDF: ${pdf.length} bytes, ${pages} pages (${pdfPath})`);

  // Downloads.
  for (const [format, magic] of [['csv', '\xEF\xBB\xBF'], ['xlsx', 'PK']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="rem-' + format + '"]')]);
    const file = path.join(shots, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    check(download.suggestedFilename().startsWith('khac-phuc-BS-') && bytes.subarray(0, magic.length).toString('latin1') === magic,
      `${format} download ${download.suggestedFilename()} starts right`);
    ok(`remediation ${format.toUpperCase()} downloaded: ${download.suggestedFilename()}, ${bytes.length} bytes`);
  }
  const unknown = await apiGet('/api/v1/remediation?unit=NOPE');
  check(unknown.status === 404 && /'unit'/.test(unknown.body.error.message_en), 'an unknown unit is refused naming unit: ' + JSON.stringify(unknown.body));
  ok('unknown unit: 404 ' + unknown.body.error.message_en);

  await page.click('#lang-toggle');  // back to Vietnamese for what follows
  await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Danh sách khắc phục');

  // A SOC analyst: no link, and the API refuses (the roles of the exports).
  const sctx = await browser.newContext(contextOptions);
  const sp = await sctx.newPage();
  await sp.goto(base + '#/login');
  await sp.waitForSelector('#login-form');
  await sp.fill('#login-name', 'soc');
  await sp.fill('#login-password', process.env.SOC_PASSWORD);
  await sp.click('#login-submit');
  await sp.waitForSelector('[data-testid^="unit-row-"]');
  check(!(await sp.$('#nav-remediation')), 'the SOC analyst has no remediation link');
  const socStatus = await sp.evaluate(async () => (await fetch('/api/v1/remediation?unit=BS', { credentials: 'same-origin' })).status);
  check(socStatus === 403, 'the server refuses the SOC analyst the remediation list, got ' + socStatus);
  await sctx.close();
  ok('soc: no remediation link; GET /api/v1/remediation is 403');

  await page.goto(base + '#/overview');  // where the caller left off
  await page.waitForSelector('[data-testid^="unit-row-"]');
}

module.exports = { run };
