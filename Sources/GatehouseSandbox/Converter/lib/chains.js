'use strict';
// Member chains after a name: `user.app_metadata['roles'].length` is `user` followed by the
// segments `app_metadata`, `roles` (a string key counts as static) and `length`. Rewrites
// and the analysis of what a rule reads and writes work on these.

const ASSIGNMENTS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '**=', '<<=', '>>=', '>>>=', '&=', '|=', '^=', '&&=', '||=', '??=']);
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

/** `'abc'` / `"abc"` → `abc`; anything else → undefined. */
function stringValue(token) {
  if (token === undefined || token.type !== 'string') return undefined;
  try {
    return JSON.parse(token.value[0] === '"' ? token.value : `"${token.value.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`);
  } catch {
    return undefined;
  }
}

/**
 * The member chain after the name at `k`: `segments` (`{name, from, to}` with `name`
 * undefined for a computed key that is not a string literal; `from`/`to` the segment's code
 * token range, `.`/`[` included), `end` (the index after the chain) and `optional` (some
 * segment used `?.`).
 */
function chainAt(code, k) {
  const segments = [];
  let j = k + 1;
  let optional = false;
  for (;;) {
    if ((code.is(j, '.') || code.is(j, '?.')) && code.isName(j + 1)) {
      if (code.is(j, '?.')) optional = true;
      segments.push({ name: code.t[j + 1].value, from: j, to: j + 2 });
      j += 2;
      continue;
    }
    const bracket = code.is(j, '?.') && code.is(j + 1, '[') ? j + 1 : code.is(j, '[') ? j : -1;
    if (bracket !== -1 && code.match[bracket] !== -1) {
      const close = code.match[bracket];
      const single = close === bracket + 2 ? stringValue(code.t[bracket + 1]) : undefined;
      segments.push({ name: single, from: j, to: close + 1, computed: true });
      j = close + 1;
      continue;
    }
    break;
  }
  return { segments, end: j, optional };
}

/** The static names at the start of a chain's segments (up to the first non-static key). */
function staticNames(segments) {
  const names = [];
  for (const segment of segments) {
    if (segment.name === undefined) break;
    names.push(segment.name);
  }
  return names;
}

/**
 * How the chain at `k` (with `chain` = chainAt(code, k)) is used: `write` (assigned, deleted,
 * incremented or mutated through an array method; `path` then names what changed), with
 * `operator` and the right-hand side's first token for assignments.
 */
function useOf(code, k, chain) {
  const { segments, end } = chain;
  const after = code.t[end];
  if (after && after.type === 'punct' && ASSIGNMENTS.has(after.value)) return { write: true, operator: after.value, rhs: end + 1, segments };
  if (after && after.type === 'punct' && (after.value === '++' || after.value === '--') && !after.newline) return { write: true, segments };
  if (code.is(k - 1, '++') || code.is(k - 1, '--') || code.isName(k - 1, 'delete')) return { write: true, segments };
  const last = segments[segments.length - 1];
  if (last && MUTATORS.has(last.name) && code.is(end, '(')) return { write: true, segments: segments.slice(0, -1) };
  return { write: false, segments };
}

module.exports = { chainAt, staticNames, useOf, stringValue, ASSIGNMENTS };
