// The otela dashboard: polls this node's /v1/dnt/pool and /v1/dnt/traffic every POLL_MS and redraws.
// Every value from the pool is put in the page as text (textContent), never as markup.
(function () {
  'use strict';
  var POLL_MS = 2000;
  var KEEP = 900; // points: 15 minutes at one a second, as the node keeps them
  var COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0b7285', '#c2255c', '#5c940d',
    '#364fc7', '#862e9c', '#a61e4d', '#087f5b'];

  var traffic = { seq: 0, time: [], models: {}, p50: [], p99: [], streams: [] };
  var charts = {};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  // With API keys on, the data answers the admin key only. The page asks for it and keeps it in this tab's
  // sessionStorage (gone when the tab closes), sent as a Bearer header: never a cookie, so no other site's page
  // can make the browser send it.
  var KEY_ITEM = 'otela.adminKey';
  function adminKey() {
    try { return window.sessionStorage.getItem(KEY_ITEM); } catch (e) { return null; }
  }
  function keyRefused(status, message) {
    var e = new Error(message);
    e.keyRefused = status;
    return e;
  }

  function getJson(url) {
    var headers = { Accept: 'application/json' };
    var key = adminKey();
    if (key) { headers.Authorization = 'Bearer ' + key; }
    return fetch(url, { headers: headers, cache: 'no-store' }).then(function (r) {
      if (r.status === 401 || r.status === 403) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          var m = body && body.error && body.error.message;
          throw keyRefused(r.status, m || url + ' answered ' + r.status);
        });
      }
      if (!r.ok) { throw new Error(url + ' answered ' + r.status); }
      return r.json();
    });
  }

  // ---- formatting ----
  function ago(seconds) {
    var s = Math.max(0, Math.round(seconds));
    return s < 120 ? s + 's' : s < 7200 ? Math.floor(s / 60) + 'm' : s < 172800 ? Math.floor(s / 3600) + 'h'
      : Math.floor(s / 86400) + 'd';
  }
  function gib(mib) { return (mib / 1024).toFixed(1); }
  function num(x) { return x === null || x === undefined ? '–' : x >= 100 ? Math.round(x) : x.toFixed(1); }
  function ms(seconds) {
    if (seconds === null || seconds === undefined) { return '–'; }
    var m = seconds * 1000;
    return m >= 10000 ? seconds.toFixed(1) + ' s' : m >= 10 ? Math.round(m) + ' ms' : m.toFixed(1) + ' ms';
  }
  function gpus(list) {
    if (!list || list.length === 0) { return '–'; }
    var used = 0, total = 0;
    list.forEach(function (g) { used += g.used_memory; total += g.total_memory; });
    return list.length + '× ' + String(list[0].name).replace(/^NVIDIA /, '') + ' ' + gib(used) + '/' + gib(total) + ' GiB';
  }
  function badge(status) { return el('span', 'badge ' + status, status); }

  // ---- the pool ----
  function renderPool(pool) {
    var now = pool.time / 1000;
    var current = pool.nodes.filter(function (n) { return n.gone_at === null || n.gone_at === undefined; });
    var up = current.filter(function (n) { return n.status === 'up'; }).length;
    document.getElementById('summary').textContent = 'as ' + pool.self + ' sees it (otela ' + pool.version + '): '
      + current.length + (current.length === 1 ? ' node, ' : ' nodes, ') + up + ' up, ' + pool.models.length
      + (pool.models.length === 1 ? ' model' : ' models');
    document.getElementById('node-count').textContent = '(' + current.length + ')';
    document.getElementById('model-count').textContent = '(' + pool.models.length + ')';

    var nodes = document.querySelector('#nodes tbody');
    var rows = document.createDocumentFragment();
    pool.nodes.forEach(function (n) {
      var tr = el('tr', n.gone_at ? 'gone' : '');
      tr.dataset.node = n.id;
      tr.dataset.status = n.status;
      var id = el('td', 'id', n.id + (n.self ? ' (this node)' : ''));
      id.title = n.id;
      tr.appendChild(id);
      tr.appendChild(el('td', '', (n.role || []).join(', ')));
      var st = el('td', 'status');
      st.appendChild(badge(n.status));
      if (n.gone_at) { st.appendChild(el('span', 'muted', ' gone ' + ago(now - n.gone_at / 1000) + ' ago')); }
      tr.appendChild(st);
      tr.appendChild(el('td', 'version', n.version || '–'));
      tr.appendChild(el('td', '', n.address ? n.address + (n.api_port > 0 ? ':' + n.api_port : '') : '–'));
      tr.appendChild(el('td', '', gpus(n.gpus)));
      tr.appendChild(el('td', '', n.memory_total > 0 ? gib(n.memory_used) + '/' + gib(n.memory_total) + ' GiB' : '–'));
      tr.appendChild(el('td', '', n.services.length === 0 ? '–' : n.services.map(function (s) {
        return s.name + (s.status === 'connected' ? '' : ' (' + s.status + ')');
      }).join(', ')));
      tr.appendChild(el('td', 'num', n.in_flight));
      tr.appendChild(el('td', 'num', n.last_seen > 0 ? ago(now - n.last_seen) : '–'));
      rows.appendChild(tr);
    });
    nodes.replaceChildren(rows);

    var models = document.querySelector('#models tbody');
    rows = document.createDocumentFragment();
    pool.models.forEach(function (m) {
      var tr = el('tr');
      tr.dataset.service = m.service;
      tr.dataset.model = m.model === null ? '' : m.model;
      tr.appendChild(el('td', '', m.service));
      tr.appendChild(el('td', 'model', m.model === null ? '–' : m.model));
      var ps = el('td');
      var box = el('div', 'providers');
      m.providers.forEach(function (p) {
        var span = el('span', 'provider');
        span.dataset.worker = p.id;
        span.appendChild(badge(p.status));
        span.appendChild(document.createTextNode(' '));
        var id = el('span', 'id', p.id.length > 14 ? p.id.slice(0, 6) + '…' + p.id.slice(-6) : p.id);
        id.title = p.id;
        span.appendChild(id);
        var l = p.load;
        span.appendChild(el('span', 'muted', ' ' + (l ? Math.round(l.running) + ' / ' + Math.round(l.waiting) + ' / '
          + Math.round(l.kv_cache_usage * 100) + '%' : '– / – / –') + ' / ' + p.in_flight));
        box.appendChild(span);
      });
      ps.appendChild(box);
      tr.appendChild(ps);
      var t = m.traffic || {};
      tr.appendChild(el('td', 'num rps', num(t.requests_per_second)));
      tr.appendChild(el('td', 'num', num(t.errors_per_second)));
      tr.appendChild(el('td', 'num', ms(t.ttfb_p50)));
      tr.appendChild(el('td', 'num', ms(t.ttfb_p99)));
      rows.appendChild(tr);
    });
    models.replaceChildren(rows);
  }

  // ---- traffic ----
  function append(points) {
    if (points.seq < traffic.seq || points.from_seq > traffic.seq + 1) {
      // The node restarted, or we fell behind what it keeps: start over from what it sent.
      traffic = { seq: 0, time: [], models: {}, p50: [], p99: [], streams: [] };
    }
    var n = points.time.length;
    var before = traffic.time.length;
    Array.prototype.push.apply(traffic.time, points.time.map(function (t) { return t / 1000; }));
    Array.prototype.push.apply(traffic.p50, points.ttfb_p50);
    Array.prototype.push.apply(traffic.p99, points.ttfb_p99);
    Array.prototype.push.apply(traffic.streams, points.streams);
    Object.keys(points.models).forEach(function (name) {
      if (!traffic.models[name]) {
        traffic.models[name] = { rps: new Array(before).fill(null), errors: new Array(before).fill(null) };
      }
    });
    Object.keys(traffic.models).forEach(function (name) {
      var s = points.models[name];
      var m = traffic.models[name];
      Array.prototype.push.apply(m.rps, s ? s.rps : new Array(n).fill(null));
      Array.prototype.push.apply(m.errors, s ? s.errors : new Array(n).fill(null));
    });
    traffic.seq = points.seq;
    var drop = traffic.time.length - KEEP;
    if (drop > 0) {
      ['time', 'p50', 'p99', 'streams'].forEach(function (k) { traffic[k].splice(0, drop); });
      Object.keys(traffic.models).forEach(function (name) {
        var m = traffic.models[name];
        m.rps.splice(0, drop);
        m.errors.splice(0, drop);
        if (m.rps.every(function (v) { return v === null; })) { delete traffic.models[name]; }
      });
    }
  }

  function toMs(xs) { return xs.map(function (v) { return v === null ? null : v * 1000; }); }

  function drawAll() {
    var names = Object.keys(traffic.models).sort();
    draw('chart-rps', names, names.map(function (m) { return traffic.models[m].rps; }));
    draw('chart-errors', names, names.map(function (m) { return traffic.models[m].errors; }));
    draw('chart-ttfb', ['p50', 'p99'], [toMs(traffic.p50), toMs(traffic.p99)]);
    draw('chart-streams', ['open streams'], [traffic.streams]);
  }

  function draw(id, names, series) {
    var box = document.getElementById(id);
    var values = 0;
    series.forEach(function (s) { s.forEach(function (v) { if (v !== null) { values++; } }); });
    box.dataset.series = JSON.stringify(names);
    box.dataset.points = String(traffic.time.length);
    box.dataset.values = String(values);
    var key = names.join('\u0000');
    var c = charts[id];
    var width = Math.max(200, box.clientWidth);
    if (!c || c.key !== key) {
      if (c) { c.plot.destroy(); }
      box.replaceChildren();
      var opts = {
        width: width, height: 190, legend: { show: true }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(max || 0, 1)]; } } },
        series: [{}].concat(names.map(function (n, i) {
          return { label: n, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, points: { show: false } };
        }))
      };
      c = charts[id] = { key: key, plot: new uPlot(opts, [traffic.time].concat(series), box) };
    } else {
      c.plot.setData([traffic.time].concat(series));
      if (Math.abs(c.plot.width - width) > 2) { c.plot.setSize({ width: width, height: 190 }); }
    }
  }

  // ---- polling ----
  var lastOk = 0;
  function freshness(ok, err) {
    var f = document.getElementById('freshness');
    if (ok) {
      lastOk = Date.now();
      f.className = 'badge up';
      f.textContent = 'live · ' + new Date(lastOk).toLocaleTimeString();
      f.title = 'updated every ' + POLL_MS / 1000 + ' s';
    } else {
      f.className = 'badge error';
      f.textContent = 'no answer' + (lastOk ? ' since ' + new Date(lastOk).toLocaleTimeString() : '');
      f.title = String(err);
    }
  }

  function askForKey(e) {
    var form = document.getElementById('login');
    form.hidden = false;
    document.getElementById('login-error').textContent = adminKey() ? 'That key was refused: ' + e.message : '';
    document.getElementById('admin-key').focus();
    var f = document.getElementById('freshness');
    f.className = 'badge stale';
    f.textContent = 'admin key needed';
    f.title = e.message;
  }

  document.getElementById('login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = document.getElementById('admin-key');
    try { window.sessionStorage.setItem(KEY_ITEM, input.value.trim()); } catch (e) { /* private mode: ask again */ }
    input.value = '';
    document.getElementById('login').hidden = true;
    poll();
  });

  function poll() {
    Promise.all([getJson('/v1/dnt/pool'), getJson('/v1/dnt/traffic?since=' + traffic.seq)])
      .then(function (r) {
        renderPool(r[0]);
        append(r[1]);
        drawAll();
        freshness(true);
        return true;
      })
      .catch(function (e) {
        if (e.keyRefused) {
          askForKey(e);
          return false; // polling resumes when a key is given
        }
        freshness(false, e);
        return true;
      })
      .then(function (again) { if (again) { setTimeout(poll, POLL_MS); } });
  }

  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (id) {
      var box = document.getElementById(id);
      charts[id].plot.setSize({ width: Math.max(200, box.clientWidth), height: 190 });
    });
  });
  poll();
}());
