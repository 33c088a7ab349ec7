// Posture console: a single page, hash routing, vanilla ES2020, no dependencies.
// Every text that comes from the API is inserted as a text node (textContent /
// createTextNode); innerHTML is never used, so SQL- or script-shaped text stays inert.
// The Content-Security-Policy forbids inline scripts, style attributes and inline event
// handlers: styling is by class only, events by addEventListener.
'use strict';

(() => {
  // ---- strings -------------------------------------------------------------------------
  const STRINGS = {
    vi: {
      title: 'Posture — Tình trạng an toàn thông tin',
      overview: 'Tổng quan', alerts: 'Cảnh báo', endpoints: 'Thiết bị đầu cuối', audit: 'Nhật ký kiểm toán',
      logout: 'Đăng xuất', login: 'Đăng nhập', loginTitle: 'Đăng nhập bảng điều khiển',
      userName: 'Tên đăng nhập', password: 'Mật khẩu', loginFailed: 'Đăng nhập không thành công.',
      retryAfter: 'Thử lại sau {s} giây.', loading: 'Đang tải…', none: 'Không có dữ liệu.',
      notAvailable: 'Chưa có', error: 'Lỗi', forbidden: 'Bạn không có quyền thực hiện thao tác này.',
      role_admin: 'quản trị', role_soc: 'SOC', role_auditor: 'kiểm toán viên',
      units: 'Đơn vị', unitTree: 'Cây đơn vị', unit: 'Đơn vị', code: 'Mã', name: 'Tên',
      endpointsCount: 'Thiết bị', stale: 'Không báo cáo', openAlerts: 'Cảnh báo mở',
      targets: 'Chỉ tiêu', target: 'Chỉ tiêu', value: 'Giá trị', passing: 'Đạt / tổng', threshold: 'Mức yêu cầu',
      by: 'Hạn', status: 'Trạng thái', policy: 'Chính sách',
      st_met: 'đạt', 'st_at-risk': 'có nguy cơ', st_missed: 'chưa đạt', 'st_no-data': 'chưa có dữ liệu',
      al_open: 'mở', al_acknowledged: 'đã xác nhận', al_resolved: 'đã xử lý',
      sev_low: 'thấp', sev_medium: 'trung bình', sev_high: 'cao', sev_critical: 'nghiêm trọng',
      generatedAt: 'Cập nhật lúc', childUnits: 'Đơn vị trực thuộc', allUnits: 'Tất cả đơn vị',
      trend: 'Diễn biến', days: 'ngày', noHistory: 'Chưa có lịch sử cho chỉ tiêu này.',
      staleEndpoints: 'Thiết bị không báo cáo', layers: 'Mô hình 4 lớp', systems: 'Hệ thống thông tin',
      layerMatrix: 'Ma trận mô hình 4 lớp (đơn vị × lớp, kèm bằng chứng)',
      lay_1: 'Lớp 1: lực lượng tại chỗ', lay_2: 'Lớp 2: giám sát, bảo vệ chuyên nghiệp',
      lay_3: 'Lớp 3: kiểm tra, đánh giá độc lập', lay_4: 'Lớp 4: kết nối SOC quốc gia',
      exportTitle: 'Xuất danh sách tuân thủ', asOf: 'Tại ngày (tuỳ chọn)', manifest: 'Bản kê (manifest)',
      exportStarted: 'Đã tải xuống {f}.',
      severity: 'Mức độ', rule: 'Quy tắc', subject: 'Đối tượng', titleCol: 'Nội dung', firstSeen: 'Phát hiện',
      lastSeen: 'Lần cuối', assignee: 'Người xử lý', any: '(tất cả)', filter: 'Lọc', reset: 'Xoá lọc',
      ack: 'Xác nhận', resolve: 'Đánh dấu đã xử lý', assign: 'Giao', comment: 'Ghi chú', send: 'Gửi',
      selectAll: 'Chọn tất cả', selected: '{n} đã chọn', bulkDone: 'Đã cập nhật {n} cảnh báo.',
      prev: 'Trang trước', next: 'Trang sau', pageOf: '{a}–{b} / {t}', detail: 'Chi tiết / bằng chứng',
      events: 'Diễn biến xử lý', actor: 'Người thực hiện', at: 'Thời điểm', back: '← Quay lại',
      done: 'Đã cập nhật.', assigneePh: 'tên người xử lý', commentPh: 'nội dung ghi chú',
      search: 'Tìm kiếm', searchPh: 'tên máy, mã thiết bị…', hostname: 'Tên máy', os: 'Hệ điều hành',
      failing: 'Kiểm tra không đạt', yes: 'có', no: 'không', latestReport: 'Báo cáo gần nhất',
      checks: 'Kết quả kiểm tra', failingChecks: 'Các kiểm tra không đạt và cách khắc phục',
      remediation: 'Cách khắc phục', res_pass: 'đạt', res_fail: 'không đạt', res_unknown: 'chưa rõ',
      agentId: 'Mã thiết bị', action: 'Hành động', object: 'Đối tượng', before: 'Trước', after: 'Sau',
      notFound: 'Không tìm thấy trang.', sessionExpired: 'Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.',
      allFailingOk: 'Không có kiểm tra nào không đạt.',
      ev_opened: 'phát sinh', ev_reopened: 'mở lại', ev_acknowledged: 'xác nhận', ev_resolved: 'đã xử lý',
      ev_assigned: 'giao xử lý',
      kind_province: 'tỉnh', kind_district: 'huyện', kind_commune: 'xã', kind_department: 'phòng ban', ev_commented: 'ghi chú',
      historyTitle: 'Lịch sử thay đổi', sequence: 'Số thứ tự', receivedAt: 'Nhận lúc', collectedAt: 'Thu thập lúc',
      changes: 'Thay đổi', noChange: 'Không có thay đổi', firstReport: 'Báo cáo đầu tiên',
      unreadable: 'Không đọc được báo cáo', reportsShown: '{n} / {t} báo cáo gần nhất', fact: 'Thông tin',
      check: 'Kiểm tra',
    },
    en: {
      title: 'Posture — Security posture',
      overview: 'Overview', alerts: 'Alerts', endpoints: 'Endpoints', audit: 'Audit log',
      logout: 'Sign out', login: 'Sign in', loginTitle: 'Sign in to the console',
      userName: 'User name', password: 'Password', loginFailed: 'Sign-in failed.',
      retryAfter: 'Try again in {s} seconds.', loading: 'Loading…', none: 'No data.',
      notAvailable: 'Not available', error: 'Error', forbidden: 'You are not allowed to do this.',
      role_admin: 'admin', role_soc: 'SOC', role_auditor: 'auditor',
      units: 'Units', unitTree: 'Unit tree', unit: 'Unit', code: 'Code', name: 'Name',
      endpointsCount: 'Endpoints', stale: 'Stale', openAlerts: 'Open alerts',
      targets: 'Targets', target: 'Target', value: 'Value', passing: 'Passing / total', threshold: 'Required',
      by: 'By', status: 'Status', policy: 'Policy',
      st_met: 'met', 'st_at-risk': 'at risk', st_missed: 'missed', 'st_no-data': 'no data',
      al_open: 'open', al_acknowledged: 'acknowledged', al_resolved: 'resolved',
      sev_low: 'low', sev_medium: 'medium', sev_high: 'high', sev_critical: 'critical',
      generatedAt: 'Updated', childUnits: 'Subordinate units', allUnits: 'All units',
      trend: 'Trend', days: 'days', noHistory: 'No history for this target yet.',
      staleEndpoints: 'Stale endpoints', layers: 'Four-layer model', systems: 'Information systems',
      layerMatrix: 'Four-layer matrix (unit × layer, with evidence)',
      lay_1: 'Layer 1: on-site staff', lay_2: 'Layer 2: professional monitoring and protection',
      lay_3: 'Layer 3: independent periodic assessment', lay_4: 'Layer 4: national SOC connection',
      exportTitle: 'Export the compliance list', asOf: 'As of (optional)', manifest: 'Manifest',
      exportStarted: 'Downloaded {f}.',
      severity: 'Severity', rule: 'Rule', subject: 'Subject', titleCol: 'Title', firstSeen: 'First seen',
      lastSeen: 'Last seen', assignee: 'Assignee', any: '(any)', filter: 'Filter', reset: 'Reset',
      ack: 'Acknowledge', resolve: 'Resolve', assign: 'Assign', comment: 'Comment', send: 'Send',
      selectAll: 'Select all', selected: '{n} selected', bulkDone: '{n} alerts updated.',
      prev: 'Previous', next: 'Next', pageOf: '{a}–{b} of {t}', detail: 'Detail / evidence',
      events: 'History', actor: 'Actor', at: 'At', back: '← Back',
      done: 'Updated.', assigneePh: 'assignee name', commentPh: 'comment text',
      search: 'Search', searchPh: 'hostname, agent id…', hostname: 'Hostname', os: 'Operating system',
      failing: 'Failing checks', yes: 'yes', no: 'no', latestReport: 'Latest report',
      checks: 'Check results', failingChecks: 'Failing checks and their remediation',
      remediation: 'Remediation', res_pass: 'pass', res_fail: 'fail', res_unknown: 'unknown',
      agentId: 'Agent id', action: 'Action', object: 'Object', before: 'Before', after: 'After',
      notFound: 'Page not found.', sessionExpired: 'Your session expired, please sign in again.',
      allFailingOk: 'No failing checks.',
      ev_opened: 'opened', ev_reopened: 'reopened', ev_acknowledged: 'acknowledged', ev_resolved: 'resolved',
      ev_assigned: 'assigned',
      kind_province: 'province', kind_district: 'district', kind_commune: 'commune', kind_department: 'department', ev_commented: 'commented',
      historyTitle: 'History of changes', sequence: 'Sequence', receivedAt: 'Received', collectedAt: 'Collected',
      changes: 'Changes', noChange: 'No change', firstReport: 'First report',
      unreadable: 'Unreadable report', reportsShown: 'latest {n} of {t} reports', fact: 'Fact',
      check: 'Check',
    },
  };

  let lang = 'vi';
  try { if (localStorage.getItem('posture.lang') === 'en') lang = 'en'; } catch (_) { /* storage off */ }

  function t(key, vars) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.vi[key] || key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
    return s;
  }
  // A bilingual field pair from the API (title_vi / title_en ...).
  const pick = (obj, base) => (obj && (obj[base + '_' + lang] || obj[base + '_vi'] || obj[base + '_en'])) || '';

  // ---- DOM helpers (no innerHTML anywhere) ---------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') node[k] = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(node, children);
    return node;
  }
  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  // ---- formatting ----------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, '0');
  // dd/mm/yyyy HH:mm in Vietnam time (UTC+7, no daylight saving), whatever the browser's zone.
  function fmtTime(v) {
    if (v === undefined || v === null || v === '' || v === 0) return '—';
    let ms;
    if (typeof v === 'number') ms = v > 1e12 ? v : v * 1000;
    else if (/^\d+$/.test(String(v))) ms = Number(v) * 1000;
    else ms = Date.parse(String(v));
    if (!Number.isFinite(ms)) return String(v);
    const d = new Date(ms + 7 * 3600 * 1000);
    return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  function fmtDay(v) {  // YYYY-MM-DD -> dd/mm/yyyy
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v || ''));
    return m ? `${m[3]}/${m[2]}/${m[1]}` : (v ? String(v) : '—');
  }
  function fmtPct(v) {
    if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
    const p = Number(v) * 100;
    return (Math.round(p * 10) / 10).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB') + '%';
  }
  function fmtJson(v) {
    if (v === undefined || v === null || v === '') return '';
    if (typeof v === 'string') {
      try { return JSON.stringify(JSON.parse(v), null, 2); } catch (_) { return v; }
    }
    return JSON.stringify(v, null, 2);
  }
  const STATUSES = ['met', 'at-risk', 'missed', 'no-data'];
  function badge(kind, value, testid) {
    const known = kind === 'st' ? STATUSES.includes(value) : true;
    return el('span', {
      class: `badge ${kind}-${known ? value : 'unknown'}`, 'data-status': value,
      'data-testid': testid || (kind === 'st' ? 'status-badge' : kind + '-badge'),
    }, t(kind + '_' + value) === kind + '_' + value ? String(value || '—') : t(kind + '_' + value));
  }

  // ---- API -----------------------------------------------------------------------------
  let session = null;  // {user, role, csrf}

  class ApiError extends Error {
    constructor(status, body, headers) {
      const e = (body && body.error) || {};
      super(e.message_en || e.message_vi || `HTTP ${status}`);
      this.status = status; this.code = e.code || String(status); this.body = e; this.headers = headers;
    }
    text() { return (lang === 'en' ? this.body.message_en : this.body.message_vi) || this.body.message_vi || this.body.message_en || `${t('error')} ${this.status}`; }
  }

  async function api(method, path, body, opts) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD' && session && session.csrf) headers['X-CSRF-Token'] = session.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (opts && opts.raw) {
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers);
      return res;
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new ApiError(res.status, data, res.headers);
      if (res.status === 401 && !(opts && opts.allow401)) {
        session = null; updateChrome();
        flash(t('sessionExpired'), 'warn');
        go('#/login');
      }
      throw err;
    }
    return data;
  }
  const qs = (params) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
    const s = p.toString();
    return s ? '?' + s : '';
  };

  const can = {
    triage: () => session && (session.role === 'admin' || session.role === 'soc'),
    exportData: () => session && (session.role === 'admin' || session.role === 'auditor'),
    audit: () => session && (session.role === 'admin' || session.role === 'auditor'),
  };

  // ---- chrome: nav, flash, language ----------------------------------------------------
  const $ = (id) => document.getElementById(id);
  let flashTimer = 0;
  function flash(text, kind) {
    const f = $('flash');
    f.textContent = text; f.className = 'flash flash-' + (kind || 'info'); f.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { f.hidden = true; }, 6000);
  }
  function showError(err) {
    if (err instanceof ApiError) {
      if (err.status === 401) return;
      flash(err.status === 403 && !err.body.message_vi ? t('forbidden') : err.text(), 'error');
    } else {
      flash(`${t('error')}: ${err && err.message ? err.message : err}`, 'error');
    }
  }

  function updateChrome() {
    document.documentElement.lang = lang;
    document.title = t('title');
    $('lang-toggle').textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
    $('lang-toggle').setAttribute('aria-label', lang === 'vi' ? 'Switch to English' : 'Chuyển sang tiếng Việt');
    $('logout').textContent = t('logout');
    const nav = clear($('nav'));
    const loggedIn = !!session;
    nav.hidden = !loggedIn; $('logout').hidden = !loggedIn;
    clear($('who'));
    if (!loggedIn) return;
    $('who').append(session.user, ' · ', t('role_' + session.role));
    const route = currentRoute().name;
    const links = [['overview', '#/overview'], ['alerts', '#/alerts'], ['endpoints', '#/endpoints']];
    if (can.audit()) links.push(['audit', '#/audit']);
    for (const [key, href] of links) {
      nav.append(el('a', { href, id: 'nav-' + key, 'data-testid': 'nav-' + key,
        class: route === key ? 'active' : '' }, t(key)));
    }
  }

  // ---- routing -------------------------------------------------------------------------
  function currentRoute() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [pathPart, query] = hash.split('?');
    const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
    return { name: parts[0] || 'overview', id: parts[1], params: new URLSearchParams(query || '') };
  }
  function go(hash) { if (location.hash !== hash) location.hash = hash; else render(); }
  function routeHash(name, id, params) {
    return '#/' + name + (id ? '/' + encodeURIComponent(id) : '') + qs(params || {});
  }

  let renderSeq = 0;
  async function render() {
    const seq = ++renderSeq;
    const route = currentRoute();
    if (!session && route.name !== 'login') {
      try { session = await api('GET', '/api/v1/session', undefined, { allow401: true }); } catch (_) { session = null; }
      if (seq !== renderSeq) return;
      if (!session) { go('#/login'); return; }
    }
    updateChrome();
    const app = clear($('app'));
    app.setAttribute('data-page', route.name);
    const pages = { login: pageLogin, overview: pageOverview, alerts: pageAlerts, endpoints: pageEndpoints, audit: pageAudit };
    const page = pages[route.name];
    if (!page) { app.append(el('h1', { id: 'page-title', 'data-testid': 'page-title' }, t('notFound'))); return; }
    try {
      await page(app, route, () => seq === renderSeq);
    } catch (err) {
      if (seq !== renderSeq) return;
      showError(err);
      if (!(err instanceof ApiError && err.status === 401)) {
        app.append(el('p', { class: 'error', 'data-testid': 'page-error' },
          err instanceof ApiError ? err.text() : String(err && err.message || err)));
      }
    }
  }
  function heading(text, extra) {
    return el('div', { class: 'page-head' }, el('h1', { id: 'page-title', 'data-testid': 'page-title' }, text), extra);
  }
  function section(title, testid, ...children) {
    return el('section', { class: 'card', 'data-testid': testid, id: testid }, el('h2', null, title), ...children);
  }
  function table(testid, headers, rows) {
    return el('div', { class: 'table-wrap' }, el('table', { 'data-testid': testid, id: testid },
      el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', null, rows)));
  }
  const loadingNode = () => el('p', { class: 'muted' }, t('loading'));

  // ---- login ---------------------------------------------------------------------------
  async function pageLogin(app) {
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
        session = await api('POST', '/api/v1/session', { name: name.value, password: pw.value }, { allow401: true });
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

  // ---- overview ------------------------------------------------------------------------
  const unitCache = new Map();  // code -> unit (from any overview answer)
  const unitName = (u) => (lang === 'en' && u.name_en) || u.name || u.code;
  // The codes of a unit and everything under it (as far as the cache knows).
  function subtree(code) {
    const out = new Set([code]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const u of unitCache.values()) if (u.parent && out.has(u.parent) && !out.has(u.code)) { out.add(u.code); grew = true; }
    }
    return out;
  }

  async function pageOverview(app, route, alive) {
    const selected = route.params.get('unit') || '';
    app.append(heading(t('overview')));
    const body = el('div', { class: 'overview' });
    app.append(body); body.append(loadingNode());
    const data = await api('GET', '/api/v1/overview' + qs({ unit: selected }));
    if (!alive()) return;
    // `units`: the selected unit (or each root) and its children, with their targets;
    // `tree`: every unit's figures without targets, for the navigation tree.
    const units = (data && data.units) || [];
    if (data && data.tree) { unitCache.clear(); for (const u of data.tree) unitCache.set(u.code, u); }
    for (const u of units) if (!unitCache.has(u.code)) unitCache.set(u.code, u);
    clear(body);

    const byCode = new Map(units.map((u) => [u.code, u]));
    let current = selected ? byCode.get(selected) : null;
    if (!current) current = units.find((u) => !u.parent || !byCode.has(u.parent)) || null;
    const children = (code) => [...unitCache.values()].filter((u) => u.parent === code);

    // tree (everything known so far)
    const tree = el('nav', { class: 'card unit-tree', id: 'unit-tree', 'data-testid': 'unit-tree', 'aria-label': t('unitTree') },
      el('h2', null, t('unitTree')));
    const roots = [...unitCache.values()].filter((u) => !u.parent || !unitCache.has(u.parent));
    const seen = new Set();
    const branch = (list) => el('ul', null, list.map((u) => {
      if (seen.has(u.code)) return null;
      seen.add(u.code);
      const kids = children(u.code);
      return el('li', null,
        el('a', { href: routeHash('overview', null, { unit: u.code }), 'data-testid': 'unit-node-' + u.code,
          class: current && current.code === u.code ? 'active' : '' }, unitName(u),
          el('span', { class: 'muted' }, ' ', u.code), u.open_alerts ? el('span', { class: 'count' }, u.open_alerts) : null),
        kids.length ? branch(kids) : null);
    }));
    tree.append(roots.length ? branch(roots) : el('p', { class: 'muted' }, t('none')));

    const mainCol = el('div', { class: 'overview-main' });
    body.append(tree, mainCol);
    mainCol.append(el('p', { class: 'muted', 'data-testid': 'generated-at' }, t('generatedAt'), ': ', fmtTime(data && data.generated_at)));
    if (!current) { mainCol.append(el('p', { class: 'muted' }, t('none'))); return; }

    // the selected unit
    mainCol.append(section(`${unitName(current)} (${current.code})`, 'unit-summary',
      el('dl', { class: 'stats' },
        el('div', null, el('dt', null, t('endpointsCount')), el('dd', { 'data-testid': 'stat-endpoints' }, current.endpoints ?? '—')),
        el('div', null, el('dt', null, t('stale')), el('dd', { 'data-testid': 'stat-stale' }, current.stale ?? '—')),
        el('div', null, el('dt', null, t('openAlerts')), el('dd', { 'data-testid': 'stat-open-alerts' },
          el('a', { href: routeHash('alerts', null, { unit: current.code }) }, current.open_alerts ?? '—')))),
      targetTable(current)));

    // sub-units (or all units when at the top) with each target's badge
    const kids = units.filter((u) => u.parent === current.code);
    const listed = kids.length ? kids : units.filter((u) => !u.parent || !byCode.has(u.parent));
    mainCol.append(section(kids.length ? t('childUnits') : t('units'), 'unit-table-section', unitsTable(listed)));

    // trend
    mainCol.append(trendSection(current));
    // stale endpoints, four-layer model, systems, export
    mainCol.append(staleSection(current));
    mainCol.append(layerMatrix([current, ...kids]));
    mainCol.append(optionalSection('/api/v1/layers', current.code, t('layers'), 'layers'));
    mainCol.append(optionalSection('/api/v1/systems', current.code, t('systems'), 'systems'));
    if (can.exportData()) mainCol.append(exportSection(current));
  }

  // The four layers' verdicts of the unit and its children, each with its evidence.
  function layerMatrix(units) {
    const rows = units.filter((u) => Array.isArray(u.layers) && u.layers.length);
    if (!rows.length) return section(t('layerMatrix'), 'layer-matrix', el('p', { class: 'muted' }, t('none')));
    return section(t('layerMatrix'), 'layer-matrix',
      table('layer-matrix-table', [t('unit'), ...[1, 2, 3, 4].map((n) => t('lay_' + n))],
        rows.map((u) => el('tr', { 'data-testid': 'layer-matrix-row', 'data-unit': u.code },
          el('th', { scope: 'row' }, unitName(u), el('div', { class: 'muted small' }, u.code)),
          [1, 2, 3, 4].map((n) => {
            const v = u.layers.find((x) => x.layer === n) || {};
            return el('td', { 'data-testid': 'layer-cell', 'data-layer': n, 'data-pass': String(!!v.pass) },
              badge('st', v.pass ? 'met' : 'missed'),
              el('div', { class: 'small evidence-text' }, pick(v, 'evidence') || '—'));
          })))));
  }

  function targetTable(unit) {
    const targets = unit.targets || [];
    if (!targets.length) return el('p', { class: 'muted' }, t('none'));
    const rows = [];
    let policy = null;
    for (const tg of [...targets].sort((a, b) => String(a.policy).localeCompare(String(b.policy)))) {
      if (tg.policy !== policy) {
        policy = tg.policy;
        rows.push(el('tr', { class: 'group' }, el('th', { colspan: 6, scope: 'colgroup' }, t('policy'), ': ', policy || '—')));
      }
      rows.push(tg);
    }
    return table('targets-table', [t('target'), t('value'), t('passing'), t('threshold'), t('by'), t('status')],
      rows.map((tg) => tg instanceof Node ? tg : el('tr', { 'data-testid': 'target-row', 'data-target': tg.id, 'data-policy': tg.policy },
        el('td', null, pick(tg, 'title') || tg.id, el('div', { class: 'muted small' }, tg.id)),
        el('td', { class: 'num' }, meter(tg), fmtPct(tg.value)),
        el('td', { class: 'num' }, `${tg.passing ?? '—'} / ${tg.total ?? '—'}`),
        el('td', { class: 'num' }, fmtPct(tg.threshold)),
        el('td', null, fmtDay(tg.by)),
        el('td', null, badge('st', tg.status)))));
  }
  function meter(tg) {
    if (tg.value === null || tg.value === undefined) return null;
    const m = el('meter', { min: 0, max: 1, class: 'meter' });
    m.value = Number(tg.value);
    if (tg.threshold !== undefined) { m.low = Number(tg.threshold) - 0.0001; m.optimum = 1; m.high = Number(tg.threshold); }
    return m;
  }
  // One row per unit: its figures and how many of its targets are met / at risk / missed.
  function unitsTable(units) {
    return table('units-table', [t('unit'), t('endpointsCount'), t('stale'), t('openAlerts'), t('targets')],
      units.map((u) => {
        const counts = {};
        for (const tg of u.targets || []) counts[tg.status] = (counts[tg.status] || 0) + 1;
        return el('tr', { 'data-testid': 'unit-row-' + u.code, class: 'unit-row', 'data-unit': u.code },
          el('td', null, el('a', { href: routeHash('overview', null, { unit: u.code }) }, unitName(u)),
            el('div', { class: 'muted small' }, u.code, u.kind ? ' · ' + t('kind_' + u.kind) : '')),
          el('td', { class: 'num' }, u.endpoints ?? '—'), el('td', { class: 'num' }, u.stale ?? '—'),
          el('td', { class: 'num' }, u.open_alerts ?? '—'),
          el('td', { class: 'badges' }, STATUSES.filter((st) => counts[st]).map((st) =>
            el('span', { class: 'badge-count' }, badge('st', st), ' × ', counts[st]))));
      }));
  }

  function trendSection(unit) {
    const targets = unit.targets || [];
    const chart = el('div', { class: 'chart', id: 'trend-chart', 'data-testid': 'trend-chart' });
    const sel = el('select', { id: 'trend-target', 'data-testid': 'trend-target' },
      targets.map((tg, i) => el('option', { value: String(i) }, `${pick(tg, 'title') || tg.id} (${tg.policy})`)));
    const daysSel = el('select', { id: 'trend-days' }, [30, 90, 365].map((d) => el('option', { value: d, selected: d === 90 }, `${d} ${t('days')}`)));
    async function load() {
      clear(chart).append(loadingNode());
      const tg = targets[Number(sel.value)];
      if (!tg) return;
      try {
        const h = await api('GET', '/api/v1/history' + qs({ unit: unit.code, target: tg.id, policy: tg.policy, days: daysSel.value }));
        clear(chart).append(drawTrend((h && h.points) || [], tg && tg.threshold));
      } catch (err) {
        clear(chart).append(el('p', { class: 'muted' }, err instanceof ApiError && err.status === 404 ? t('notAvailable') : (err.text ? err.text() : String(err))));
      }
    }
    sel.addEventListener('change', load); daysSel.addEventListener('change', load);
    const s = section(t('trend'), 'trend', el('div', { class: 'row' }, sel, daysSel), chart);
    if (targets.length) load(); else clear(chart).append(el('p', { class: 'muted' }, t('none')));
    return s;
  }

  // Inline SVG line chart: value 0..100% by day, the required threshold dashed.
  function drawTrend(points, threshold) {
    if (!points.length) return el('p', { class: 'muted' }, t('noHistory'));
    const W = 640, H = 220, L = 44, R = 12, T = 12, B = 34;
    const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : i * (W - L - R) / (points.length - 1));
    const y = (v) => T + (1 - Math.max(0, Math.min(1, v))) * (H - T - B);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'trend-svg', role: 'img', 'data-testid': 'trend-svg' });
    root.append(svg('title', null, t('trend')));
    for (const g of [0, 0.25, 0.5, 0.75, 1]) {
      root.append(svg('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }));
      root.append(svg('text', { x: L - 6, y: y(g) + 4, class: 'axis', 'text-anchor': 'end' }, `${g * 100}%`));
    }
    if (threshold !== undefined && threshold !== null) {
      root.append(svg('line', { x1: L, x2: W - R, y1: y(threshold), y2: y(threshold), class: 'threshold' }));
    }
    let d = '', pen = false;
    points.forEach((p, i) => {
      if (p.value === null || p.value === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `; pen = true;
    });
    if (d) root.append(svg('path', { d: d.trim(), class: 'line' }));
    points.forEach((p, i) => {
      if (p.value === null || p.value === undefined) return;
      const c = svg('circle', { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 3, class: 'pt st-' + (STATUSES.includes(p.status) ? p.status : 'unknown') });
      c.append(svg('title', null, `${fmtDay(p.day)}: ${fmtPct(p.value)} (${t('st_' + p.status)})`));
      root.append(c);
    });
    const step = Math.max(1, Math.ceil(points.length / 6));
    points.forEach((p, i) => {
      if (i % step && i !== points.length - 1) return;
      root.append(svg('text', { x: x(i), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, fmtDay(p.day).slice(0, 5)));
    });
    return root;
  }

  function staleSection(unit) {
    const box = el('div', null, loadingNode());
    (async () => {
      try {
        const r = await api('GET', '/api/v1/endpoints' + qs({ unit: unit.code, limit: 500 }));
        const stale = ((r && r.endpoints) || []).filter((e) => e.stale);
        clear(box).append(stale.length ? endpointTable(stale.slice(0, 50), 'stale-table')
          : el('p', { class: 'muted' }, t('none')));
      } catch (err) { clear(box).append(el('p', { class: 'muted' }, err.text ? err.text() : String(err))); }
    })();
    return section(`${t('staleEndpoints')} (${unit.stale ?? 0})`, 'stale-endpoints', box);
  }

  // Sections whose API may not exist yet: "not available" on 404, a generic table otherwise.
  // A renderer registered for the section's testid (org.js: layers, systems) replaces the
  // generic table; it gets a reload function to call after a change.
  function optionalSection(path, unitCode, title, testid) {
    const box = el('div', null, loadingNode());
    const load = async () => {
      try {
        const r = await api('GET', path + qs({ unit: unitCode }));
        const view = sectionViews.get(testid);
        clear(box).append(view ? view(r, { unit: unitCode, units: subtree(unitCode), reload: load }) : genericData(r, subtree(unitCode)));
      } catch (err) {
        clear(box).append(el('p', { class: 'muted', 'data-testid': testid + '-na' },
          err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)
            ? `${t('notAvailable')} / ${lang === 'vi' ? 'not available' : 'chưa có'}` : (err.text ? err.text() : String(err))));
      }
    };
    load();
    return section(title, testid, box);
  }
  const COLUMN = {
    vi: { unit: 'Đơn vị', layer: 'Lớp', reference: 'Tham chiếu', document: 'Văn bản', date: 'Ngày', valid_until: 'Hiệu lực đến',
      period_months: 'Chu kỳ (tháng)', recorded_by: 'Người ghi', recorded_at: 'Ghi lúc', code: 'Mã', name: 'Tên', level: 'Cấp độ',
      shared: 'Dùng chung', dossier_decision: 'Quyết định cấp độ', dossier_approved: 'Ngày phê duyệt hồ sơ',
      plan_implemented: 'Triển khai phương án', last_assessment: 'Đánh giá gần nhất', assessor: 'Đơn vị đánh giá',
      assessment_period_months: 'Chu kỳ đánh giá (tháng)', status: 'Trạng thái' },
    en: { period_months: 'period (months)', valid_until: 'valid until', recorded_by: 'recorded by', recorded_at: 'recorded at',
      dossier_decision: 'level decision', dossier_approved: 'dossier approved', plan_implemented: 'plan implemented',
      last_assessment: 'last assessment', assessment_period_months: 'assessment period (months)' },
  };
  function genericData(r, units) {
    let list = Array.isArray(r) ? r : null;
    if (!list && r && typeof r === 'object') list = Object.values(r).find((v) => Array.isArray(v)) || null;
    if (!list) return el('pre', { class: 'json' }, fmtJson(r));
    if (units) list = list.filter((row) => !row || row.unit === undefined || units.has(row.unit));
    if (!list.length) return el('p', { class: 'muted' }, t('none'));
    const keys = [];
    for (const row of list) for (const k of Object.keys(row || {})) if (!keys.includes(k)) keys.push(k);
    const shown = keys.filter((k) => !k.endsWith(lang === 'vi' ? '_en' : '_vi'));
    const label = (k) => { const b = k.replace(/_(vi|en)$/, ''); return COLUMN[lang][b] || COLUMN[lang][k] || b.replace(/_/g, ' '); };
    return table('generic-table', shown.map(label), list.map((row) => el('tr', null, shown.map((k) => {
      const v = row[k];
      if (typeof v === 'boolean') return el('td', null, v ? t('yes') : t('no'));
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return el('td', null, fmtDay(v));
      if (typeof v === 'number' && /_at$/.test(k)) return el('td', null, fmtTime(v));
      return el('td', null, v !== null && typeof v === 'object' ? el('pre', { class: 'json small' }, fmtJson(v)) : (v ?? '—'));
    }))));
  }

  function exportSection(unit) {
    const asOf = el('input', { type: 'date', id: 'export-as-of', 'data-testid': 'export-as-of' });
    const status = el('p', { class: 'muted', 'data-testid': 'export-status' });
    const params = (format) => qs({ format, unit: unit.code, as_of: asOf.value, lang });
    async function download(format) {
      status.textContent = t('loading');
      try {
        const res = await api('GET', '/api/v1/export' + params(format), undefined, { raw: true });
        const blob = await res.blob();
        const cd = res.headers.get('Content-Disposition') || '';
        const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd);
        const name = m ? decodeURIComponent(m[1] || m[2]) : `danh-sach-tuan-thu-${unit.code}.${format}`;
        const url = URL.createObjectURL(blob);
        const a = el('a', { href: url, download: name, class: 'hidden' });
        document.body.append(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        status.textContent = t('exportStarted', { f: name });
      } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
    }
    async function manifest() {
      status.textContent = t('loading');
      try {
        const m = await api('GET', '/api/v1/export/manifest' + params('xlsx'));
        clear(status).append(el('pre', { class: 'json', 'data-testid': 'export-manifest' }, fmtJson(m)));
      } catch (err) { status.textContent = err instanceof ApiError ? err.text() : String(err.message || err); }
    }
    return section(t('exportTitle'), 'export',
      el('div', { class: 'row' },
        el('label', null, t('asOf'), ' ', asOf),
        ['csv', 'xlsx', 'json'].map((f) => el('button', { type: 'button', id: 'export-' + f, 'data-testid': 'export-' + f, onclick: () => download(f) }, f.toUpperCase())),
        el('button', { type: 'button', id: 'export-manifest-btn', 'data-testid': 'export-manifest-btn', class: 'link-button', onclick: manifest }, t('manifest'))),
      status);
  }

  // ---- alerts --------------------------------------------------------------------------
  const PAGE = 50;
  async function pageAlerts(app, route, alive) {
    if (route.id) return pageAlert(app, route, alive);
    const p = route.params;
    const f = { unit: p.get('unit') || '', severity: p.get('severity') || '', status: p.get('status') || '', rule: p.get('rule') || '' };
    // Keyset paging (after/before an alert id); `offset` only numbers the rows shown.
    const offset = Math.max(0, Number(p.get('offset')) || 0);
    const after = Number(p.get('after')) || 0, before = Number(p.get('before')) || 0;
    app.append(heading(t('alerts')));

    const unitIn = el('input', { id: 'f-unit', 'data-testid': 'filter-unit', value: f.unit, list: 'unit-codes', placeholder: t('code') });
    const unitList = el('datalist', { id: 'unit-codes' }, [...unitCache.keys()].map((c) => el('option', { value: c })));
    const sevSel = el('select', { id: 'f-severity', 'data-testid': 'filter-severity' },
      el('option', { value: '' }, t('any')), ['critical', 'high', 'medium', 'low'].map((s) => el('option', { value: s, selected: f.severity === s }, t('sev_' + s))));
    const stSel = el('select', { id: 'f-status', 'data-testid': 'filter-status' },
      el('option', { value: '' }, t('any')), ['open', 'acknowledged', 'resolved'].map((s) => el('option', { value: s, selected: f.status === s }, t('al_' + s))));
    const ruleIn = el('input', { id: 'f-rule', 'data-testid': 'filter-rule', value: f.rule });
    const form = el('form', { class: 'filters card', id: 'alert-filters', 'data-testid': 'alert-filters' },
      el('label', null, t('unit'), unitIn, unitList), el('label', null, t('severity'), sevSel),
      el('label', null, t('status'), stSel), el('label', null, t('rule'), ruleIn),
      el('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, t('filter')),
      el('a', { href: '#/alerts', class: 'link-button' }, t('reset')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      go(routeHash('alerts', null, { unit: unitIn.value.trim(), severity: sevSel.value, status: stSel.value, rule: ruleIn.value.trim() }));
    });
    app.append(form);

    const box = el('div', { class: 'card' }, loadingNode());
    app.append(box);
    const r = await api('GET', '/api/v1/alerts' + qs({ ...f, limit: PAGE, after_id: after || '', before_id: after ? '' : before || '' }));
    if (!alive()) return;
    const alerts = (r && r.alerts) || [];
    const total = Number(r && r.total) || alerts.length;
    clear(box);

    const checks = new Map();
    const triage = can.triage();
    const count = el('span', { class: 'muted', 'data-testid': 'selected-count' }, t('selected', { n: 0 }));
    const bulkBar = el('div', { class: 'row bulk', id: 'bulk-bar', 'data-testid': 'bulk-bar' });
    const assignee = el('input', { id: 'bulk-assignee', 'data-testid': 'bulk-assignee', placeholder: t('assigneePh') });
    const selectedIds = () => [...checks.entries()].filter(([, c]) => c.checked).map(([id]) => id);
    const refreshCount = () => { count.textContent = t('selected', { n: selectedIds().length }); };
    async function bulk(action) {
      const ids = selectedIds();
      if (!ids.length) return;
      if (action === 'assign' && !assignee.value.trim()) { assignee.focus(); return; }
      try {
        const body = { ids, action };
        if (action === 'assign') body.assignee = assignee.value.trim();
        const res = await api('POST', '/api/v1/alerts/bulk', body);
        flash(t('bulkDone', { n: res && res.updated !== undefined ? res.updated : ids.length }), 'ok');
        render();
      } catch (err) { showError(err); }
    }
    if (triage) {
      const all = el('input', { type: 'checkbox', id: 'select-all', 'data-testid': 'select-all', 'aria-label': t('selectAll') });
      all.addEventListener('change', () => { for (const c of checks.values()) c.checked = all.checked; refreshCount(); });
      bulkBar.append(el('label', null, all, ' ', t('selectAll')), count,
        el('button', { type: 'button', 'data-testid': 'bulk-ack', id: 'bulk-ack', onclick: () => bulk('ack') }, t('ack')),
        el('button', { type: 'button', 'data-testid': 'bulk-resolve', id: 'bulk-resolve', onclick: () => bulk('resolve') }, t('resolve')),
        assignee,
        el('button', { type: 'button', 'data-testid': 'bulk-assign', id: 'bulk-assign', onclick: () => bulk('assign') }, t('assign')));
      box.append(bulkBar);
    }
    if (!alerts.length) { box.append(el('p', { class: 'muted', 'data-testid': 'alerts-empty' }, t('none'))); return; }
    const headers = [t('severity'), t('status'), t('titleCol'), t('unit'), t('subject'), t('lastSeen'), t('assignee')];
    if (triage) headers.unshift('');
    box.append(table('alerts-table', headers, alerts.map((a) => {
      const cells = [
        el('td', null, badge('sev', a.severity)),
        el('td', null, badge('al', a.status, 'alert-status')),
        el('td', null, el('a', { href: routeHash('alerts', String(a.id)), 'data-testid': 'alert-link' }, pick(a, 'title') || a.rule),
          el('div', { class: 'muted small' }, a.rule)),
        el('td', null, a.unit || '—'), el('td', { class: 'break' }, subjectLink(a.subject)),
        el('td', null, fmtTime(a.last_seen)), el('td', null, a.assignee || '—'),
      ];
      if (triage) {
        const c = el('input', { type: 'checkbox', 'data-testid': 'alert-check', 'aria-label': String(a.id), value: String(a.id) });
        c.addEventListener('change', refreshCount);
        checks.set(a.id, c);
        cells.unshift(el('td', null, c));
      }
      return el('tr', { 'data-testid': 'alert-row', 'data-alert-id': a.id, 'data-status': a.status }, cells);
    })));
    const first = alerts.length ? alerts[0].id : 0, last = alerts.length ? alerts[alerts.length - 1].id : 0;
    const atStart = offset === 0 || (!after && !before);
    box.append(el('div', { class: 'row pager', 'data-testid': 'pager' },
      !atStart && first ? el('a', { href: routeHash('alerts', null, { ...f, before: first, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button' }, t('prev')) : null,
      el('span', { class: 'muted' }, t('pageOf', { a: alerts.length ? offset + 1 : 0, b: offset + alerts.length, t: total })),
      alerts.length === PAGE && last && offset + alerts.length < total
        ? el('a', { href: routeHash('alerts', null, { ...f, after: last, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
  }

  async function pageAlert(app, route, alive) {
    const id = route.id;
    app.append(heading(t('alerts') + ' #' + id, el('a', { href: '#/alerts', class: 'link-button' }, t('back'))));
    const a = await api('GET', '/api/v1/alerts/' + encodeURIComponent(id));
    if (!alive()) return;
    const act = async (path, body) => {
      try { await api('POST', `/api/v1/alerts/${encodeURIComponent(id)}/${path}`, body || {}); flash(t('done'), 'ok'); render(); }
      catch (err) { showError(err); }
    };
    app.append(section(pick(a, 'title') || a.rule, 'alert-detail',
      el('dl', { class: 'kv' },
        kv(t('status'), badge('al', a.status, 'alert-status')), kv(t('severity'), badge('sev', a.severity)),
        kv(t('rule'), a.rule), kv(t('unit'), a.unit), kv(t('subject'), subjectLink(a.subject)),
        kv(t('firstSeen'), fmtTime(a.first_seen)), kv(t('lastSeen'), fmtTime(a.last_seen)),
        kv(t('assignee'), el('span', { 'data-testid': 'alert-assignee' }, a.assignee || '—'))),
      el('h3', null, t('detail')),
      el('pre', { class: 'evidence', 'data-testid': 'alert-evidence' }, fmtJson(a.detail) || '—')));

    if (can.triage()) {
      const assignee = el('input', { id: 'assign-input', 'data-testid': 'assign-input', placeholder: t('assigneePh'), value: a.assignee || '' });
      const comment = el('textarea', { id: 'comment-input', 'data-testid': 'comment-input', placeholder: t('commentPh'), rows: 3 });
      app.append(section(t('action'), 'alert-actions',
        el('div', { class: 'row' },
          a.status === 'open' ? el('button', { type: 'button', class: 'primary', id: 'alert-ack', 'data-testid': 'alert-ack', onclick: () => act('ack') }, t('ack')) : null,
          a.status !== 'resolved' ? el('button', { type: 'button', id: 'alert-resolve', 'data-testid': 'alert-resolve', onclick: () => act('resolve') }, t('resolve')) : null),
        el('div', { class: 'row' }, assignee,
          el('button', { type: 'button', id: 'alert-assign', 'data-testid': 'alert-assign', onclick: () => assignee.value.trim() && act('assign', { assignee: assignee.value.trim() }) }, t('assign'))),
        el('div', { class: 'row' }, comment,
          el('button', { type: 'button', id: 'alert-comment', 'data-testid': 'alert-comment', onclick: () => comment.value.trim() && act('comment', { text: comment.value }) }, t('comment')))));
    }

    const events = a.events || [];
    app.append(section(t('events'), 'alert-events', events.length ? table('events-table', [t('at'), t('actor'), t('action'), t('detail')],
      events.map((e) => el('tr', { 'data-testid': 'event-row' },
        el('td', null, fmtTime(e.at)), el('td', null, e.actor || '—'), el('td', null, evName(e.event || e.action)),
        el('td', { class: 'break' }, e.text ?? e.detail ?? e.comment ?? '')))) : el('p', { class: 'muted' }, t('none'))));
  }
  // "endpoint:AGENT" and "unit:CODE" subjects link to their page.
  function subjectLink(subject) {
    const m = /^(endpoint|unit):(.+)$/.exec(subject || '');
    if (!m) return subject || '—';
    const href = m[1] === 'endpoint' ? routeHash('endpoints', m[2]) : routeHash('overview', null, { unit: m[2] });
    return el('a', { href, 'data-testid': 'subject-link' }, subject);
  }
  function evName(ev) {
    if (!ev) return '—';
    const k = 'ev_' + ev;
    return t(k) === k ? String(ev) : t(k);
  }
  function kv(k, v) { return el('div', null, el('dt', null, k), el('dd', null, v ?? '—')); }

  // ---- endpoints -----------------------------------------------------------------------
  function endpointTable(list, testid) {
    return table(testid || 'endpoints-table', [t('hostname'), t('unit'), t('os'), t('lastSeen'), t('stale'), t('failing')],
      list.map((e) => el('tr', { 'data-testid': 'endpoint-row', 'data-agent-id': e.agent_id },
        el('td', null, el('a', { href: routeHash('endpoints', e.agent_id), 'data-testid': 'endpoint-link' }, e.hostname || e.agent_id),
          el('div', { class: 'muted small' }, e.agent_id)),
        el('td', null, e.unit || '—'), el('td', null, e.os || '—'), el('td', null, fmtTime(e.last_seen)),
        el('td', null, e.stale ? el('span', { class: 'badge st-missed' }, t('yes')) : t('no')),
        el('td', { class: 'num' }, Array.isArray(e.failing) ? e.failing.length : (e.failing ?? '—')))));
  }

  async function pageEndpoints(app, route, alive) {
    if (route.id) return pageEndpoint(app, route, alive);
    const q = route.params.get('q') || '', unit = route.params.get('unit') || '';
    // Keyset paging (after/before an agent id, as for alerts): the API caps `offset`, and a
    // keyset page costs the same at any depth. `offset` only numbers the rows shown.
    const offset = Math.max(0, Number(route.params.get('offset')) || 0);
    const after = route.params.get('after') || '', before = after ? '' : route.params.get('before') || '';
    app.append(heading(t('endpoints')));
    const qIn = el('input', { id: 'endpoint-search', 'data-testid': 'endpoint-search', type: 'search', value: q, placeholder: t('searchPh') });
    const unitIn = el('input', { id: 'endpoint-unit', 'data-testid': 'endpoint-unit', value: unit, list: 'unit-codes-e', placeholder: t('unit') });
    const form = el('form', { class: 'filters card' }, el('label', null, t('search'), qIn),
      el('label', null, t('unit'), unitIn, el('datalist', { id: 'unit-codes-e' }, [...unitCache.keys()].map((c) => el('option', { value: c })))),
      el('button', { type: 'submit', class: 'primary', 'data-testid': 'endpoint-search-go' }, t('search')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); go(routeHash('endpoints', null, { q: qIn.value.trim(), unit: unitIn.value.trim() })); });
    app.append(form);
    const box = el('div', { class: 'card' }, loadingNode());
    app.append(box);
    const r = await api('GET', '/api/v1/endpoints' + qs({ q, unit, limit: PAGE, after_id: after, before_id: before }));
    if (!alive()) return;
    const list = (r && r.endpoints) || [];
    const total = Number(r && r.total) || list.length;
    const first = list.length ? list[0].agent_id : '', last = list.length ? list[list.length - 1].agent_id : '';
    clear(box).append(list.length ? endpointTable(list) : el('p', { class: 'muted' }, t('none')),
      el('div', { class: 'row pager', 'data-testid': 'pager' },
        offset > 0 && first ? el('a', { href: routeHash('endpoints', null, { q, unit, before: first, offset: Math.max(0, offset - PAGE) || '' }), class: 'link-button' }, t('prev')) : null,
        el('span', { class: 'muted' }, t('pageOf', { a: list.length ? offset + 1 : 0, b: offset + list.length, t: total })),
        list.length === PAGE && last && offset + list.length < total
          ? el('a', { href: routeHash('endpoints', null, { q, unit, after: last, offset: offset + PAGE }), class: 'link-button', 'data-testid': 'pager-next' }, t('next')) : null));
  }

  async function pageEndpoint(app, route, alive) {
    app.append(heading(t('endpoints'), el('a', { href: '#/endpoints', class: 'link-button' }, t('back'))));
    const r = await api('GET', '/api/v1/endpoints/' + encodeURIComponent(route.id));
    if (!alive()) return;
    const e = (r && r.endpoint) || {};
    app.append(section(e.hostname || route.id, 'endpoint-detail', el('dl', { class: 'kv' },
      kv(t('agentId'), e.agent_id || route.id), kv(t('unit'), e.unit), kv(t('os'), e.os),
      kv(t('lastSeen'), fmtTime(e.last_seen)), kv(t('stale'), e.stale ? t('yes') : t('no')),
      Object.entries(e).filter(([k]) => !['agent_id', 'unit', 'os', 'last_seen', 'stale', 'hostname', 'failing'].includes(k))
        .map(([k, v]) => kv(k, v !== null && typeof v === 'object' ? el('pre', { class: 'json small' }, fmtJson(v)) : v)))));
    const checks = (r && r.checks) || [];
    const failing = checks.filter((c) => c.result === 'fail');
    app.append(section(t('failingChecks'), 'failing-checks', failing.length ? el('ul', { class: 'remediation' }, failing.map((c) =>
      el('li', { 'data-testid': 'failing-check' }, el('strong', null, pick(c, 'title') || c.id), el('span', { class: 'muted small' }, ' ', c.policy, ' · ', c.id),
        el('p', null, pick(c, 'remediation') || '—'))))
      : el('p', { class: 'muted' }, t('allFailingOk'))));
    const order = { fail: 0, unknown: 1, pass: 2 };
    app.append(section(t('checks'), 'checks', checks.length ? table('checks-table', [t('policy'), t('target'), t('status'), t('remediation')],
      [...checks].sort((a, b) => (order[a.result] ?? 3) - (order[b.result] ?? 3)).map((c) => el('tr', { 'data-testid': 'check-row', 'data-result': c.result },
        el('td', null, c.policy || '—'), el('td', null, pick(c, 'title') || c.id, el('div', { class: 'muted small' }, c.id)),
        el('td', null, el('span', { class: 'badge res-' + (order[c.result] !== undefined ? c.result : 'unknown') }, t('res_' + c.result) === 'res_' + c.result ? String(c.result) : t('res_' + c.result))),
        el('td', { class: 'small' }, c.result === 'pass' ? '' : pick(c, 'remediation')))))
      : el('p', { class: 'muted' }, t('none'))));
    app.append(historySection(route.id));
    app.append(section(t('latestReport'), 'latest-report', r && r.report ? el('pre', { class: 'json', 'data-testid': 'report-json' }, fmtJson(r.report)) : el('p', { class: 'muted' }, t('none'))));
  }

  // What changed from one report to the next (GET /endpoints/{id}/history), newest first.
  function historySection(agentId) {
    const box = el('div', null, loadingNode());
    (async () => {
      try {
        const r = await api('GET', '/api/v1/endpoints/' + encodeURIComponent(agentId) + '/history' + qs({ limit: 20 }));
        const rows = (r && r.reports) || [];
        if (!rows.length) { clear(box).append(el('p', { class: 'muted' }, t('none'))); return; }
        const fromTo = (a, b) => [el('span', { class: 'muted' }, a || '—'), ' → ', el('strong', null, b || '—')];
        const resBadge = (v) => el('span', { class: 'badge res-' + (['pass', 'fail'].includes(v) ? v : 'unknown') }, t('res_' + v) === 'res_' + v ? String(v) : t('res_' + v));
        const changeList = (h) => {
          if (!h.decoded) return el('span', { class: 'error' }, t('unreadable'));
          if (h.first) return el('span', { class: 'muted' }, t('firstReport'));
          if (!h.changed || !h.changes) return el('span', { class: 'muted', 'data-testid': 'history-no-change' }, t('noChange'));
          const c = h.changes, items = [];
          if (c.hostname) items.push(el('li', null, t('hostname'), ': ', fromTo(c.hostname.from, c.hostname.to)));
          if (c.unit) items.push(el('li', null, t('unit'), ': ', fromTo(c.unit.from, c.unit.to)));
          for (const f of c.facts || []) {
            items.push(el('li', { 'data-testid': 'history-fact', 'data-name': f.name }, pick(f, 'title') || f.name, ': ',
              fromTo(lang === 'en' ? f.from_en : f.from_vi, lang === 'en' ? f.to_en : f.to_vi)));
          }
          for (const k of c.checks || []) {
            items.push(el('li', { 'data-testid': 'history-check' }, t('check'), ' ', pick(k, 'title') || k.id, ' ',
              el('span', { class: 'muted small' }, k.policy, ' · ', k.id), ': ', resBadge(k.from), ' → ', resBadge(k.to)));
          }
          return el('ul', { class: 'changes' }, items);
        };
        clear(box).append(
          el('p', { class: 'muted small' }, t('reportsShown', { n: rows.length, t: r.total ?? rows.length })),
          table('history-table', [t('sequence'), t('receivedAt'), t('collectedAt'), t('failing'), t('changes')],
            rows.map((h) => el('tr', { 'data-testid': 'history-row', 'data-changed': h.changed ? 'yes' : 'no' },
              el('td', { class: 'num' }, h.sequence), el('td', null, fmtTime(h.received_at)), el('td', null, fmtTime(h.collected_at)),
              el('td', { class: 'num' }, h.failing ?? '—'), el('td', null, changeList(h))))));
      } catch (err) {
        clear(box).append(el('p', { class: 'muted' }, err instanceof ApiError ? err.text() : String(err && err.message || err)));
      }
    })();
    return section(t('historyTitle'), 'endpoint-history', box);
  }

  // ---- audit ---------------------------------------------------------------------------
  async function pageAudit(app, route, alive) {
    app.append(heading(t('audit')));
    if (!can.audit()) { app.append(el('p', { class: 'error' }, t('forbidden'))); return; }
    const box = el('div', { class: 'card' }, loadingNode());
    app.append(box);
    const r = await api('GET', '/api/v1/audit' + qs({ limit: 100 }));
    if (!alive()) return;
    const entries = (r && r.entries) || [];
    clear(box).append(entries.length ? table('audit-table', [t('at'), t('actor'), t('action'), t('object'), t('before'), t('after')],
      entries.map((e) => el('tr', { 'data-testid': 'audit-row' },
        el('td', null, fmtTime(e.at)), el('td', null, e.actor || '—'), el('td', null, e.action || '—'), el('td', { class: 'break' }, e.object || '—'),
        el('td', null, e.before ? el('pre', { class: 'json small' }, fmtJson(e.before)) : '—'),
        el('td', null, e.after ? el('pre', { class: 'json small' }, fmtJson(e.after)) : '—'))))
      : el('p', { class: 'muted' }, t('none')));
  }

  // ---- extensions (org.js) -------------------------------------------------------------
  // Files loaded after this one add strings and section renderers through this object;
  // nothing else of this closure is reachable from outside.
  const sectionViews = new Map();  // section testid -> (data, {unit, units, reload}) => Node
  window.PostureConsole = Object.freeze({
    el, append, clear, t, pick, table, fmtDay, fmtTime, api, ApiError, flash, showError,
    lang: () => lang,
    session: () => session,
    unitName: (code) => (unitCache.has(code) ? unitName(unitCache.get(code)) : code),
    addStrings(table) {
      for (const l of Object.keys(STRINGS)) Object.assign(STRINGS[l], (table && table[l]) || {});
    },
    addSectionView(testid, view) { sectionViews.set(testid, view); },
  });

  // ---- start ---------------------------------------------------------------------------
  function init() {
    $('lang-toggle').addEventListener('click', () => {
      lang = lang === 'vi' ? 'en' : 'vi';
      try { localStorage.setItem('posture.lang', lang); } catch (_) { /* storage off */ }
      render();
    });
    $('logout').addEventListener('click', async () => {
      try { await api('DELETE', '/api/v1/session', undefined, { allow401: true }); } catch (_) { /* gone anyway */ }
      session = null; unitCache.clear();
      go('#/login');
    });
    window.addEventListener('hashchange', () => { $('flash').hidden = true; render(); });
    if (!location.hash) history.replaceState(null, '', '#/overview');
    render();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
