/* 驾驶舱 (leadership cockpit): draws the charts from the JSON the page embeds, opens the list behind
   any figure on click, and refreshes everything from /api/cockpit/ without reloading the page.
   No inline scripts or styles (CSP): tooltips are class-styled HTML, colours are set through ECharts. */
(function () {
  "use strict";

  var dataEl = document.getElementById("cockpit-data");
  var optEl = document.getElementById("cockpit-options");
  if (!dataEl || !optEl) return;
  var payload = JSON.parse(dataEl.textContent);
  var options = JSON.parse(optEl.textContent);
  var screen = options.mode === "screen";
  if (screen) document.documentElement.classList.add("ck-screen");

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var C = screen
    ? {
        ink: "#e9f1ff", muted: "#9fb3d1", line: "rgba(94,150,230,.22)", axis: "rgba(159,179,209,.55)",
        red: "#ff4d4f", yellow: "#ffc53d", green: "#3ddc84", blue: "#4da3ff", blue2: "#7cc4ff", gold: "#f0c75e",
        grey: "#6b7c93", light: "#3a4d6b", tipBg: "rgba(6,26,58,.94)", tipBorder: "#3b6db5", brand: "#ff6b4a",
      }
    : {
        ink: "#1d2733", muted: "#5f6b7a", line: "#e6ebf1", axis: "#c3ccd7",
        red: "#c62828", yellow: "#e0a100", green: "#2e7d32", blue: "#1f3b73", blue2: "#5b8bd6", gold: "#c9a227",
        grey: "#9aa3ad", light: "#d5dbe3", tipBg: "rgba(255,255,255,.97)", tipBorder: "#c3ccd7", brand: "#a61b1b",
      };
  var RAG = { red: C.red, yellow: C.yellow, green: C.green };
  var RAG_LABEL = { red: "红灯", yellow: "黄灯", green: "绿灯" };
  var LIGHTS = ["red", "yellow", "green"];
  var STATUS_COLOR = {
    draft: C.grey, assigned: C.blue2, in_progress: C.blue, under_review: "#6a5acd", correcting: C.yellow,
    evaluating: C.gold, closed: C.green, cancelled: C.light,
  };
  var BUCKET_COLOR = {
    ahead: C.green, on_track: "#8bc34a", behind: C.yellow, far_behind: C.red, unplanned: C.grey, unmeasured: C.light,
  };
  var SHORT_DOMAIN = { party_gov: "整体智治", digital_gov: "数字政府", digital_economy: "数字经济", digital_society: "数字社会", digital_law: "数字法治" };

  function px(factor) {
    var root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    return Math.round(factor * (screen ? root : 14));
  }
  function fmt(n) {
    return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN");
  }
  function pct(n) {
    return n === null || n === undefined ? "—" : Number(n).toFixed(1) + "%";
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function wrap(text, size) {
    var out = [];
    for (var i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out.join("\n");
  }
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? undefined : o[k]; }, obj);
  }
  function tip(title, rows, hint) {
    var html = '<div class="ck-tip"><b>' + esc(title) + "</b>";
    rows.forEach(function (r) {
      html += '<div class="ck-tip-row"><span><i class="ck-dot ' + (r.dot || "") + '"></i>' + esc(r.label) +
        "</span><span>" + esc(r.value) + "</span></div>";
    });
    if (hint) html += '<div class="ck-tip-hint">' + esc(hint) + "</div>";
    return html + "</div>";
  }

  // --- Charts ---------------------------------------------------------------------------------
  var charts = {};
  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) {
      var el = document.getElementById(id);
      if (!el) return null;
      charts[id] = window.echarts.init(el, null, { renderer: "canvas" });
      charts[id].on("click", function (p) {
        var url = p.data && p.data.url;
        if (url) window.location.href = url;
      });
    }
    return charts[id];
  }
  function base(extra) {
    var opt = {
      textStyle: { fontFamily: FONT, color: C.ink, fontSize: px(0.78) },
      animationDuration: 400,
      tooltip: {
        trigger: "item", confine: true, className: "ck-tip-box", backgroundColor: C.tipBg, borderColor: C.tipBorder,
        textStyle: { color: C.ink, fontSize: px(0.78), fontFamily: FONT }, padding: [px(0.4), px(0.6)],
      },
    };
    Object.keys(extra).forEach(function (k) { opt[k] = extra[k]; });
    return opt;
  }
  function valueAxis(extra) {
    var axis = {
      type: "value", axisLabel: { color: C.muted, fontSize: px(0.7) }, splitLine: { lineStyle: { color: C.line } },
      axisLine: { show: false }, minInterval: 1,
    };
    Object.keys(extra || {}).forEach(function (k) { axis[k] = extra[k]; });
    return axis;
  }
  function categoryAxis(data, extra) {
    var axis = {
      type: "category", data: data, axisTick: { show: false }, axisLine: { lineStyle: { color: C.axis } },
      axisLabel: { color: C.ink, fontSize: px(0.74) },
    };
    Object.keys(extra || {}).forEach(function (k) { axis[k] = extra[k]; });
    return axis;
  }
  function legend(extra) {
    var l = { top: 0, right: 0, itemWidth: px(0.7), itemHeight: px(0.7), textStyle: { color: C.muted, fontSize: px(0.72) } };
    Object.keys(extra || {}).forEach(function (k) { l[k] = extra[k]; });
    return l;
  }
  function ragSeries(rows, labelMin) {
    return LIGHTS.map(function (light) {
      return {
        name: RAG_LABEL[light], type: "bar", stack: "rag", barMaxWidth: px(1.4),
        itemStyle: { color: RAG[light] },
        label: {
          show: true, color: light === "yellow" ? "#1d2733" : "#fff", fontSize: px(0.66),
          formatter: function (p) { return p.value >= labelMin ? fmt(p.value) : ""; },
        },
        data: rows.map(function (r) { return { value: r[light].value, url: r[light].url, row: r }; }),
      };
    });
  }
  function ragTip(p) {
    var r = p.data.row;
    var total = LIGHTS.reduce(function (s, l) { return s + r[l].value; }, 0);
    return tip(r.name || r.label, LIGHTS.map(function (l) {
      return { dot: l, label: RAG_LABEL[l], value: fmt(r[l].value) + (total ? "（" + pct((r[l].value * 100) / total) + "）" : "") };
    }), "点击查看" + p.seriesName + "事项清单");
  }

  function drawStatus() {
    var rows = payload.by_status;
    var c = chart("chart-status");
    if (!c) return;
    c.setOption(base({
      grid: { left: 4, right: px(3.2), top: 6, bottom: 4, containLabel: true },
      xAxis: valueAxis(),
      yAxis: categoryAxis(rows.map(function (r) { return r.label; }), { inverse: true }),
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function (p) { return tip(p.name, [{ dot: "blue", label: "事项", value: fmt(p.value) }], "点击查看该状态的事项"); },
      }),
      series: [{
        type: "bar", barMaxWidth: px(1.1),
        label: { show: true, position: "right", color: C.ink, fontSize: px(0.7), formatter: function (p) { return fmt(p.value); } },
        data: rows.map(function (r) { return { value: r.value, url: r.url, itemStyle: { color: STATUS_COLOR[r.status] || C.blue } }; }),
      }],
    }), true);
  }

  function drawDomains() {
    var rows = payload.lights_by_domain;
    var c = chart("chart-domains");
    if (!c) return;
    var max = Math.max.apply(null, rows.map(function (r) { return r.red.value + r.yellow.value + r.green.value; }).concat([1]));
    c.setOption(base({
      legend: legend(),
      grid: { left: 4, right: 12, top: px(1.8), bottom: 4, containLabel: true },
      xAxis: valueAxis(),
      yAxis: categoryAxis(rows.map(function (r) { return SHORT_DOMAIN[r.code] || r.name; }), { inverse: true }),
      tooltip: Object.assign(base({}).tooltip, { formatter: ragTip }),
      series: ragSeries(rows, max * 0.07),
    }), true);
  }

  function drawUnits() {
    var rows = payload.lights_by_unit.slice().sort(function (a, b) {
      return b.red.value - a.red.value || b.yellow.value - a.yellow.value || a.name.localeCompare(b.name, "zh");
    });
    var c = chart("chart-units");
    if (!c) return;
    var shown = screen ? 8 : 12;
    var max = Math.max.apply(null, rows.map(function (r) { return r.red.value + r.yellow.value + r.green.value; }).concat([1]));
    var zoom = rows.length > shown
      ? [
          { type: "slider", yAxisIndex: 0, right: 2, width: px(0.7), startValue: 0, endValue: shown - 1, showDetail: false, brushSelect: false, borderColor: C.line, fillerColor: "rgba(91,139,214,.25)", handleSize: "90%", textStyle: { color: C.muted } },
          { type: "inside", yAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true },
        ]
      : [];
    c.setOption(base({
      legend: legend(),
      grid: { left: 4, right: rows.length > shown ? px(2) : 12, top: px(1.8), bottom: 4, containLabel: true },
      xAxis: valueAxis(),
      yAxis: categoryAxis(rows.map(function (r) { return r.name; }), {
        inverse: true, axisLabel: { color: C.ink, fontSize: px(0.72), width: px(9), overflow: "truncate", interval: 0 },
      }),
      dataZoom: zoom,
      tooltip: Object.assign(base({}).tooltip, { formatter: ragTip }),
      series: ragSeries(rows, max * 0.08),
    }), true);
  }

  function drawIndicatorDomains() {
    var rows = payload.indicators.by_domain;
    var c = chart("chart-ind-domain");
    if (!c) return;
    function series(name, key, color) {
      return {
        name: name, type: "bar", barMaxWidth: px(1.1), barGap: "15%", itemStyle: { color: color },
        label: { show: true, position: "top", color: C.muted, fontSize: px(0.64), formatter: function (p) { return p.value === null ? "" : Math.round(p.value); } },
        data: rows.map(function (r) { return { value: r[key], url: r.url, row: r }; }),
      };
    }
    c.setOption(base({
      legend: legend(),
      grid: { left: 4, right: 8, top: px(2), bottom: 4, containLabel: true },
      xAxis: categoryAxis(rows.map(function (r) { return wrap(SHORT_DOMAIN[r.code] || r.name, 4); }), { axisLabel: { color: C.ink, fontSize: px(0.7), interval: 0 } }),
      yAxis: valueAxis({ max: 120, axisLabel: { color: C.muted, fontSize: px(0.66), formatter: "{value}%" } }),
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function (p) {
          var r = p.data.row;
          return tip(r.name, [
            { dot: "blue", label: "实际完成度", value: pct(r.achievement) },
            { dot: "gold", label: "应达完成度（轨迹）", value: pct(r.expected) },
            { label: "已填报指标", value: fmt(r.measured.value) + " 项" },
          ], "点击查看该领域已填报指标的任务");
        },
      }),
      series: [series("实际完成度", "achievement", C.blue), series("应达完成度", "expected", C.gold)],
    }), true);
  }

  function drawBuckets() {
    var ind = payload.indicators;
    var c = chart("chart-ind-buckets");
    if (!c) return;
    var data = ind.buckets.map(function (b) {
      return { name: b.label, value: b.value, url: b.url, tasks: b.tasks, itemStyle: { color: BUCKET_COLOR[b.key] || C.grey } };
    });
    var total = ind.total.value || 0;
    document.getElementById("ck-ind-total").textContent = "共 " + fmt(total) + " 项";
    c.setOption(base({
      legend: { orient: "vertical", right: 0, top: "middle", itemWidth: px(0.7), itemHeight: px(0.7), itemGap: px(0.45), textStyle: { color: C.muted, fontSize: px(0.7) } },
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function (p) {
          return tip(p.name, [{ label: "指标", value: fmt(p.value) + " 项（" + p.percent + "%）" }, { label: "涉及任务", value: fmt(p.data.tasks) + " 项" }], "点击查看这些指标所属的任务");
        },
      }),
      graphic: [{
        type: "text", left: "29%", top: "middle", style: {
          text: fmt(total) + "\n指标", textAlign: "center", textVerticalAlign: "middle", fill: C.ink,
          fontSize: px(0.95), fontWeight: "bold", fontFamily: FONT, lineHeight: px(1.2),
        },
      }],
      series: [{
        type: "pie", radius: ["48%", "74%"], center: ["34%", "52%"], avoidLabelOverlap: true,
        label: { show: false }, labelLine: { show: false },
        itemStyle: { borderColor: screen ? "#061a3a" : "#fff", borderWidth: 2 },
        data: data,
      }],
    }), true);
  }

  function drawInstructions() {
    var ins = payload.instructions;
    var c = chart("chart-instructions");
    if (!c) return;
    var value = ins.rate.value;
    c.setOption(base({
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function () {
          return tip("批示落实率", [
            { label: "按期回复", value: fmt(ins.rate.numerator) },
            { label: "本期批示", value: fmt(ins.rate.denominator) },
          ], "点击查看按期回复的批示所涉任务");
        },
      }),
      series: [{
        type: "gauge", startAngle: 210, endAngle: -30, min: 0, max: 100, radius: "96%", center: ["50%", "58%"],
        progress: { show: true, width: px(0.9), itemStyle: { color: value === null ? C.grey : value >= 85 ? C.green : value >= 60 ? C.yellow : C.red } },
        axisLine: { lineStyle: { width: px(0.9), color: [[1, screen ? "rgba(124,196,255,.12)" : "#edf1f6"]] } },
        axisTick: { show: false }, splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { show: false }, anchor: { show: false }, title: { show: true, offsetCenter: [0, "42%"], color: C.muted, fontSize: px(0.68) },
        detail: {
          valueAnimation: true, offsetCenter: [0, "-2%"], fontSize: px(1.6), fontWeight: "bold", color: C.ink,
          formatter: function () { return value === null ? "—" : Number(value).toFixed(1) + "%"; },
        },
        data: [{ value: value === null ? 0 : value, name: "按期回复 / 本期批示", url: ins.rate.url }],
      }],
    }), true);
  }

  function drawReports() {
    var rep = payload.reports;
    var rows = rep.by_unit.filter(function (r) { return r.rate !== null; }).slice(0, screen ? 8 : 12);
    var c = chart("chart-reports");
    if (!c) return;
    c.setOption(base({
      grid: { left: 4, right: px(3), top: 6, bottom: 4, containLabel: true },
      xAxis: valueAxis({ max: 100, axisLabel: { color: C.muted, fontSize: px(0.64), formatter: "{value}%" } }),
      yAxis: categoryAxis(rows.map(function (r) { return r.name; }), { inverse: true, axisLabel: { color: C.ink, fontSize: px(0.7), width: px(8), overflow: "truncate", interval: 0 } }),
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function (p) {
          var r = p.data.row;
          return tip(r.name, [
            { dot: "green", label: "按时报送", value: fmt(r.on_time.value) },
            { dot: "red", label: "逾期或缺报", value: fmt(r.late.value) },
            { label: "应报旬报", value: fmt(r.expected.value) },
          ], "点击查看未按时报送的事项");
        },
      }),
      series: [{
        type: "bar", barMaxWidth: px(0.9),
        label: { show: true, position: "right", color: C.ink, fontSize: px(0.64), formatter: function (p) { return pct(p.value); } },
        data: rows.map(function (r) {
          return { value: r.rate, url: r.late.url, row: r, itemStyle: { color: r.rate >= 95 ? C.green : r.rate >= 85 ? C.yellow : C.red } };
        }),
      }],
    }), true);
  }

  function periodLabel(p) {
    var end = new Date(p.end + "T00:00:00");
    var m = end.getMonth() + 1;
    if (payload.trend.kind === "month") return m === 1 ? end.getFullYear() + "年1月" : m + "月";
    var day = Number(p.start.slice(8, 10));
    return m + "月" + (day === 1 ? "上旬" : day === 11 ? "中旬" : "下旬");
  }

  function drawTrend() {
    var rows = payload.trend.periods;
    var c = chart("chart-trend");
    if (!c) return;
    c.setOption(base({
      legend: legend({ data: ["办结事项", "红灯事项"] }),
      grid: { left: 4, right: 4, top: px(2), bottom: 4, containLabel: true },
      xAxis: categoryAxis(rows.map(periodLabel), { axisLabel: { color: C.muted, fontSize: px(0.66), interval: 0, hideOverlap: true } }),
      yAxis: [valueAxis(), valueAxis({ splitLine: { show: false } })],
      tooltip: Object.assign(base({}).tooltip, {
        trigger: "axis",
        formatter: function (items) {
          var r = rows[items[0].dataIndex];
          var red = r.red.value === null ? "无快照" : fmt(r.red.value) + (r.red.source === "snapshot" ? "（" + r.red.day + " 快照）" : "（实时）");
          return tip(r.label, [{ dot: "blue", label: "办结事项", value: fmt(r.closed.value) }, { dot: "red", label: "红灯事项", value: red }], "点击柱形查看该期办结的事项");
        },
      }),
      series: [
        {
          name: "办结事项", type: "bar", barMaxWidth: px(1.3), itemStyle: { color: C.blue, borderRadius: [3, 3, 0, 0] },
          data: rows.map(function (r) { return { value: r.closed.value, url: r.closed.url }; }),
        },
        {
          name: "红灯事项", type: "line", yAxisIndex: 1, smooth: true, symbolSize: px(0.45), connectNulls: true,
          lineStyle: { color: C.red, width: 2 }, itemStyle: { color: C.red },
          data: rows.map(function (r) { return { value: r.red.value, url: r.red.url }; }),
        },
      ],
    }), true);
  }

  function drawDimensions() {
    var rows = payload.dimensions.map(function (d) {
      return { name: d.label, label: d.label, red: d.red, yellow: d.yellow, green: d.green, closed: d.closed, items: d.items, rate: d.closure_rate };
    });
    var c = chart("chart-dims");
    if (!c) return;
    var max = Math.max.apply(null, rows.map(function (r) { return r.red.value + r.yellow.value + r.green.value; }).concat([1]));
    var series = ragSeries(rows, max * 0.08);
    series.push({
      name: "已办结", type: "bar", stack: "rag", barMaxWidth: px(1.4), itemStyle: { color: screen ? "rgba(124,196,255,.35)" : "#b9c6d8" },
      label: { show: true, color: C.ink, fontSize: px(0.66), formatter: function (p) { return p.value >= max * 0.08 ? fmt(p.value) : ""; } },
      data: rows.map(function (r) { return { value: r.closed.value, url: r.closed.url, row: r }; }),
    });
    c.setOption(base({
      legend: legend({ data: ["红灯", "黄灯", "绿灯", "已办结"] }),
      grid: { left: 4, right: 12, top: px(1.8), bottom: 4, containLabel: true },
      xAxis: valueAxis(),
      yAxis: categoryAxis(rows.map(function (r) { return r.name + "\n办结率 " + pct(r.rate); }), {
        inverse: true, axisLabel: { color: C.ink, fontSize: px(0.74), lineHeight: px(1.1) },
      }),
      tooltip: Object.assign(base({}).tooltip, {
        formatter: function (p) {
          var r = p.data.row;
          return tip(r.name + "维度", [
            { label: "事项", value: fmt(r.items.value) },
            { dot: "red", label: "红灯", value: fmt(r.red.value) },
            { dot: "yellow", label: "黄灯", value: fmt(r.yellow.value) },
            { dot: "green", label: "绿灯", value: fmt(r.green.value) },
            { dot: "blue", label: "已办结", value: fmt(r.closed.value) + "（" + pct(r.rate) + "）" },
          ], "点击查看" + p.seriesName + "事项清单");
        },
      }),
      series: series,
    }), true);
  }

  // --- Figures and lists ---------------------------------------------------------------------
  function updateFigures() {
    document.querySelectorAll("[data-fig]").forEach(function (el) {
      var fig = get(payload, el.getAttribute("data-fig"));
      if (!fig) return;
      var target = el.querySelector("[data-value]") || el;
      target.textContent = el.getAttribute("data-format") === "pct" ? pct(fig.value) : fmt(fig.value);
      if (fig.url && el.tagName === "A") el.setAttribute("href", fig.url);
    });
    document.querySelectorAll("[data-fig-text]").forEach(function (el) {
      var fig = get(payload, el.getAttribute("data-fig-text"));
      if (fig) el.textContent = fmt(fig.value);
    });
    var asof = document.getElementById("ck-asof");
    if (asof) {
      asof.textContent = payload.as_of_label;
      asof.setAttribute("datetime", payload.as_of);
    }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function actionButton(taskId, label) {
    if (!document.getElementById("ck-actions")) return null;
    var b = el("button", "ck-act", "批示/督办");
    b.type = "button";
    b.setAttribute("data-task", taskId);
    b.setAttribute("data-label", label);
    return b;
  }
  function fillList(id, rows, build, empty) {
    var list = document.getElementById(id);
    if (!list) return;
    list.textContent = "";
    if (!rows.length) {
      list.appendChild(el("li", "ck-empty", empty));
      return;
    }
    rows.forEach(function (r) { list.appendChild(build(r)); });
  }
  function updateLists() {
    fillList("list-worst", payload.indicators.worst, function (w) {
      var li = el("li", "lvl-" + w.level);
      var a = el("a");
      a.href = w.url;
      a.title = w.reason;
      a.appendChild(el("span", "ck-gap", "-" + w.gap));
      a.appendChild(el("span", "ck-name", w.name));
      a.appendChild(el("span", "ck-meta", w.task_code + " · " + w.unit + " · " + w.reason));
      li.appendChild(a);
      var b = actionButton(w.task_id, w.task_code + " " + w.task_title);
      if (b) li.appendChild(b);
      return li;
    }, "暂无落后于轨迹的指标");
    fillList("list-listed", payload.listed.items, function (n) {
      var li = el("li");
      var a = el("a");
      a.href = n.url;
      a.title = n.reason;
      a.appendChild(el("span", "ck-days", n.days + "天"));
      a.appendChild(el("span", "ck-name", n.code + " " + n.title));
      a.appendChild(el("span", "ck-meta", n.unit + " · " + n.reason));
      li.appendChild(a);
      var b = actionButton(n.task_id, n.code + " " + n.title);
      if (b) li.appendChild(b);
      return li;
    }, "暂无挂牌督办事项");
    ["red", "black"].forEach(function (side) {
      fillList("list-" + side, payload.ranking[side], function (r) {
        var li = el("li");
        var a = el("a");
        a.href = r.url;
        a.appendChild(el("span", "ck-rank", String(r.rank)));
        a.appendChild(el("span", "ck-name", r.name));
        a.appendChild(el("span", "ck-score", String(r.score)));
        a.appendChild(el("span", "ck-meta", "按期 " + pct(r.on_time_rate) + " · 逾期 " + r.overdue.value));
        li.appendChild(a);
        return li;
      }, "本期暂无数据");
    });
  }

  function drawAll() {
    updateFigures();
    updateLists();
    [drawStatus, drawDomains, drawUnits, drawIndicatorDomains, drawBuckets, drawInstructions, drawReports, drawTrend, drawDimensions]
      .forEach(function (draw) {
        try {
          draw();
        } catch (err) {
          if (window.console) window.console.warn("驾驶舱图表绘制失败", err);
        }
      });
  }

  // --- Auto-refresh ----------------------------------------------------------------------------
  var live = document.getElementById("ck-live");
  function setLive(state, text) {
    if (!live) return;
    live.setAttribute("data-state", state);
    if (text) live.textContent = text;
  }
  function apiUrl() {
    var params = new URLSearchParams(window.location.search);
    params.delete("mode");
    params.delete("refresh");
    var query = params.toString();
    return options.api + (query ? "?" + query : "");
  }
  function refresh() {
    setLive("loading");
    fetch(apiUrl(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) {
          window.location.reload();
          return null;
        }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (data) {
        if (!data) return;
        payload = data;
        drawAll();
        setLive("ok", "每 " + options.refresh + " 秒自动刷新");
      })
      .catch(function () {
        setLive("stale", "刷新失败，显示 " + payload.as_of_label + " 的数据");
      });
  }
  window.setInterval(refresh, Math.max(10, options.refresh) * 1000);

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      if (screen) drawAll(); // type sizes follow the screen width (1rem = 1/120 of it)
    }, 150);
  });

  // --- Leader actions: pick a task, then instruct or supervise ------------------------------------
  var search = document.getElementById("ck-task-q");
  var results = document.getElementById("ck-task-results");
  var picked = document.getElementById("ck-picked");
  var chosen = null;
  function pick(task) {
    chosen = task;
    document.querySelectorAll(".ck-task-id").forEach(function (input) { input.value = task.id; });
    if (picked) {
      picked.textContent = "已选择：" + task.label;
      picked.classList.add("chosen");
    }
    document.querySelectorAll(".ck-unit-select").forEach(function (select) {
      select.textContent = "";
      var first = el("option", null, "牵头单位（默认）" + (task.unit ? "：" + task.unit : ""));
      first.value = "";
      select.appendChild(first);
      (task.cooperating || []).forEach(function (u) {
        var o = el("option", null, "配合单位：" + u.name);
        o.value = u.id;
        select.appendChild(o);
      });
    });
    if (results) results.textContent = "";
  }
  if (search && results) {
    var searchTimer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      var q = search.value.trim();
      if (!q) {
        results.textContent = "";
        return;
      }
      searchTimer = window.setTimeout(function () {
        fetch(options.search + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (res) { return res.ok ? res.json() : { results: [] }; })
          .then(function (data) {
            results.textContent = "";
            if (!data.results.length) {
              results.appendChild(el("li", "ck-empty", "没有找到在办的任务"));
              return;
            }
            data.results.forEach(function (t) {
              var li = el("li");
              var b = el("button", null, t.label + " · " + t.unit);
              b.type = "button";
              b.setAttribute("role", "option");
              b.addEventListener("click", function () { pick(t); });
              li.appendChild(b);
              results.appendChild(li);
            });
          });
      }, 250);
    });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest(".ck-act") : null;
    if (!btn) return;
    pick({ id: btn.getAttribute("data-task"), label: btn.getAttribute("data-label") });
    var section = document.getElementById("ck-actions");
    if (section) section.scrollIntoView({ behavior: "smooth", block: "start" });
    var text = document.getElementById("ck-i-text") || document.getElementById("ck-n-reason");
    if (text) text.focus({ preventScroll: true });
  });
  document.querySelectorAll("#form-instruct, #form-notice").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!chosen) {
        e.preventDefault();
        if (picked) picked.textContent = "请先在上方搜索并选择任务";
        if (search) search.focus();
      }
    });
  });

  function start() {
    if (!window.echarts) {
      window.setTimeout(start, 30);
      return;
    }
    drawAll();
  }
  start();
})();
