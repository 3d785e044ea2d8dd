'use strict';
// Small helpers the rewriting passes share: indentation, statements that must stay one
// statement, object literals read as key/value texts.

const { argumentsOf } = require('./scope');
const { stringValue } = require('./chains');

/** The whitespace that starts the line of code token `k`. */
function indentOf(code, k) {
  const start = code.source.lastIndexOf('\n', code.t[k].start - 1) + 1;
  return /^[ \t]*/.exec(code.source.slice(start))[0];
}

/** Is the statement at `k` the whole body of an `if`, `else`, `for`, `while` or `do` (no braces)? */
function isLoneBody(code, k) {
  if (code.isName(k - 1, 'else') || code.isName(k - 1, 'do')) return true;
  if (!code.is(k - 1, ')')) return false;
  const head = code.t[code.match[k - 1] - 1];
  return head !== undefined && head.type === 'name' && ['if', 'for', 'while', 'with'].includes(head.value);
}

/** `statements` (one line of source) in place of the statement at `k`: braced when it is a lone body. */
function asStatement(code, k, statements) {
  return isLoneBody(code, k) ? `{ ${statements} }` : statements;
}

/**
 * The properties of the object literal whose `{` is at `open`: `[{key, value}]` with the
 * value's source text, or null when a key is computed or spread (not known before running).
 */
function objectLiteral(code, open) {
  const close = code.match[open];
  if (close === -1) return null;
  const properties = [];
  for (const [from, to] of argumentsOf(code, open)) {
    if (to <= from) continue;
    const first = code.t[from];
    let key;
    if (first.type === 'name') key = first.value;
    else if (first.type === 'string') key = stringValue(first);
    else if (first.type === 'number') key = first.value;
    if (key === undefined) return null;
    if (to === from + 1) { properties.push({ key, value: first.value, shorthand: true }); continue; }
    if (!code.is(from + 1, ':')) return null; // a method or a getter
    properties.push({ key, value: code.text(from + 2, to).trim() });
  }
  return properties;
}

/** `'text'` as a single-quoted JavaScript string. */
function quote(text) {
  return `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `text` with `prefix` added to every line that does not start inside a template literal or comment. */
function indent(text, prefix) {
  const { tokenize } = require('./tokens');
  let tokens;
  try {
    tokens = tokenize(text);
  } catch {
    return text.replace(/^(?=.)/gm, prefix);
  }
  const inside = [];
  for (const token of tokens) {
    if (token.type === 'space') continue;
    for (let i = token.value.indexOf('\n'); i !== -1; i = token.value.indexOf('\n', i + 1)) inside.push(token.start + i + 1);
  }
  const protectedStarts = new Set(inside);
  let out = '';
  let lineStart = 0;
  for (const line of text.split('\n')) {
    out += (out === '' && lineStart === 0 ? '' : '\n') + (line !== '' && !protectedStarts.has(lineStart) ? prefix + line : line);
    lineStart += line.length + 1;
  }
  return out;
}

module.exports = { indentOf, isLoneBody, asStatement, objectLiteral, quote, indent };
