'use strict';
// The outline of a rule or hook script: the function Auth0 called, its parameter names, its
// body, the comments before it.

const { Code } = require('./code');

class NotConvertible extends Error {}

/**
 * The script's function: `function [name] (p1, p2, …) { body }`, `async function …`, or an arrow
 * `(p1, …) => { body }`, optionally after `module.exports =` (hooks). Returns
 * `{params, body, bodyLine, isAsync, leading, trailing}`: the body's source text between the
 * braces, the 1-based line it starts on, and the comments before the function.
 */
function functionOf(source, what) {
  const code = new Code(source);
  const { t } = code;
  let k = 0;
  if (code.isName(0, 'module') && code.is(1, '.') && code.isName(2, 'exports') && code.is(3, '=')) k = 4;
  else if (code.isName(0, 'exports') && code.is(1, '=')) k = 2;
  let isAsync = false;
  if (code.isName(k, 'async')) { isAsync = true; k += 1; }
  let open;
  if (code.isName(k, 'function')) {
    k += 1;
    if (code.is(k, '*')) k += 1;
    if (code.isName(k)) k += 1;
    if (!code.is(k, '(')) throw new NotConvertible(`${what}: expected a parameter list after 'function' on line ${code.line(k)}`);
    open = k;
  } else if (code.is(k, '(') && code.is(code.match[k] + 1, '=>')) {
    open = k;
  } else {
    const first = t[k];
    throw new NotConvertible(
      `${what}: the script must be a function expression, e.g. function (user, context, callback) { … }` +
        (first ? `; it starts with '${first.value}' on line ${first.line}` : '; it is empty'),
    );
  }
  const close = code.match[open];
  if (close === -1) throw new NotConvertible(`${what}: unbalanced parentheses after line ${code.line(open)}`);
  const params = [];
  for (let p = open + 1; p < close; p++) if (code.isName(p) && (code.is(p + 1, ',') || p + 1 === close)) params.push(code.t[p].value);
  let brace = close + 1;
  if (code.is(brace, '=>')) brace += 1;
  if (!code.is(brace, '{') || code.match[brace] === -1) throw new NotConvertible(`${what}: the function has no body in braces (line ${code.line(brace)})`);
  const end = code.match[brace];
  const trailing = t.slice(end + 1).filter((token) => !(token.type === 'punct' && token.value === ';'));
  const bodyStart = t[brace].end;
  const leadingEnd = t[0] ? t[0].start : 0;
  return {
    params,
    body: source.slice(bodyStart, t[end].start),
    bodyLine: t[brace].line,
    isAsync,
    leading: source.slice(0, leadingEnd).trim(),
    trailing: trailing.length > 0 ? { line: trailing[0].line, text: trailing[0].value } : null,
  };
}

module.exports = { functionOf, NotConvertible };
