// Moat HTML report: draws the page from the JSON in #moat-data. No framework, no
// request: everything the page shows is in that element.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('moat-data').textContent);
  var app = document.getElementById('app');
  var SEV = data.severities; // severity value -> name
  var PAGE_SIZES = [50, 100, 250, 500];
  var PRINT_MAX = 2000; // rows a print shows at most

  // ---- helpers -------------------------------------------------------------------

  // el builds an element; props are set as properties (never as a style attribute, which
  // the page's Content-Security-Policy forbids), children are nodes or strings.
  function el(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      for (var k in props) {
        if (!Object.prototype.hasOwnProperty.call(props, k) || props[k] == null) continue;
        if (k === 'text') e.textContent = props[k];
        else if (k === 'class') e.className = props[k];
        else if (k.indexOf('aria-') === 0 || k.indexOf('data-') === 0 || k === 'role' || k === 'for' || k === 'scope' || k === 'colspan') e.setAttribute(k, props[k]);
        else if (k.indexOf('on') === 0) e.addEventListener(k.slice(2), props[k]);
        else e[k] = props[k];
      }
    }
    for (var i = 2; i < arguments.length; i++) addOne(e, arguments[i]);
    return e;
  }
  // add appends each child after the parent: nodes, strings, arrays of them; null skipped.
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) addOne(parent, arguments[i]);
  }
  function addOne(parent, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { addOne(parent, x); }); return; }
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }

  // vis shows the characters that would make text read other than it is (controls, bidi
  // overrides, zero-width and line separators) as \u escapes, as the terminal report does.
  var hidden = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
  function vis(s) {
    return String(s == null ? '' : s).replace(hidden, function (c) {
      return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }
  function fmt(n) { return n.toLocaleString('en-US'); }
  function plural(n, word) { return fmt(n) + ' ' + word + (n === 1 ? '' : 's'); }
  function sevBadge(s) { return el('span', { class: 'sev sev-' + s, text: SEV[s] }); }
  function resourceName(r) { return r.kind + '/' + (r.namespace ? r.namespace + '/' : '') + r.name; }
  function nsLabel(ns) { return ns === '' ? '(none)' : ns; }
  function debounce(fn, ms) {
    var t = 0;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  // ---- the index: one typed column per filter, built once --------------------------

  var F = data.findings, N = F.length;
  data.resources.forEach(function (r) { r.namespace = r.namespace || ''; }); // omitted when empty
  function distinct(values) {
    var seen = Object.create(null), out = [];
    values.forEach(function (v) { if (!(v in seen)) { seen[v] = 1; out.push(v); } });
    return out.sort();
  }
  var namespaces = distinct(data.resources.map(function (r) { return r.namespace; }));
  var kinds = distinct(data.resources.map(function (r) { return r.kind; }));
  var ruleIDs = distinct(data.rules.map(function (r) { return r.id; }));
  function positions(list) {
    var m = Object.create(null);
    list.forEach(function (v, i) { m[v] = i; });
    return m;
  }
  var nsAt = positions(namespaces), kindAt = positions(kinds), ruleAt = positions(ruleIDs);

  var col = {
    sev: new Uint8Array(N), ns: new Int32Array(N), kind: new Int32Array(N),
    rule: new Int32Array(N), supp: new Uint8Array(N)
  };
  var hay = new Array(N); // lower-case text the search looks in
  var anySuppressed = false;
  for (var i = 0; i < N; i++) {
    var f = F[i], r = data.resources[f.o], rule = data.rules[f.r];
    col.sev[i] = f.s;
    col.ns[i] = nsAt[r.namespace];
    col.kind[i] = kindAt[r.kind];
    col.rule[i] = ruleAt[rule.id];
    col.supp[i] = f.x ? 1 : 0;
    if (f.x) anySuppressed = true;
    hay[i] = (f.m + '\n' + rule.id + '\n' + rule.title + '\n' + resourceName(r) + '\n' + (f.p || '') + '\n' + location(f)).toLowerCase();
  }

  function location(f) {
    if (f.f < 0) return '';
    var file = data.files[f.f];
    return file.path + (f.l ? ':' + f.l : '');
  }

  // Sort orders, each computed once and kept: a filter then walks one in order.
  var sortKeys = {
    sev: function (a, b) { return F[b].s - F[a].s; },
    rule: function (a, b) { return cmp(data.rules[F[a].r].id, data.rules[F[b].r].id); },
    res: function (a, b) { return cmp(resKey(a), resKey(b)); },
    ns: function (a, b) { return cmp(data.resources[F[a].o].namespace, data.resources[F[b].o].namespace); },
    msg: function (a, b) { return cmp(F[a].m, F[b].m); },
    loc: function (a, b) { return cmp(locKey(a), locKey(b)); }
  };
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function resKey(i) { var r = data.resources[F[i].o]; return r.kind + '/' + r.name + '/' + r.namespace; }
  function locKey(i) {
    var f = F[i];
    return f.f < 0 ? '\uffff' : data.files[f.f].path + ':' + ('000000000' + (f.l || 0)).slice(-9);
  }
  var orders = Object.create(null);
  function order(key, dir) {
    var id = key + dir;
    if (!orders[id]) {
      var idx = new Array(N);
      for (var i = 0; i < N; i++) idx[i] = i;
      if (key !== 'report') {
        var c = sortKeys[key];
        // Ties keep the report order (severity, resource, rule): Array.sort is stable.
        idx.sort(function (a, b) { return dir * c(a, b); });
      }
      orders[id] = Int32Array.from(idx);
    }
    return orders[id];
  }

  // ---- state -----------------------------------------------------------------------

  var state = {
    sev: -1, ns: -1, kind: -1, rule: -1, q: '', suppressed: true, group: false,
    sort: 'report', dir: 1, page: 0, pageSize: 100, open: Object.create(null)
  };
  var visible = new Int32Array(0); // finding (or group, when grouping) indexes shown, in order
  var memberMatch = null; // when grouping: group -> its matching findings, in order

  function matches(i, q) {
    return (state.sev < 0 || col.sev[i] === state.sev) &&
      (state.ns < 0 || col.ns[i] === state.ns) &&
      (state.kind < 0 || col.kind[i] === state.kind) &&
      (state.rule < 0 || col.rule[i] === state.rule) &&
      (state.suppressed || !col.supp[i]) &&
      (q === '' || hay[i].indexOf(q) >= 0);
  }

  function applyFilters() {
    var ord = order(state.sort, state.dir), q = state.q.trim().toLowerCase();
    var out = new Int32Array(N), n = 0;
    if (!state.group) {
      for (var k = 0; k < N; k++) if (matches(ord[k], q)) out[n++] = ord[k];
      memberMatch = null;
    } else {
      // A group is shown where its first matching finding comes in the sort order.
      memberMatch = Object.create(null);
      for (var j = 0; j < N; j++) {
        var i = ord[j];
        if (!matches(i, q)) continue;
        var g = F[i].g;
        if (!memberMatch[g]) { memberMatch[g] = []; out[n++] = g; }
        memberMatch[g].push(i);
      }
    }
    visible = out.subarray(0, n);
  }

  // ---- page frame -----------------------------------------------------------------

  var tabs = [];
  function header() {
    var s = data.summary, bits = [];
    if (data.tool) bits.push('Moat ' + data.tool);
    if (data.time) bits.push(data.time);
    if (data.scan) bits.push(plural(s.objects, 'object') + ' scanned');
    add(app, [
      el('h1', { text: data.title }),
      el('p', { class: 'meta', text: bits.join(' · ') }),
      data.partial ? el('p', { class: 'banner', role: 'note', text: 'Partial results: whole kinds could not be read, so the findings are incomplete.' }) : null
    ]);
  }

  function tabbed(list) {
    var bar = el('div', { role: 'tablist', 'aria-label': 'Report sections' });
    add(app, bar);
    list.forEach(function (t, i) {
      var btn = el('button', {
        role: 'tab', id: 'tab-' + t.id, 'aria-controls': 'panel-' + t.id, text: t.title,
        'aria-selected': i === 0 ? 'true' : 'false', tabIndex: i === 0 ? 0 : -1,
        onclick: function () { select(t.id); }
      });
      btn.addEventListener('keydown', function (ev) {
        var at = tabs.indexOf(t), to = -1;
        if (ev.key === 'ArrowRight') to = (at + 1) % tabs.length;
        else if (ev.key === 'ArrowLeft') to = (at + tabs.length - 1) % tabs.length;
        else if (ev.key === 'Home') to = 0;
        else if (ev.key === 'End') to = tabs.length - 1;
        if (to >= 0) { ev.preventDefault(); select(tabs[to].id); tabs[to].button.focus(); }
      });
      var panel = el('section', { role: 'tabpanel', id: 'panel-' + t.id, 'aria-labelledby': 'tab-' + t.id, tabIndex: 0, hidden: i !== 0 });
      t.button = btn; t.panel = panel; t.drawn = false;
      tabs.push(t);
      add(bar, btn);
      add(app, panel);
    });
    select(list[0].id);
  }

  function select(id) {
    tabs.forEach(function (t) {
      var on = t.id === id;
      t.button.setAttribute('aria-selected', on ? 'true' : 'false');
      t.button.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
      if (on && !t.drawn) { t.drawn = true; t.draw(t.panel); }
      if (on && t.shown) t.shown();
    });
  }

  // ---- summary ---------------------------------------------------------------------

  function drawSummary(p) {
    var s = data.summary;
    var line = [plural(s.findings, 'finding')];
    if (s.rootCauses && s.rootCauses !== s.findings) line.push('in ' + plural(s.rootCauses, 'root cause'));
    if (s.suppressed) line.push(fmt(s.suppressed) + ' suppressed');
    if (s.errors) line.push(plural(s.errors, 'input error'));
    add(p, el('p', { text: line.join(', ') + '.' }));
    var cards = el('div', { class: 'cards' });
    for (var sev = SEV.length - 1; sev >= 0; sev--) {
      (function (sev) {
        add(cards, el('button', {
          class: 'card', 'aria-label': 'Show the ' + SEV[sev] + ' findings',
          onclick: function () { showFindings({ sev: sev }); }
        }, el('span', { class: 'n', text: fmt(s.bySeverity[SEV[sev]] || 0) }), sevBadge(sev)));
      })(sev);
    }
    add(p, cards);
    if (data.errors && data.errors.length) add(p, el('h2', { text: 'Input errors' }), list(data.errors));
    if (data.warnings && data.warnings.length) add(p, el('h2', { text: 'Warnings' }), list(data.warnings));
    if (data.snippetsCut) add(p, el('p', { class: 'muted', text: plural(data.snippetsCut, 'finding') + ' show no source lines: the report keeps its size bounded.' }));

    // Counts per namespace and per rule, of the unsuppressed findings.
    var byNs = namespaces.map(function () { return [0, 0, 0, 0, 0]; });
    var byRule = ruleIDs.map(function (id) { return { id: id, n: 0, sev: 0, title: '' }; });
    for (var i = 0; i < N; i++) {
      if (col.supp[i]) continue;
      byNs[col.ns[i]][col.sev[i]]++;
      var r = byRule[col.rule[i]];
      r.n++; r.sev = Math.max(r.sev, col.sev[i]); r.title = r.title || data.rules[F[i].r].title;
    }
    add(p, el('h2', { text: 'By namespace' }));
    var nsRows = namespaces.map(function (ns, k) {
      return { k: k, ns: ns, c: byNs[k], total: byNs[k].reduce(function (a, b) { return a + b; }, 0) };
    }).filter(function (r) { return r.total > 0; });
    nsRows.sort(function (a, b) { return b.total - a.total || cmp(a.ns, b.ns); });
    var maxTotal = nsRows.length ? nsRows[0].total : 1;
    var head = [el('th', { scope: 'col', text: 'Namespace' })];
    for (var s2 = SEV.length - 1; s2 >= 0; s2--) head.push(el('th', { scope: 'col', class: 'num', text: SEV[s2] }));
    head.push(el('th', { scope: 'col', text: 'Total' }));
    add(p, capped(nsRows, 200, function (rows) {
      return el('table', { class: 'compact' }, el('thead', null, el('tr', null, head)), el('tbody', null, rows.map(function (r) {
        var cells = [el('th', { scope: 'row' }, el('button', { class: 'link', text: nsLabel(r.ns), onclick: function () { showFindings({ ns: r.k }); } }))];
        for (var s3 = SEV.length - 1; s3 >= 0; s3--) cells.push(el('td', { class: 'num', text: r.c[s3] ? fmt(r.c[s3]) : '' }));
        var bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
        bar.style.width = Math.max(2, Math.round(160 * r.total / maxTotal)) + 'px';
        cells.push(el('td', null, fmt(r.total), bar));
        return el('tr', null, cells);
      })));
    }));

    add(p, el('h2', { text: 'By rule' }));
    var ruleRows = byRule.map(function (r, k) { r.k = k; return r; }).filter(function (r) { return r.n > 0; });
    ruleRows.sort(function (a, b) { return b.sev - a.sev || b.n - a.n || cmp(a.id, b.id); });
    add(p, capped(ruleRows, 300, function (rows) {
      return el('table', { class: 'compact' },
        el('thead', null, el('tr', null, el('th', { scope: 'col', text: 'Rule' }), el('th', { scope: 'col', text: 'Title' }), el('th', { scope: 'col', text: 'Severity' }), el('th', { scope: 'col', class: 'num', text: 'Findings' }))),
        el('tbody', null, rows.map(function (r) {
          return el('tr', null,
            el('th', { scope: 'row' }, el('button', { class: 'link mono', text: r.id, onclick: function () { showFindings({ rule: r.k }); } })),
            el('td', { text: vis(r.title) }), el('td', null, sevBadge(r.sev)), el('td', { class: 'num', text: fmt(r.n) }));
        })));
    }));
  }

  function list(items) { return el('ul', null, items.map(function (t) { return el('li', { text: vis(t) }); })); }
  function capped(rows, max, draw) {
    if (rows.length === 0) return el('p', { class: 'muted', text: 'Nothing to show.' });
    var out = [draw(rows.slice(0, max))];
    if (rows.length > max) out.push(el('p', { class: 'muted', text: 'The first ' + fmt(max) + ' of ' + fmt(rows.length) + ' rows.' }));
    return out;
  }

  // ---- compliance ------------------------------------------------------------------

  function drawCompliance(p) {
    var c = data.compliance;
    add(p, el('h2', { text: 'Pod Security Standards' }),
      el('p', { class: 'muted', text: 'The strictest level each namespace\u2019s workloads meet, judged from the unsuppressed findings: a failed baseline check leaves privileged, only restricted checks failed leave baseline. Namespaces with no finding at all are not in this report.' }));
    add(p, capped(c.pss || [], 500, function (rows) {
      return el('table', { class: 'compact' },
        el('thead', null, el('tr', null, ['Namespace', 'Level met', 'Baseline checks failed', 'Restricted checks failed', 'Findings'].map(function (h, i) { return el('th', { scope: 'col', class: i === 4 ? 'num' : null, text: h }); }))),
        el('tbody', null, rows.map(function (r) {
          return el('tr', null, el('th', { scope: 'row', text: nsLabel(r.namespace) }),
            el('td', { class: 'level-' + r.level, text: r.level }),
            el('td', { class: 'mono', text: (r.baseline || []).join(', ') }),
            el('td', { class: 'mono', text: (r.restricted || []).join(', ') }),
            el('td', { class: 'num', text: fmt(r.findings) + (r.suppressed ? ' (+' + fmt(r.suppressed) + ' suppressed)' : '') }));
        })));
    }));
    frameworkTable(p, 'CIS Kubernetes Benchmark', c.cis, true,
      '“No finding” means no rule found a problem in what this scan read: the control-plane, etcd and node controls (sections 1 to 4) are only checked on what moat node reads, or on the components’ manifests when the scan includes them.');
    frameworkTable(p, 'NSA/CISA Kubernetes Hardening Guide', c.nsa, false);
    frameworkTable(p, 'MITRE ATT\u0026CK techniques', c.mitre, false);
  }

  // frameworkTable lists the controls of a framework; CIS in one folding block a section,
  // open where a control fails.
  function frameworkTable(p, title, rows, sections, note) {
    rows = rows || [];
    var failing = rows.filter(function (r) { return r.findings > 0; }).length;
    add(p, el('h2', { text: title }),
      el('p', { class: 'muted', text: plural(rows.length, 'control') + ' checked by the rules of this scan; ' + fmt(failing) + ' with findings.' + (note ? ' ' + note : '') }));
    if (!rows.length) return;
    if (!sections) { add(p, controlTable(rows)); return; }
    var bySection = [], at = Object.create(null);
    rows.forEach(function (r) {
      if (!(r.section in at)) { at[r.section] = bySection.length; bySection.push({ id: r.section, title: r.sectionTitle, rows: [] }); }
      bySection[at[r.section]].rows.push(r);
    });
    bySection.forEach(function (sec) {
      var fail = sec.rows.filter(function (r) { return r.findings > 0; }).length;
      add(p, el('details', { class: 'section', open: fail > 0 },
        el('summary', null, el('strong', { text: sec.id + ' ' + (sec.title || '') }), ' — ' + plural(sec.rows.length, 'control') + ', ',
          el('span', { class: fail ? 'fail' : 'pass', text: fail ? fmt(fail) + ' failing' : 'none failing' })),
        controlTable(sec.rows)));
    });
  }

  function controlTable(rows) {
    return el('table', { class: 'compact' },
      el('thead', null, el('tr', null, ['Control', 'Status', 'Failing rules', 'Checked by'].map(function (h) { return el('th', { scope: 'col', text: h }); }))),
      el('tbody', null, rows.map(function (r) {
        return el('tr', null,
          el('th', { scope: 'row', class: 'mono', text: r.id }),
          el('td', { class: r.findings ? 'fail' : 'pass', text: r.findings ? 'fails: ' + plural(r.findings, 'finding') : 'no finding' }),
          el('td', { class: 'mono', text: (r.failing || []).join(', ') }),
          el('td', { class: 'mono muted' }, r.rules.length > 3 ?
            el('details', null, el('summary', { text: plural(r.rules.length, 'rule') }), r.rules.join(', ')) : r.rules.join(', ')));
      })));
  }

  // ---- findings ------------------------------------------------------------------

  var ui = {};
  function drawFindings(p) {
    function choice(id, label, values, show, onPick) {
      var s = el('select', { id: id });
      add(s, el('option', { value: '-1', text: 'all' }));
      values.forEach(function (v, i) { add(s, el('option', { value: String(i), text: show(v) })); });
      s.addEventListener('change', function () { onPick(parseInt(s.value, 10)); refresh(true); });
      ui[id] = s;
      return el('label', { for: id }, label, s);
    }
    var sevs = SEV.map(function (_, i) { return SEV.length - 1 - i; });
    var sevSelect = el('select', { id: 'f-sev' });
    add(sevSelect, el('option', { value: '-1', text: 'all' }));
    sevs.forEach(function (s) { add(sevSelect, el('option', { value: String(s), text: SEV[s] })); });
    sevSelect.addEventListener('change', function () { state.sev = parseInt(sevSelect.value, 10); refresh(true); });
    ui['f-sev'] = sevSelect;
    var q = el('input', { type: 'search', id: 'f-q', placeholder: 'message, rule, resource, file', autocomplete: 'off' });
    q.addEventListener('input', debounce(function () { state.q = q.value; refresh(true); }, 120));
    ui['f-q'] = q;
    var grp = el('input', { type: 'checkbox', id: 'f-group' });
    grp.addEventListener('change', function () { state.group = grp.checked; refresh(true); });
    ui['f-group'] = grp;
    var supp = null;
    if (anySuppressed) {
      supp = el('input', { type: 'checkbox', id: 'f-supp', checked: true });
      supp.addEventListener('change', function () { state.suppressed = supp.checked; refresh(true); });
    }
    var size = el('select', { id: 'f-size' });
    PAGE_SIZES.forEach(function (n) { add(size, el('option', { value: String(n), text: String(n), selected: n === state.pageSize })); });
    size.addEventListener('change', function () { state.pageSize = parseInt(size.value, 10); refresh(true); });

    add(p, el('div', { class: 'filters', role: 'search', 'aria-label': 'Filter findings' },
      el('label', { for: 'f-q' }, 'Search', q),
      el('label', { for: 'f-sev' }, 'Severity', sevSelect),
      choice('f-ns', 'Namespace', namespaces, nsLabel, function (v) { state.ns = v; }),
      choice('f-kind', 'Kind', kinds, String, function (v) { state.kind = v; }),
      choice('f-rule', 'Rule', ruleIDs, String, function (v) { state.rule = v; }),
      el('label', { class: 'check', for: 'f-group' }, grp, 'Group by root cause'),
      supp ? el('label', { class: 'check', for: 'f-supp' }, supp, 'Show suppressed') : null,
      el('label', { for: 'f-size' }, 'Rows a page', size),
      el('button', { type: 'button', class: 'clear', text: 'Clear filters', onclick: clearFilters })));
    ui.status = el('p', { class: 'status', id: 'f-status', role: 'status', 'aria-live': 'polite' });
    add(p, ui.status);

    var heads = [['sev', 'Severity'], ['rule', 'Rule'], ['res', 'Resource'], ['ns', 'Namespace'], ['msg', 'Message'], ['loc', 'Location']];
    ui.heads = heads.map(function (h) {
      return el('th', { scope: 'col', 'data-key': h[0] }, el('button', { type: 'button', text: h[1], onclick: function () { sortBy(h[0]); } }));
    });
    ui.tbody = el('tbody', { id: 'findings-rows' });
    ui.tbody.addEventListener('click', onRowClick);
    ui.tbody.addEventListener('keydown', onRowKey);
    add(p, el('table', { id: 'findings-table', 'aria-label': 'Findings', 'aria-describedby': 'f-status' },
      el('colgroup', null, ['c-sev', 'c-rule', 'c-res', 'c-ns', 'c-msg', 'c-loc'].map(function (c) { return el('col', { class: c }); })),
      el('thead', null, el('tr', null, ui.heads)), ui.tbody));
    ui.pager = el('div', { class: 'pager' });
    add(p, ui.pager);
    refresh(true);
  }

  function clearFilters() {
    state.sev = state.ns = state.kind = state.rule = -1;
    state.q = '';
    ['f-sev', 'f-ns', 'f-kind', 'f-rule'].forEach(function (id) { ui[id].value = '-1'; });
    ui['f-q'].value = '';
    refresh(true);
  }

  function sortBy(key) {
    if (state.sort === key) state.dir = -state.dir;
    else { state.sort = key; state.dir = 1; }
    refresh(true);
  }

  // showFindings opens the findings tab with one filter set (from the summary).
  function showFindings(pick) {
    select('findings');
    if (pick.sev != null) { state.sev = pick.sev; ui['f-sev'].value = String(pick.sev); }
    if (pick.ns != null) { state.ns = pick.ns; ui['f-ns'].value = String(pick.ns); }
    if (pick.rule != null) { state.rule = pick.rule; ui['f-rule'].value = String(pick.rule); }
    refresh(true);
    ui['f-q'].focus();
  }

  function refresh(reset) {
    applyFilters();
    if (reset) { state.page = 0; state.open = Object.create(null); }
    ui.heads.forEach(function (th) {
      var k = th.getAttribute('data-key');
      // Severity sorts the most severe first: descending, in the order of its values.
      var dir = k === 'sev' ? -state.dir : state.dir;
      th.setAttribute('aria-sort', state.sort === k ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    });
    drawRows(state.page * state.pageSize, state.pageSize);
  }

  function drawRows(from, count) {
    var total = visible.length, to = Math.min(total, from + count);
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      frag.appendChild(state.group ? groupRow(visible[k]) : findingRow(visible[k]));
      var key = (state.group ? 'g' : 'f') + visible[k];
      if (state.open[key]) frag.appendChild(detailRow(state.group ? 'g' : 'f', visible[k]));
    }
    ui.tbody.textContent = '';
    ui.tbody.appendChild(frag);
    var what = state.group ? 'root cause' : 'finding';
    var shown = total === 0 ? 'No ' + what + ' matches.' :
      'Showing ' + fmt(from + 1) + '\u2013' + fmt(to) + ' of ' + plural(total, what) +
      (total < N && !state.group ? ' (of ' + fmt(N) + ')' : '') + '.';
    ui.status.textContent = shown;
    app.setAttribute('data-visible', String(total));
    drawPager(total);
  }

  function drawPager(total) {
    var pages = Math.max(1, Math.ceil(total / state.pageSize)), at = state.page;
    function go(pg) { return function () { state.page = pg; drawRows(pg * state.pageSize, state.pageSize); ui.tbody.focus(); }; }
    ui.pager.textContent = '';
    add(ui.pager, [
      el('button', { type: 'button', text: 'First', disabled: at === 0, onclick: go(0) }),
      el('button', { type: 'button', text: 'Previous', disabled: at === 0, onclick: go(at - 1) }),
      el('span', { text: 'Page ' + fmt(at + 1) + ' of ' + fmt(pages) }),
      el('button', { type: 'button', text: 'Next', disabled: at >= pages - 1, onclick: go(at + 1) }),
      el('button', { type: 'button', text: 'Last', disabled: at >= pages - 1, onclick: go(pages - 1) })
    ]);
  }

  // cells are a row's cells; each cut one keeps its whole text as a tooltip. The location
  // shows the file's name and line, its path in the tooltip.
  function cells(sev, ruleText, res, msg, loc) {
    var short = loc.slice(loc.lastIndexOf('/') + 1);
    return [el('td', null, sevBadge(sev)), el('td', { class: 'mono', text: ruleText, title: ruleText }),
      el('td', { text: vis(res.kind + '/' + res.name), title: vis(res.kind + '/' + res.name) }), el('td', { text: vis(nsLabel(res.namespace)) }),
      el('td', { text: msg, title: msg }), el('td', { class: 'mono', text: short, title: loc })];
  }

  function findingRow(i) {
    var f = F[i], res = data.resources[f.o];
    var tr = el('tr', { class: 'row' + (f.x ? ' suppressed' : ''), tabIndex: 0, 'data-kind': 'f', 'data-i': String(i), 'aria-expanded': state.open['f' + i] ? 'true' : 'false' },
      cells(f.s, data.rules[f.r].id, res, vis(f.m) + (f.x ? ' (suppressed)' : ''), vis(location(f))));
    return tr;
  }

  function groupRow(g) {
    var grp = data.groups[g], members = memberMatch[g], res = data.resources[grp.o];
    var first = F[members[0]];
    var rules = distinct(members.map(function (i) { return data.rules[F[i].r].id; }));
    var msg = members.length === 1 ? vis(first.m) : plural(members.length, 'finding') + ' on ' + (grp.p || 'the object') + ': ' + rules.join(', ');
    return el('tr', { class: 'row', tabIndex: 0, 'data-kind': 'g', 'data-i': String(g), 'aria-expanded': state.open['g' + g] ? 'true' : 'false' },
      cells(grp.s, members.length === 1 ? data.rules[first.r].id : plural(rules.length, 'rule'), res, msg, vis(location(first))));
  }

  function toggle(tr) {
    var kind = tr.getAttribute('data-kind'), i = parseInt(tr.getAttribute('data-i'), 10), key = kind + i;
    if (state.open[key]) {
      delete state.open[key];
      tr.setAttribute('aria-expanded', 'false');
      if (tr.nextSibling && tr.nextSibling.className === 'detail') tr.parentNode.removeChild(tr.nextSibling);
    } else {
      state.open[key] = true;
      tr.setAttribute('aria-expanded', 'true');
      tr.parentNode.insertBefore(detailRow(kind, i), tr.nextSibling);
    }
  }
  function onRowClick(ev) {
    var tr = ev.target.closest('tr.row');
    if (tr && !ev.target.closest('tr.detail')) toggle(tr);
  }
  function onRowKey(ev) {
    var tr = ev.target.closest && ev.target.closest('tr.row');
    if (!tr || ev.target !== tr) return;
    var rows = Array.prototype.slice.call(ui.tbody.querySelectorAll('tr.row')), at = rows.indexOf(tr), to = -1;
    switch (ev.key) {
      case 'Enter': case ' ': ev.preventDefault(); toggle(tr); return;
      case 'ArrowDown': to = Math.min(rows.length - 1, at + 1); break;
      case 'ArrowUp': to = Math.max(0, at - 1); break;
      case 'Home': to = 0; break;
      case 'End': to = rows.length - 1; break;
      default: return;
    }
    ev.preventDefault();
    rows[to].focus();
  }

  function detailRow(kind, i) {
    var box = el('div', { class: 'detail' });
    if (kind === 'f') add(box, findingDetail(i, true));
    else {
      var grp = data.groups[i], members = memberMatch ? memberMatch[i] : [];
      add(box, el('p', null, 'Root cause: ', el('code', { text: vis(grp.p || '(the whole object)') }), ' of ', el('strong', { text: vis(resourceName(data.resources[grp.o])) }), ' \u2014 fix this field once.'));
      members.forEach(function (m, k) { add(box, el('div', { class: 'member' }, findingDetail(m, k === 0))); });
    }
    return el('tr', { class: 'detail' }, el('td', { colspan: 6 }, box));
  }

  function findingDetail(i, withSnippet) {
    var f = F[i], rule = data.rules[f.r], res = data.resources[f.o], fw = rule.frameworks || {};
    var rows = [
      ['Rule', rule.id + ' \u2014 ' + rule.title + ' (' + SEV[f.s] + ')'],
      ['Message', f.m],
      ['Resource', (res.apiVersion ? res.apiVersion + ' ' : '') + resourceName(res)],
      ['Field', f.p],
      ['Location', location(f) + (f.f >= 0 && data.files[f.f].origin ? ' (' + data.files[f.f].origin + ')' : '') + (f.lu ? ' (line unknown: ' + f.lu + ')' : '')],
      ['Frameworks', [fw.pss && 'PSS ' + fw.pss, fw.cis && 'CIS ' + fw.cis, fw.nsa && 'NSA/CISA ' + fw.nsa, fw.mitre && 'MITRE ' + fw.mitre].filter(Boolean).join(' · ')],
      ['Suppressed', f.x],
      ['Remediation', rule.remediation],
      ['About the rule', rule.description]
    ];
    var dl = el('dl');
    rows.forEach(function (r) { if (r[1]) add(dl, el('dt', { text: r[0] }), el('dd', { text: vis(r[1]) })); });
    return [dl, withSnippet ? snippet(f) : null];
  }

  function snippet(f) {
    if (!f.sn) return null;
    var lines = data.files[f.f].lines || {}, pre = el('pre', { class: 'snippet', 'aria-label': 'Source around ' + location(f) });
    for (var n = Math.max(1, f.l - 3); n <= f.l + 3; n++) {
      if (!(n in lines)) continue;
      add(pre, el('span', { class: 'ln' + (n === f.l ? ' hit' : '') }, el('span', { class: 'no', text: String(n) }), vis(lines[n]).replace(/\t/g, '    ')));
    }
    return pre;
  }

  // Print shows every section, and the filtered rows rather than one page of them.
  window.addEventListener('beforeprint', function () {
    tabs.forEach(function (t) { if (!t.drawn) { t.drawn = true; t.draw(t.panel); } });
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) { d.open = true; });
    if (ui.tbody) drawRows(0, Math.min(visible.length, PRINT_MAX));
  });
  window.addEventListener('afterprint', function () {
    if (ui.tbody) drawRows(state.page * state.pageSize, state.pageSize);
  });

  // ---- graphs ----------------------------------------------------------------------

  function drawGraph(p, g) {
    (g.notes || []).forEach(function (n) { add(p, el('p', { class: 'muted', text: vis(n) })); });
    add(p, el('p', { text: plural(g.nodes.length, 'node') + ', ' + plural(g.edges.length, 'edge') + '.' }));
    var drawn = null;
    if (window.MoatGraph && g.nodes.length > 0) {
      var box = el('div', { class: 'graph-box', id: 'graph-' + g.id, role: 'img', 'aria-label': g.title + ': the edges are listed in the table below' });
      var bar = el('div', { class: 'toolbar' });
      add(p, bar, box);
      drawn = window.MoatGraph.draw(box, g, { bar: bar, el: el, vis: vis });
    } else if (g.nodes.length > 0) {
      add(p, el('p', { class: 'muted', text: 'The graph library is not in this page; the edges are listed below.' }));
    }
    add(p, el('h2', { text: 'Edges' }));
    var byID = Object.create(null);
    g.nodes.forEach(function (n) { byID[n.id] = n; });
    function name(id) { var n = byID[id]; return n ? n.label || n.id : id; }
    add(p, capped(g.edges, 1000, function (rows) {
      return el('table', { class: 'compact' },
        el('thead', null, el('tr', null, ['From', 'Edge', 'To', 'Evidence'].map(function (h) { return el('th', { scope: 'col', text: h }); }))),
        el('tbody', null, rows.map(function (e) {
          return el('tr', null, el('td', { text: vis(name(e.from)) }), el('td', { class: 'mono', text: vis(e.kind + (e.label ? ': ' + e.label : '')) }),
            el('td', { text: vis(name(e.to)) }), el('td', null, (e.evidence || []).map(function (t) { return el('div', { text: vis(t) }); })));
        })));
    }));
    return drawn;
  }

  // ---- start -----------------------------------------------------------------------

  header();
  var list0 = [];
  if (data.scan) {
    list0.push({ id: 'summary', title: 'Summary', draw: drawSummary });
    list0.push({ id: 'compliance', title: 'Compliance', draw: drawCompliance });
    list0.push({ id: 'findings', title: 'Findings (' + fmt(N) + ')', draw: drawFindings });
  }
  (data.graphs || []).forEach(function (g) {
    var view = null;
    list0.push({
      id: 'graph-tab-' + g.id, title: g.title,
      draw: function (p) { view = drawGraph(p, g); },
      shown: function () { if (view && view.shown) view.shown(); }
    });
  });
  if (list0.length) tabbed(list0);
  else add(app, el('p', { text: 'This report is empty.' }));
  // The findings table is drawn at once, hidden, so that its filters answer at once
  // when the tab opens (and for print).
  tabs.forEach(function (t) { if (t.id === 'findings' && !t.drawn) { t.drawn = true; t.draw(t.panel); } });
  document.documentElement.setAttribute('data-ready', 'true');
  if (window.performance && performance.mark) performance.mark('moat-ready');
})();
