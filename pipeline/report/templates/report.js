(function () {
  "use strict";
  // ---- sortable tables --------------------------------------------------------------------
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var raw = cell.getAttribute("data-v");
    return raw === null ? cell.textContent.trim() : raw;
  }
  function sortTable(table, index, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = rows.every(function (r) { var v = cellValue(r, index); return v === "" || !isNaN(parseFloat(v)); });
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index), d;
      if (numeric) { d = (parseFloat(x) || 0) - (parseFloat(y) || 0); }
      else { d = x.localeCompare(y, document.documentElement.lang); }
      return ascending ? d : -d;
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.addEventListener("click", function () { sortTable(table, index, th); });
    });
  });

  // ---- data and formats -------------------------------------------------------------------
  var D = JSON.parse(document.getElementById("klantvraag-data").textContent);
  var S = D.style, W = S.words, dims = D.dims, cols = D.cols;
  var N = cols.n.length;  // cells of the count cube (see explore.py)
  var locale = S.lang === "nl" ? "nl-NL" : "en-GB";
  function num(v, d) { return Number(v).toLocaleString(locale, {minimumFractionDigits: d || 0, maximumFractionDigits: d || 0}); }
  function pct(v, d) { return isFinite(v) ? num(v * 100, d === undefined ? 1 : d) + "%" : "–"; }
  function money(v) { return S.lang === "nl" ? S.currency + " " + num(v) : S.currency + num(v); }
  var font = {family: "Segoe UI, Roboto, Helvetica Neue, Arial, DejaVu Sans, sans-serif", size: 12, color: "#24313d"};
  var config = {displayModeBar: false, responsive: true};
  function layout(extra) {
    var base = {separators: S.separators, font: font, margin: {l: 10, r: 20, t: 10, b: 40},
                paper_bgcolor: "#fff", plot_bgcolor: "#fff", showlegend: false, hoverlabel: {font: font}};
    for (var k in extra) { base[k] = extra[k]; }
    return base;
  }
  function countAxis(max, extra) {  // whole numbers only: 0, 1, 2 ... never 2,5
    var axis = {tickformat: ",d", rangemode: "tozero", gridcolor: "#e3e8ee", zeroline: false, automargin: true};
    if (max < 8) { axis.dtick = 1; }
    for (var k in extra || {}) { axis[k] = extra[k]; }
    return axis;
  }

  // ---- filter -----------------------------------------------------------------------------
  var state = {ch: null, lg: null, from: 0, to: Math.max(dims.week.length - 1, 0)};
  var fromSel = document.getElementById("filter-from"), toSel = document.getElementById("filter-to");
  dims.week.forEach(function (w, i) {
    [fromSel, toSel].forEach(function (sel) {
      var o = document.createElement("option"); o.value = i; o.textContent = w.label; sel.appendChild(o);
    });
  });
  function checked(name) {
    var keys = dims[name === "kanaal" ? "channel" : "language"].map(function (d) { return d.key; });
    var on = {};
    Array.prototype.forEach.call(document.querySelectorAll("input[name=" + name + "]"), function (box) {
      if (box.checked) { on[keys.indexOf(box.value)] = true; }
    });
    return on;
  }
  function readControls() {
    state.ch = checked("kanaal"); state.lg = checked("taal");
    state.from = Math.min(+fromSel.value || 0, +toSel.value || 0);
    state.to = Math.max(+fromSel.value || 0, +toSel.value || 0);
  }
  function keepIn(c, i) {  // c: the cube's columns or the drill rows' columns
    if (!state.ch[c.ch[i]] || !state.lg[c.lg[i]]) { return false; }
    var w = c.wk[i];
    return dims.week.length === 0 || w < 0 || (w >= state.from && w <= state.to);
  }
  function keep(i) { return keepIn(cols, i); }
  function applyHash() {  // #kanaal=chat,email&taal=nl&van=2026-08-03&tot=...&contacten=reden:3
    var params = {};
    decodeURIComponent(window.location.hash.slice(1)).split("&").forEach(function (part) {
      var kv = part.split("="); if (kv.length === 2) { params[kv[0]] = kv[1]; }
    });
    ["kanaal", "taal"].forEach(function (name) {
      if (!params[name]) { return; }
      var wanted = params[name].split(",");
      Array.prototype.forEach.call(document.querySelectorAll("input[name=" + name + "]"), function (box) {
        box.checked = wanted.indexOf(box.value) >= 0;
      });
    });
    var keys = dims.week.map(function (w) { return w.key; });
    fromSel.value = params.van && keys.indexOf(params.van) >= 0 ? keys.indexOf(params.van) : 0;
    toSel.value = params.tot && keys.indexOf(params.tot) >= 0 ? keys.indexOf(params.tot) : keys.length - 1;
    return params.contacten || null;
  }

  // ---- aggregation ------------------------------------------------------------------------
  function aggregate() {
    var a = {n: 0, cat: [0, 0, 0, 0], saving: [0, 0, 0, 0], tagged: 0, repeat: 0,
             reason: new Array(dims.reason.length).fill(0),
             sub: new Array(dims.sub.length).fill(0), rc: {}, rz: {}, rw: {}, week: new Array(dims.week.length).fill(0),
             reasonCat: {}, rows: []};
    for (var i = 0; i < N; i++) {
      if (!keep(i)) { continue; }
      var k = cols.n[i];
      a.n += k;
      var r = cols.rs[i], c = cols.ct[i], w = cols.wk[i];
      if (r >= 0) { a.reason[r] += k; }
      if (cols.sb[i] >= 0) { a.sub[cols.sb[i]] += k; }
      var rc = r + ":" + cols.ch[i]; a.rc[rc] = (a.rc[rc] || 0) + k;
      if (w >= 0) { a.week[w] += k; var rw = r + ":" + w; a.rw[rw] = (a.rw[rw] || 0) + k; }
      if (c >= 0) {
        a.tagged += k; a.cat[c] += k; a.saving[c] += k * D.cost[cols.ch[i]] * D.rate[c];
        var rk = r + ":" + c; a.reasonCat[rk] = (a.reasonCat[rk] || 0) + k;
        if (c === 0 && cols.cs[i] >= 0) { var rz = r + ":" + cols.cs[i]; a.rz[rz] = (a.rz[rz] || 0) + k; }
      }
      a.repeat += cols.rp[i];
    }
    var days = 0;
    dims.week.forEach(function (wk, j) { if (j >= state.from && j <= state.to) { days += wk.days; } });
    a.years = Math.max(days, 1) / 365.25;
    return a;
  }

  // ---- views ------------------------------------------------------------------------------
  function setKpi(name, text) {
    var el = document.querySelector("[data-kpi=" + name + "]"); if (el) { el.textContent = text; }
  }
  function kpis(a) {
    setKpi("contacts", num(a.n));
    dims.category.forEach(function (cat, c) {
      setKpi("share-" + cat.key, pct(a.tagged ? a.cat[c] / a.tagged : NaN));
      setKpi("saving-" + cat.key, money(a.saving[c] / a.years) + " " + W.kpi_per_year);
    });
  }
  function reasonOrder(a, limit) {
    var idx = dims.reason.map(function (_, i) { return i; }).filter(function (i) { return a.reason[i] > 0; });
    idx.sort(function (x, y) { return a.reason[y] - a.reason[x] || x - y; });
    return idx.slice(0, limit);
  }
  function drawTree(a) {
    // One root (all contacts in the filter) so the chart looks the same with or without themes.
    var ids = ["all"], labels = [W.chart_all_contacts], parents = [""], values = [a.n], custom = [-1];
    if (D.themes) {  // a theme is the sum of its reasons, so the tree always adds up
      var themeSum = dims.theme.map(function () { return 0; });
      dims.reason.forEach(function (r, i) { if (r.theme >= 0) { themeSum[r.theme] += a.reason[i]; } });
      dims.theme.forEach(function (t, i) {
        if (themeSum[i] > 0) { ids.push("t" + i); labels.push(t.label); parents.push("all"); values.push(themeSum[i]); custom.push(-1); }
      });
    }
    dims.reason.forEach(function (r, i) {
      if (a.reason[i] === 0) { return; }
      ids.push("r" + i); labels.push(r.label); values.push(a.reason[i]); custom.push(i);
      parents.push(D.themes && r.theme >= 0 ? "t" + r.theme : "all");
    });
    dims.sub.forEach(function (s, i) {
      if (a.sub[i] === 0 || s.reason < 0 || a.reason[s.reason] === 0) { return; }
      ids.push("s" + i); labels.push(s.label); parents.push("r" + s.reason); values.push(a.sub[i]); custom.push(s.reason);
    });
    Plotly.react("chart-tree", [{type: "treemap", ids: ids, labels: labels, parents: parents, values: values,
      customdata: custom, branchvalues: "total", maxdepth: D.themes ? 3 : 2, textinfo: "label+value",
      texttemplate: "%{label}<br>%{value:,d}", hovertemplate: "%{label}: %{value:,d} " + W.chart_contacts + "<extra></extra>",
      marker: {colorscale: S.heat}, pathbar: {visible: true}}],
      layout({margin: {l: 0, r: 0, t: 24, b: 0}, height: 460}), config);
  }
  function drawReasons(a) {
    var order = reasonOrder(a, 25).reverse();
    Plotly.react("chart-reasons", [{type: "bar", orientation: "h",
      y: order.map(function (i) { return dims.reason[i].label; }), x: order.map(function (i) { return a.reason[i]; }),
      customdata: order, text: order.map(function (i) { return num(a.reason[i]); }), textposition: "outside", cliponaxis: false,
      marker: {color: S.band}, hovertemplate: "%{y}: %{x:,d} " + W.chart_contacts + "<extra></extra>"}],
      layout({height: Math.max(260, 22 * order.length + 60), xaxis: countAxis(Math.max.apply(null, [0].concat(order.map(function (i) { return a.reason[i]; }))), {title: {text: W.chart_contacts}}),
              yaxis: {automargin: true, tickfont: {size: 11}}, margin: {l: 10, r: 50, t: 10, b: 40}}), config);
  }
  function heat(id, a, table, columns, colLabels, limit) {
    var order = reasonOrder(a, limit).reverse();
    var z = order.map(function (r) { return columns.map(function (c) { return table[r + ":" + c] || 0; }); });
    var max = 0; z.forEach(function (row) { row.forEach(function (v) { max = Math.max(max, v); }); });
    Plotly.react(id, [{type: "heatmap", z: z, x: colLabels, y: order.map(function (i) { return dims.reason[i].label; }),
      customdata: order.map(function (r) { return columns.map(function () { return r; }); }),
      colorscale: S.heat, zmin: 0, zmax: Math.max(max, 1), showscale: false, xgap: 2, ygap: 2,
      texttemplate: "%{z:,d}", hovertemplate: "%{y} · %{x}: %{z:,d}<extra></extra>"}],
      layout({height: Math.max(260, 24 * order.length + 80), xaxis: {side: "top", automargin: true},
              yaxis: {automargin: true, tickfont: {size: 11}}, margin: {l: 10, r: 10, t: 40, b: 10}}), config);
  }
  var trendPick = document.getElementById("trend-reason");
  function weekSeries(a, r) {
    return dims.week.map(function (_, w) { return r < 0 ? a.week[w] : (a.rw[r + ":" + w] || 0); });
  }
  function drawTrend(a) {
    var r = +(trendPick.value || -1);
    var counts = weekSeries(a, r), fullX = [], fullY = [], partX = [], partY = [], partText = [];
    dims.week.forEach(function (wk, w) {
      if (w < state.from || w > state.to) { return; }
      if (wk.days >= 7) { fullX.push(wk.label); fullY.push(counts[w]); }
      else {  // a part week is shown as its weekly rate, marked, never as a drop
        partX.push(wk.label); partY.push(counts[w] * 7 / wk.days);
        partText.push(W.chart_week_partial.replace("{days}", wk.days).replace("{n}", num(counts[w])));
      }
    });
    var max = Math.max.apply(null, [0].concat(fullY, partY));
    var allX = dims.week.filter(function (_, w) { return w >= state.from && w <= state.to; }).map(function (wk) { return wk.label; });
    Plotly.react("chart-trend", [
      // Values on the points while they fit side by side (about 20 weeks); beyond that, hover.
      {type: "scatter", mode: fullX.length <= 20 ? "lines+markers+text" : "lines+markers", x: fullX, y: fullY, line: {color: S.band, width: 2},
       text: fullY.map(function (v) { return num(v); }), textposition: "top center", cliponaxis: false,
       hovertemplate: "%{x}: %{y:,d} " + W.chart_contacts + "<extra></extra>", name: W.chart_per_week},
      {type: "scatter", mode: "markers", x: partX, y: partY, marker: {symbol: "circle-open", size: 11, color: S.band},
       text: partText, hovertemplate: "%{x}: %{text}<extra></extra>", name: W.chart_week_partial}],
      layout({height: 320, xaxis: {type: "category", categoryorder: "array", categoryarray: allX, automargin: true},
              yaxis: countAxis(max, {title: {text: W.chart_per_week}, range: [0, max * 1.15 + 1]}), margin: {l: 10, r: 20, t: 20, b: 40}}), config);
  }
  function moves(a) {  // last four full weeks against the four before, per reason
    var full = dims.week.map(function (wk, w) { return w; }).filter(function (w) { return dims.week[w].days >= 7 && w >= state.from && w <= state.to; });
    var up = document.getElementById("trend-up"), down = document.getElementById("trend-down");
    up.innerHTML = ""; down.innerHTML = "";
    var span = Math.min(4, Math.floor(full.length / 2));
    var list = [];
    if (span >= 1) {
      var late = full.slice(-span), early = full.slice(-2 * span, -span);
      dims.reason.forEach(function (r, i) {
        var x = 0, y = 0;
        early.forEach(function (w) { x += a.rw[i + ":" + w] || 0; });
        late.forEach(function (w) { y += a.rw[i + ":" + w] || 0; });
        if (x + y >= 20 && r.key !== "_unassigned") { list.push({i: i, before: x / span, after: y / span, change: (y - x) / Math.max(x, 1)}); }
      });
    }
    function item(m) {
      var li = document.createElement("li");
      li.textContent = dims.reason[m.i].label + ": " + num(m.before, 1) + " → " + num(m.after, 1) + " " + W.chart_per_week + " (" + (m.change > 0 ? "+" : "") + pct(m.change, 0) + ")";
      return li;
    }
    list.sort(function (p, q) { return q.change - p.change; });
    list.filter(function (m) { return m.change >= 0.2; }).slice(0, 5).forEach(function (m) { up.appendChild(item(m)); });
    list.slice().reverse().filter(function (m) { return m.change <= -0.2; }).slice(0, 5).forEach(function (m) { down.appendChild(item(m)); });
    [up, down].forEach(function (ul) { if (!ul.children.length) { var li = document.createElement("li"); li.textContent = W.trend_none; ul.appendChild(li); } });
  }
  function drawProjects() {
    var el = document.getElementById("chart-projects");
    if (!el || !D.projects.length) { return; }
    var top = D.projects.slice(0, 10).reverse();
    Plotly.react(el, [{type: "bar", orientation: "h", y: top.map(function (p) { return p.rank + ". " + p.name; }),
      x: top.map(function (p) { return p.saving; }), customdata: top.map(function (p) { return p.id; }),
      text: top.map(function (p) { return money(p.saving); }), textposition: "outside", cliponaxis: false,
      marker: {color: S.categories.voorkomen}, hovertemplate: "%{y}: " + "%{text}<extra></extra>"}],
      layout({height: 30 * top.length + 70, xaxis: {tickformat: ",.0f", tickprefix: S.currency + " ", rangemode: "tozero", gridcolor: "#e3e8ee", automargin: true},
              yaxis: {automargin: true, tickfont: {size: 11}}, margin: {l: 10, r: 80, t: 10, b: 40}}), config);
    el.on("plotly_click", function (ev) { openDrill("project:" + ev.points[0].customdata); });
  }

  // ---- drill-down -------------------------------------------------------------------------
  var panel = document.getElementById("drill"), dc = D.drill.cols;
  function openDrill(spec) {
    var parts = String(spec).split(":"), rows = [], title;
    if (parts[0] === "reden") {
      var r = +parts[1];
      if (!dims.reason[r]) { return; }
      title = W.drill_reason.replace("{label}", dims.reason[r].label);
      D.drill.texts.forEach(function (_, k) { if (dc.rs[k] === r) { rows.push(k); } });
    } else if (parts[0] === "project") {
      var p = D.projects.filter(function (q) { return q.id === parts[1]; })[0];
      if (!p) { return; }
      title = W.drill_project.replace("{label}", p.rank + ". " + p.name);
      rows = (D.drill.projects[p.id] || []).slice();
    } else { return; }
    var shown = rows.filter(function (i) { return keepIn(dc, i); });
    shown.sort(function (x, y) { return D.drill.texts[y][0] < D.drill.texts[x][0] ? -1 : 1; });
    document.getElementById("drill-title").textContent = title;
    document.getElementById("drill-count").textContent = shown.length ? W.drill_filtered.replace("{n}", num(shown.length)) : W.drill_none;
    var body = panel.querySelector("tbody"); body.innerHTML = "";
    shown.forEach(function (i) {
      var tr = document.createElement("tr"), t = D.drill.texts[i];
      var c = dc.ct[i] >= 0 ? dims.category[dc.ct[i]].label : "–";
      [t[0] ? t[0].split("-").reverse().join("-") : "–", dims.channel[dc.ch[i]].label, c, t[1]].forEach(function (v, j) {
        var td = document.createElement("td"); td.textContent = v; if (j === 3) { td.className = "q"; } tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    panel.hidden = false;
    panel.setAttribute("data-drill", spec);
    panel.setAttribute("data-rows", String(shown.length));
  }
  document.getElementById("drill-close").addEventListener("click", function () { panel.hidden = true; });
  Array.prototype.forEach.call(document.querySelectorAll("button.drill"), function (b) {
    b.addEventListener("click", function () { openDrill(b.getAttribute("data-drill")); });
  });
  function clickToDrill(id) {
    var el = document.getElementById(id);
    if (el && el.on) { el.on("plotly_click", function (ev) { var r = ev.points[0].customdata; if (r >= 0) { openDrill("reden:" + r); } }); }
  }

  // ---- wiring -----------------------------------------------------------------------------
  var opt = document.createElement("option"); opt.value = -1; opt.textContent = W.chart_all_contacts; trendPick.appendChild(opt);
  function fillTrendPick(a) {
    var current = trendPick.value;
    while (trendPick.options.length > 1) { trendPick.remove(1); }
    reasonOrder(a, 1000).forEach(function (i) {
      var o = document.createElement("option"); o.value = i; o.textContent = dims.reason[i].label + " (" + num(a.reason[i]) + ")"; trendPick.appendChild(o);
    });
    trendPick.value = current || -1;
  }
  var has = function (id) { return document.getElementById(id) !== null; };
  var last = null;
  function update() {
    readControls();
    var a = last = aggregate();
    kpis(a);
    document.getElementById("filter-state").textContent = W.chart_contacts.charAt(0).toUpperCase() + W.chart_contacts.slice(1) + ": " + num(a.n);
    if (has("chart-tree")) { drawTree(a); drawReasons(a); }
    if (has("chart-heat-channel")) { heat("chart-heat-channel", a, a.rc, dims.channel.map(function (_, i) { return i; }), dims.channel.map(function (c) { return c.label; }), 30); }
    if (has("chart-heat-cause")) { heat("chart-heat-cause", a, a.rz, dims.cause.map(function (_, i) { return i; }), dims.cause.map(function (c) { return c.label; }), 30); }
    fillTrendPick(a); drawTrend(a); moves(a);
    if (!panel.hidden) { openDrill(panel.getAttribute("data-drill")); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("#filters input, #filters select"), function (el) {
    el.addEventListener("change", update);
  });
  trendPick.addEventListener("change", function () { drawTrend(last); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    Array.prototype.forEach.call(document.querySelectorAll("#filters input"), function (b) { b.checked = true; });
    fromSel.value = 0; toSel.value = dims.week.length - 1; update();
  });
  var drillSpec = applyHash();
  update();
  drawProjects();
  ["chart-tree", "chart-reasons", "chart-heat-channel", "chart-heat-cause"].forEach(clickToDrill);
  if (drillSpec) { openDrill(drillSpec); }
  window.addEventListener("hashchange", function () { var spec = applyHash(); update(); if (spec) { openDrill(spec); } });
  // For checks (and a curious reader): how many charts were laid out with a real size.
  var drawn = Array.prototype.filter.call(document.querySelectorAll("div.plot"), function (div) {
    var box = div.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && div.querySelector(".main-svg") !== null;
  });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn.length));
})();
