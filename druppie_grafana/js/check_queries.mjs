// Syntax check of LogQL, TraceQL and PromQL queries with the grammars Grafana and Prometheus ship.
// stdin: [{lang: "logql"|"traceql"|"promql", text, types}]  stdout: {unavailable: {lang: why}, results: [[{from, to, message}]]}
// One process checks every query of a run. Lezer grammars recover from errors and mark them with
// error nodes; PromQL additionally gets the type checks of Prometheus' own parser (argument types
// and counts of functions and aggregations, operand types of binary operators).

import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const GRAMMARS = {
  logql: '@grafana/lezer-logql',
  traceql: '@grafana/lezer-traceql',
  promql: '@prometheus-io/lezer-promql',
};

// argv[2]: the folder whose node_modules holds the grammars (druppie_grafana/grammars.py finds it: this
// file's own folder in a checkout, or the user cache); without it, node resolves from this file's folder.
const ROOT = process.argv[2];

function entry(pkg) {
  if (!ROOT) return pkg;
  const dir = join(ROOT, 'node_modules', pkg);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const exp = meta.exports && (meta.exports['.'] ?? meta.exports);
  const file = (typeof exp === 'string' ? exp : exp && (exp.import ?? exp.default)) ?? meta.module ?? meta.main;
  return pathToFileURL(join(dir, file)).href;
}

const parsers = {};
const unavailable = {};
for (const [lang, pkg] of Object.entries(GRAMMARS)) {
  try {
    parsers[lang] = (await import(entry(pkg))).parser;
  } catch (e) {
    unavailable[lang] = `${pkg} is not installed (${String(e.message).split('\n')[0]})`;
  }
}

function syntaxErrors(parser, text) {
  const errors = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError && !errors.some(e => e.from === node.from)) {
        const near = text.slice(node.from, node.from + 20);
        errors.push({from: node.from, to: node.to,
                     message: near ? `syntax error at position ${node.from} near ${JSON.stringify(near)}`
                                   : `syntax error: query ends early at position ${node.from}`});
      }
      return errors.length < 3;
    },
  });
  return errors;
}

// ---- PromQL types, as Prometheus' parser checks them (promql/parser/functions.go) ----
const V = 'instant vector', M = 'range vector', S = 'scalar', STR = 'string';
// name: [argument types, variadic (0 exact, n up to n optional trailing, -1 any more of the last), return]
const FUNCTIONS = {
  abs: [[V], 0, V], absent: [[V], 0, V], absent_over_time: [[M], 0, V], acos: [[V], 0, V], acosh: [[V], 0, V],
  asin: [[V], 0, V], asinh: [[V], 0, V], atan: [[V], 0, V], atanh: [[V], 0, V], avg_over_time: [[M], 0, V],
  ceil: [[V], 0, V], changes: [[M], 0, V], clamp: [[V, S, S], 0, V], clamp_max: [[V, S], 0, V],
  clamp_min: [[V, S], 0, V], cos: [[V], 0, V], cosh: [[V], 0, V], count_over_time: [[M], 0, V],
  days_in_month: [[V], 1, V], day_of_month: [[V], 1, V], day_of_week: [[V], 1, V], day_of_year: [[V], 1, V],
  deg: [[V], 0, V], delta: [[M], 0, V], deriv: [[M], 0, V], exp: [[V], 0, V], floor: [[V], 0, V],
  histogram_avg: [[V], 0, V], histogram_count: [[V], 0, V], histogram_fraction: [[S, S, V], 0, V],
  histogram_quantile: [[S, V], 0, V], histogram_sum: [[V], 0, V], histogram_stddev: [[V], 0, V],
  histogram_stdvar: [[V], 0, V], double_exponential_smoothing: [[M, S, S], 0, V], holt_winters: [[M, S, S], 0, V],
  hour: [[V], 1, V], idelta: [[M], 0, V], increase: [[M], 0, V], info: [[V, V], 1, V], irate: [[M], 0, V],
  label_replace: [[V, STR, STR, STR, STR], 0, V], label_join: [[V, STR, STR, STR], -1, V],
  last_over_time: [[M], 0, V], ln: [[V], 0, V], log10: [[V], 0, V], log2: [[V], 0, V],
  mad_over_time: [[M], 0, V], max_over_time: [[M], 0, V], min_over_time: [[M], 0, V], minute: [[V], 1, V],
  month: [[V], 1, V], pi: [[], 0, S], predict_linear: [[M, S], 0, V], present_over_time: [[M], 0, V],
  quantile_over_time: [[S, M], 0, V], rad: [[V], 0, V], rate: [[M], 0, V], resets: [[M], 0, V],
  round: [[V, S], 1, V], scalar: [[V], 0, S], sgn: [[V], 0, V], sin: [[V], 0, V], sinh: [[V], 0, V],
  sort: [[V], 0, V], sort_desc: [[V], 0, V], sort_by_label: [[V, STR], -1, V], sort_by_label_desc: [[V, STR], -1, V],
  sqrt: [[V], 0, V], stddev_over_time: [[M], 0, V], stdvar_over_time: [[M], 0, V], sum_over_time: [[M], 0, V],
  tan: [[V], 0, V], tanh: [[V], 0, V], time: [[], 0, S], timestamp: [[V], 0, V], vector: [[S], 0, V],
  year: [[V], 1, V], ts_of_max_over_time: [[M], 0, V], ts_of_min_over_time: [[M], 0, V],
  ts_of_last_over_time: [[M], 0, V], first_over_time: [[M], 0, V],
};
const PARAM_AGGREGATIONS = {topk: S, bottomk: S, quantile: S, count_values: STR, limitk: S, limit_ratio: S};
const EXPRESSIONS = new Set(['NumberDurationLiteral', 'NumberLiteral', 'StringLiteral', 'VectorSelector',
  'MatrixSelector', 'SubqueryExpr', 'ParenExpr', 'UnaryExpr', 'OffsetExpr', 'StepInvariantExpr', 'BinaryExpr',
  'AggregateExpr', 'FunctionCall']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);

function children(node, names) {
  const out = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (!names || names.has(c.name)) out.push(c);
  return out;
}

function promqlTypes(text, tree) {
  const errors = [];
  const fail = (node, message) => errors.push({from: node.from, to: node.to, message});
  const body = node => children(node).find(c => c.name === 'FunctionCallBody');
  function type(node) {
    switch (node.name) {
      case 'NumberDurationLiteral': case 'NumberLiteral': return S;
      case 'StringLiteral': return STR;
      case 'VectorSelector': return V;
      case 'MatrixSelector': case 'SubqueryExpr': children(node, EXPRESSIONS).forEach(type); return M;
      case 'ParenExpr': case 'OffsetExpr': case 'StepInvariantExpr': {
        const inner = children(node, EXPRESSIONS)[0];
        return inner ? type(inner) : null;
      }
      case 'UnaryExpr': {
        const inner = children(node, EXPRESSIONS)[0];
        const t = inner ? type(inner) : null;
        if (t && t !== S && t !== V) fail(node, `unary expression only allowed on scalar or instant vector, got ${t}`);
        return t;
      }
      case 'BinaryExpr': {
        const [left, right] = children(node, EXPRESSIONS).map(type);
        const op = children(node).find(c => !EXPRESSIONS.has(c.name) && c.name !== 'BoolModifier' && c.name !== 'MatchingModifierClause');
        for (const t of [left, right]) {
          if (t === M || t === STR) { fail(node, `binary expression must contain only scalar and instant vector types, got ${t}`); return null; }
        }
        if (op && SET_OPERATORS.has(op.name) && (left === S || right === S)) {
          fail(node, `set operator "${text.slice(op.from, op.to)}" not allowed in binary scalar expression`);
        }
        return left === S && right === S ? S : V;
      }
      case 'AggregateExpr': {
        const opNode = children(node).find(c => c.name === 'AggregateOp');
        const name = opNode ? text.slice(opNode.from, opNode.to).toLowerCase() : '';
        const args = body(node) ? children(body(node), EXPRESSIONS) : [];
        const wanted = PARAM_AGGREGATIONS[name] ? [PARAM_AGGREGATIONS[name], V] : [V];
        if (args.length !== wanted.length) {
          fail(node, `wrong number of arguments for aggregate expression provided, expected ${wanted.length}, got ${args.length}`);
          args.forEach(type);
          return V;
        }
        args.forEach((arg, i) => {
          const t = type(arg);
          if (t && t !== wanted[i]) fail(arg, `expected type ${wanted[i]} in aggregation ${name}, got ${t}`);
        });
        return V;
      }
      case 'FunctionCall': {
        const ident = children(node).find(c => c.name === 'FunctionIdentifier');
        const name = ident ? text.slice(ident.from, ident.to) : '';
        const args = body(node) ? children(body(node), EXPRESSIONS) : [];
        const spec = FUNCTIONS[name];
        const types = args.map(type);
        if (!spec) return V;
        const [wanted, variadic, returns] = spec;
        const min = variadic > 0 ? wanted.length - variadic : wanted.length;
        const max = variadic < 0 ? Infinity : wanted.length;
        if (args.length < min || args.length > max) {
          fail(node, `expected ${min === max ? min : `${min} to ${max === Infinity ? 'more' : max}`} argument(s) in call to "${name}", got ${args.length}`);
          return returns;
        }
        types.forEach((t, i) => {
          const w = wanted[Math.min(i, wanted.length - 1)];
          if (t && t !== w) fail(args[i], `expected type ${w} in call to function "${name}", got ${t}`);
        });
        return returns;
      }
      default: return null;
    }
  }
  const top = tree.topNode;
  children(top, EXPRESSIONS).forEach(node => {
    const t = type(node);
    if (t === STR) fail(node, 'a query must be a scalar or a vector, not a string');
  });
  return errors;
}

let input = '';
process.stdin.on('data', c => input += c);
process.stdin.on('end', () => {
  const results = JSON.parse(input).map(({lang, text, types}) => {
    const parser = parsers[lang];
    if (!parser) return null;
    const errors = syntaxErrors(parser, text);
    if (!errors.length && lang === 'promql' && types !== false) return promqlTypes(text, parser.parse(text));
    return errors;
  });
  process.stdout.write(JSON.stringify({unavailable, results}));
});
