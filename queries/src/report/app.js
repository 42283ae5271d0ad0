(function () {
  "use strict";
  // The job table (search, filters, sort, pages) and the detail panel,
  // drawn from the JSON block #dsmig-data. Text only goes in through
  // textContent: job names and paths are never parsed as HTML.
  var D = JSON.parse(document.getElementById("dsmig-data").textContent);
  var S = D.strings;
  var C = {};
  D.columns.forEach(function (c, i) { C[c] = i; });
  var J = D.jobs;
  var PAGE = D.page_size;
  var COLORS = { "AUTO": "#2e7d32", "SEMI-AUTO": "#e0a100", "MANUAL": "#c62828" };
  var RANK = { "AUTO": 0, "SEMI-AUTO": 1, "MANUAL": 2 };

  function str(i) { return i === null || i === undefined ? "" : S[i]; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function place(r) {
    var f = str(r[C.file]);
    if (r[C.member] !== null) { return f + "!" + str(r[C.member]); }
    if (r[C.line] !== null) { return f + ":" + r[C.line]; }
    return f;
  }
  function group(r) { return str(r[C.dup]) || str(r[C.sim]) || str(r[C.fam]); }
  function badge(cat) {
    return el("span", { "class": "badge", style: "background:" + (COLORS[cat] || "#9e9e9e"), text: cat || "?" });
  }
  function detailOf(r) { return r[C.detail] === null ? null : D.details[r[C.detail]]; }

  // Search text of each row: name, source, folder, kind, category,
  // groups and stage types.
  var hay = J.map(function (r) {
    var d = detailOf(r);
    var types = d ? d[1].map(function (t) { return S[t[0]]; }).join(" ") : "";
    return [r[C.name], place(r), str(r[C.folder]), str(r[C.kind]), str(r[C.category]),
      str(r[C.dup]), str(r[C.sim]), str(r[C.fam]), types].join("\n").toLowerCase();
  });

  var state = { q: "", cat: "", kind: "", group: "", sort: null, dir: 1, page: 0 };
  var view = [];
  var tbody = $("job-table").tBodies[0];
  var readyAt = 0;

  function sortKey(i, k) {
    var r = J[i];
    switch (k) {
      case "name": return r[C.name].toLowerCase();
      case "kind": return str(r[C.kind]);
      case "category": return RANK[str(r[C.category])] === undefined ? -1 : RANK[str(r[C.category])];
      case "group": return group(r);
      case "file": return place(r);
      case "effort": case "confidence": case "score": case "stages": case "links": case "columns": case "wave":
        return r[C[k]] === null ? -1 : r[C[k]];
      default: return 0;
    }
  }

  function apply() {
    var q = state.q.trim().toLowerCase();
    view = [];
    for (var i = 0; i < J.length; i++) {
      var r = J[i];
      if (state.cat && str(r[C.category]) !== state.cat) { continue; }
      if (state.kind && str(r[C.kind]) !== state.kind) { continue; }
      if (state.group) {
        var any = r[C.dup] !== null || r[C.sim] !== null || r[C.fam] !== null;
        if (state.group === "*" ? !any : state.group === "-" ? any :
          (str(r[C.dup]) !== state.group && str(r[C.sim]) !== state.group && str(r[C.fam]) !== state.group)) { continue; }
      }
      if (q && hay[i].indexOf(q) < 0) { continue; }
      view.push(i);
    }
    if (state.sort) {
      var k = state.sort, dir = state.dir, keys = {};
      view.forEach(function (i) { keys[i] = sortKey(i, k); });
      view.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        return (x < y ? -dir : x > y ? dir : 0) || a - b;
      });
    }
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    draw();
  }

  function draw() {
    var start = state.page * PAGE;
    var rows = document.createDocumentFragment();
    view.slice(start, start + PAGE).forEach(function (i) {
      var r = J[i];
      var wave = r[C.wave];
      rows.appendChild(el("tr", null,
        el("td", null, el("a", { href: "#job=" + i, "data-job": String(i), text: r[C.name] })),
        el("td", { text: str(r[C.kind]) }),
        el("td", null, badge(str(r[C.category]))),
        el("td", { "class": "r", text: String(r[C.score]) }),
        el("td", { "class": "r", text: r[C.effort].toFixed(1) }),
        el("td", { "class": "r", text: r[C.confidence].toFixed(2) }),
        el("td", { "class": "r", text: String(r[C.stages]) }),
        el("td", { "class": "r", text: String(r[C.links]) }),
        el("td", { "class": "r", text: String(r[C.columns]) }),
        el("td", null, el("code", { text: group(r) })),
        el("td", { "class": "r", text: wave === null ? "" : String(wave) }),
        el("td", null, el("code", { text: place(r) }))));
    });
    tbody.textContent = "";
    tbody.appendChild(rows);
    if (!view.length) {
      tbody.appendChild(el("tr", null, el("td", { colspan: "12", "class": "muted", text: "No job matches." })));
    }
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    $("count").textContent = view.length + " of " + J.length + " jobs";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
  }

  // ---- detail panel: what `dsmig explain` shows, from the analysis ----
  var panel = $("detail");
  var openIndex = -1;

  function list(items, empty) {
    if (!items.length) { return el("span", { "class": "muted", text: empty || "–" }); }
    var ul = el("ul", { "class": "blk" });
    items.forEach(function (x) { ul.appendChild(typeof x === "string" ? el("li", { text: x }) : el("li", null, x)); });
    return ul;
  }
  function dl(pairs) {
    var d = el("dl");
    pairs.forEach(function (p) {
      d.appendChild(el("dt", { text: p[0] }));
      d.appendChild(typeof p[1] === "string" ? el("dd", { text: p[1] }) : el("dd", null, p[1]));
    });
    return d;
  }
  function names(ids) { return ids.map(function (x) { return S[x]; }); }
  function explainId(i) {
    var name = J[i][C.name], k = 0, n = 0;
    for (var j = 0; j < J.length; j++) {
      if (J[j][C.name] === name) { n++; if (j <= i) { k++; } }
    }
    return n > 1 ? name + "#" + k : name;
  }

  function openDetail(i) {
    var r = J[i];
    if (!r) { return; }
    openIndex = i;
    var d = detailOf(r);
    panel.textContent = "";
    var close = el("button", { type: "button", "class": "close", "aria-label": "Close", text: "×" });
    close.addEventListener("click", closeDetail);
    panel.appendChild(close);
    panel.appendChild(el("h2", { text: r[C.name] }));
    panel.appendChild(el("p", null, badge(str(r[C.category])),
      " confidence " + r[C.confidence].toFixed(2) + " · effort " + r[C.effort].toFixed(1) + " h · score " + r[C.score]));
    var stages = d ? d[1].map(function (t) { return S[t[0]] + "×" + t[1]; }).join(" ") : "";
    panel.appendChild(dl([
      ["source", place(r)],
      ["format", str(r[C.format])],
      ["kind", str(r[C.kind])],
      ["folder", str(r[C.folder]) || "–"],
      ["IR hash", d ? S[d[0]] : ""],
      ["shape", r[C.stages] + " stages (" + stages + "), " + r[C.links] + " links, " + r[C.columns] + " columns, " + r[C.parameters] + " parameters"],
      ["parameters", d && d[2].length ? names(d[2]).join(", ") : "–"],
    ]));
    if (d) {
      panel.appendChild(el("h3", { text: "Category: " + str(r[C.category]) }));
      panel.appendChild(el("p", { text: "rule: " + S[d[5]] }));
      panel.appendChild(list(d[6].map(function (b) {
        return el("span", null, el("b", { text: S[b[0]] }), (b[1] !== null ? " at " + S[b[1]] : "") + ": " + S[b[2]]);
      }), "no blocking item"));
      panel.appendChild(el("h3", { text: "Complexity: " + d[3] + " points" }));
      var ft = el("table", { "class": "t" }, el("thead", null, el("tr", null,
        el("th", { "class": "r", text: "points" }), el("th", { text: "factor" }), el("th", { text: "where" }), el("th", { text: "why" }))));
      var fb = el("tbody");
      d[4].forEach(function (f) {
        fb.appendChild(el("tr", null, el("td", { "class": "r", text: String(f[1]) }), el("td", { text: S[f[0]] }),
          el("td", { text: f[2] === null ? "" : S[f[2]] }), el("td", { text: S[f[3]] })));
      });
      ft.appendChild(fb);
      panel.appendChild(d[4].length ? ft : el("p", { "class": "muted", text: "no factor" }));
      panel.appendChild(el("h3", { text: "Groups" }));
      panel.appendChild(list(d[7].map(function (g) {
        var text = S[g[0]] + " " + S[g[1]] + " (" + g[2] + " designs), template " + S[g[3]] +
          (g[4] ? " (this job)" : "") + (g[5] !== null ? ", similarity " + g[5].toFixed(2) : "") +
          (g[6] ? ", differs in " + g[6] + " slot(s)" : "");
        var paths = names(g[7]);
        return el("span", null, text, paths.length ? el("code", { text: " " + paths.join(", ") + (g[6] > paths.length ? ", …" : "") }) : null);
      }), "in no group"));
      panel.appendChild(el("h3", { text: "Lineage (wave " + (r[C.wave] === null ? "–" : r[C.wave]) + ")" }));
      var more = function (ids, total) { var v = names(ids); if (total > v.length) { v.push("… " + (total - v.length) + " more"); } return v; };
      panel.appendChild(dl([
        ["reads", list(names(d[8]))],
        ["writes", list(names(d[9]))],
        ["runs", list(names(d[10]))],
        ["upstream", list(more(d[11], d[12]))],
        ["downstream", list(more(d[13], d[14]))],
      ]));
      panel.appendChild(el("h3", { text: "Generation: " + S[d[15]] }));
      panel.appendChild(el("p", { text: S[d[16]] }));
    }
    panel.appendChild(el("p", { "class": "muted" }, "The same as ", el("code", { text: "dsmig explain '" + explainId(i) + "'" }),
      " (which also shows the last build's history and the nearest jobs)."));
    panel.hidden = false;
  }
  function closeDetail() { panel.hidden = true; openIndex = -1; }

  function fromHash() {
    var m = /^#job=(\d+)$/.exec(location.hash);
    if (m && Number(m[1]) !== openIndex) { openDetail(Number(m[1])); }
  }

  // ---- wiring ----
  $("q").addEventListener("input", function (e) { state.q = e.target.value; state.page = 0; apply(); });
  [["f-cat", "cat"], ["f-kind", "kind"], ["f-group", "group"]].forEach(function (p) {
    $(p[0]).addEventListener("change", function (e) { state[p[1]] = e.target.value; state.page = 0; apply(); });
  });
  var heads = document.querySelectorAll("#job-table th[data-sort]");
  Array.prototype.forEach.call(heads, function (th) {
    var go = function () {
      var k = th.getAttribute("data-sort");
      if (state.sort === k) { state.dir = -state.dir; } else { state.sort = k; state.dir = 1; }
      Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      state.page = 0;
      apply();
    };
    th.addEventListener("click", go);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
  });
  $("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; draw(); } });
  $("next").addEventListener("click", function () { state.page++; apply(); });
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-job]") : null;
    if (a) { openDetail(Number(a.getAttribute("data-job"))); }
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { closeDetail(); } });
  window.addEventListener("hashchange", fromHash);

  apply();
  fromHash();
  readyAt = performance.now();

  // ---- self test (the browser test opens the page with #selftest) ----
  function selftest() {
    var T = window.__dsmig || { errors: [], requests: [] };
    var r = { loadMs: readyAt, jobs: J.length, total: view.length, shown: tbody.rows.length, summary: {} };
    Array.prototype.forEach.call(document.querySelectorAll("[data-k]"), function (e) {
      r.summary[e.getAttribute("data-k")] = { v: e.getAttribute("data-v"), text: e.textContent };
    });
    var input = $("q");
    var setQ = function (q) { input.value = q; input.dispatchEvent(new Event("input", { bubbles: true })); };
    var q = J.length ? J[Math.floor(J.length / 2)][C.name].toLowerCase() : "";
    var t0 = performance.now();
    setQ(q);
    r.searchMs = performance.now() - t0;
    r.search = {
      query: q, count: view.length, shown: tbody.rows.length,
      allMatch: view.every(function (i) { return hay[i].indexOf(q) >= 0; }),
      firstName: tbody.rows.length ? tbody.rows[0].cells[0].textContent : null,
    };
    setQ("");
    r.cleared = view.length;
    var visible = function () { return Array.prototype.map.call(tbody.rows, function (tr) { return tr.cells[0].textContent; }); };
    var th = document.querySelector('#job-table th[data-sort="score"]');
    var before = visible();
    t0 = performance.now();
    th.click();
    r.sortMs = performance.now() - t0;
    var asc = view.map(function (i) { return J[i][C.score]; });
    var ascState = th.getAttribute("aria-sort");
    th.click();
    var desc = view.map(function (i) { return J[i][C.score]; });
    var shownScores = Array.prototype.map.call(tbody.rows, function (tr) { return Number(tr.cells[3].textContent); });
    r.sort = {
      before: before.slice(0, 10), after: visible().slice(0, 10),
      ascState: ascState, descState: th.getAttribute("aria-sort"),
      ascOk: asc.every(function (x, i) { return i === 0 || asc[i - 1] <= x; }),
      descOk: desc.every(function (x, i) { return i === 0 || desc[i - 1] >= x; }),
      shownDescOk: shownScores.every(function (x, i) { return i === 0 || shownScores[i - 1] >= x; }),
      count: view.length,
    };
    var link = tbody.querySelector("a[data-job]");
    t0 = performance.now();
    if (link) { link.click(); }
    r.detailMs = performance.now() - t0;
    r.detail = {
      open: !panel.hidden,
      expected: link ? link.textContent : null,
      title: panel.querySelector("h2") ? panel.querySelector("h2").textContent : null,
      sections: Array.prototype.map.call(panel.querySelectorAll("h3"), function (h) { return h.textContent; }),
    };
    var cat = $("f-cat");
    cat.value = "AUTO";
    cat.dispatchEvent(new Event("change", { bubbles: true }));
    r.filterAuto = view.length;
    r.errors = T.errors.slice();
    r.requests = T.requests.concat(performance.getEntriesByType("resource").map(function (x) { return x.name; }));
    var pre = el("pre", { id: "selftest", text: JSON.stringify(r) });
    document.body.appendChild(pre);
  }
  if (location.hash === "#selftest") { selftest(); }
})();
