// Try it: what Grafana's browser code does with a log line (Loki derived fields, getDerivedFields.ts)
// and with a span (Tempo trace to logs, createSpanLink.tsx), computed here by this browser's JavaScript.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('tryit-config').textContent);
  const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

  function jsString(v) { return v === null || v === undefined ? 'null' : String(v); }
  function lookup(scoped, name, path) {
    let value = scoped[name];
    if (path === undefined || value === undefined || value === null) return value;
    return value[path] !== undefined ? value[path] : path.split('.').reduce((v, k) => v == null ? v : v[k], value);
  }
  function interpolate(text, scoped) {
    return text.replace(VARIABLE, (m, a, b, c, d, path) => {
      const v = lookup(scoped, a || b || d, path);
      return v === undefined || v === null ? m : String(v);
    });
  }
  function resolve(ref) {
    return config.datasources.find(d => d.uid === ref) || config.datasources.find(d => d.name === ref) || null;
  }
  function groupByName(fields) {  // lodash groupBy: keys in Object.keys order
    const groups = {};
    for (const f of fields) {
      const key = f.name === undefined || f.name === null ? 'undefined' : String(f.name);
      (groups[key] = groups[key] || []).push(f);
    }
    return groups;
  }

  // One row of a Loki frame -> the links of every derived field (regex mode on the line, label mode on keys).
  function logLinks(loki, line, labels) {
    const links = [];
    const groups = groupByName(loki.derivedFields || []);
    for (const name of Object.keys(groups)) {
      const first = groups[name][0];
      const mode = first.matcherType;
      let value = null;
      const re = new RegExp(jsString(first.matcherRegex));  // throws on an invalid regex, as Grafana's view does
      if (mode === 'label') {
        if (labels) {
          const key = Object.keys(labels).find(k => re.test(k));
          if (key !== undefined) value = labels[key];
        }
      } else if (mode === undefined || mode === null || mode === 'regex') {
        const m = line.match(re);
        value = m && m[1] ? m[1] : null;
      }
      if (value === null) continue;
      const scoped = {__value: {raw: value, text: value, value: value}};
      for (const c of groups[name]) {
        const title = interpolate(jsString(c.urlDisplayLabel || ''), scoped);
        if (c.datasourceUid) {
          const target = resolve(c.datasourceUid);
          links.push({field: name, value: value, title: title, internal: true,
                      query: interpolate(jsString(c.url || ''), scoped),
                      datasource: target ? target.name : 'Data source not found'});
        } else if (c.url) {
          links.push({field: name, value: value, title: title, internal: false, url: interpolate(jsString(c.url), scoped)});
        }
      }
    }
    return links;
  }

  function parsePairs(text) {  // key=value per line, in order
    const out = {};
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      const at = line.indexOf('=');
      if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return out;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function runLines() {
    const lines = document.getElementById('lines').value.split('\n');
    const labelsText = document.getElementById('labels').value;
    const labels = labelsText.trim() ? parsePairs(labelsText) : {};
    const body = document.getElementById('results');
    body.textContent = '';
    lines.forEach((line, i) => {
      for (const loki of config.lokis) {
        const row = body.insertRow();
        row.dataset.line = String(i);
        row.dataset.loki = loki.uid;
        let links;
        try {
          links = logLinks(loki, line, labels);
        } catch (e) {
          cell(row, line); cell(row, loki.name); cell(row, 'invalid regex: ' + e.message, 'broken');
          row.dataset.trace = '';
          continue;
        }
        const internal = links.filter(l => l.internal);
        row.dataset.trace = internal.length ? internal[0].query : '';
        cell(row, line);
        cell(row, loki.name);
        cell(row, internal.length ? internal[0].query : 'no link', internal.length ? 'trace' : 'none');
        cell(row, links.map(l => l.internal ? `${l.field}: "${l.title}" -> ${l.datasource}` : `${l.field}: ${l.url}`).join('; '));
      }
    });
  }

  // Tempo's "Logs for this span": the Loki query for a trace id and the span's resource tags.
  function logsQuery(tempo, traceId, spanId, tags) {
    const o = tempo.options;
    const configured = o.tags && o.tags.length ? o.tags.map(t => [t.key, t.value || null]) : config.defaultLogsTags;
    const all = Object.entries(tags).concat([['spanId', spanId], ['traceId', traceId], ['name', ''], ['duration', 0]]);
    const parts = [];
    for (const [key, value] of all) {
      const use = configured.find(([k]) => k === key);
      if (use) parts.push(`${use[1] || use[0]}="${jsString(value)}"`);
    }
    const formatted = parts.join(', ');
    let expr;
    if (o.customQuery) {
      expr = jsString(o.query || '') || null;
    } else if (!formatted) {
      expr = null;
    } else {
      expr = '{${__tags}}';
      if (o.filterByTraceID && traceId) expr += ' | label_format log_line_contains_trace_id=`{{ contains "${__span.traceId}" __line__  }}` | log_line_contains_trace_id="true" or trace_id="${__span.traceId}"';
      if (o.filterBySpanID && spanId) expr += ' | label_format log_line_contains_span_id=`{{ contains "${__span.spanId}" __line__  }}` | log_line_contains_span_id="true" or span_id="${__span.spanId}"';
    }
    if (expr === null) return null;
    const scoped = {__tags: formatted, __span: {spanId: spanId, traceId: traceId, duration: 0, name: '', tags: tags},
                    __trace: {traceId: traceId, duration: 0, name: ''}};
    let undefinedVar = false;
    expr.replace(VARIABLE, (m, a, b, c, d, path) => {
      const v = lookup(scoped, a || b || d, path);
      if (v === undefined || v === null || v === '') undefinedVar = true;
      return m;
    });
    return undefinedVar ? null : interpolate(expr, scoped);
  }

  function runTrace() {
    const traceId = document.getElementById('trace-id').value.trim();
    const spanId = document.getElementById('span-id').value.trim();
    const tags = parsePairs(document.getElementById('span-tags').value);
    const body = document.getElementById('trace-results');
    body.textContent = '';
    for (const tempo of config.tempos) {
      const row = body.insertRow();
      row.dataset.tempo = tempo.uid;
      const target = resolve(tempo.options.datasourceUid);
      const query = target ? logsQuery(tempo, traceId, spanId, tags) : null;
      row.dataset.query = query || '';
      cell(row, tempo.name);
      cell(row, target ? target.name : 'no logs datasource');
      cell(row, query || 'no "Logs for this span" link', query ? 'query' : 'none');
    }
  }

  document.getElementById('run-lines').addEventListener('click', runLines);
  document.getElementById('run-trace').addEventListener('click', runTrace);
  runLines();
  runTrace();
})();
