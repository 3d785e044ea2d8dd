'use strict';
// Which tokens of a rule's body name the rule's own `user`, `context`, `callback`,
// `configuration`, … A nested function with a parameter of that name hides it (a
// `users.filter((user) => …)` callback's `user` is another user), unless the function is a
// named helper every call of which passes the rule's own object in that place (then it is
// an alias: `function addClaims(user, context) {…}` called as `addClaims(user, context)`).

/** Name tokens of a parameter list `t[open]` … `t[close]` that it binds. */
function boundNames(code, open, close) {
  const names = [];
  for (let k = open + 1; k < close; k++) {
    const token = code.t[k];
    if (token.type !== 'name') continue;
    const next = code.t[k + 1];
    const previous = code.t[k - 1];
    if (previous && previous.type === 'punct' && (previous.value === '.' || previous.value === '?.')) continue;
    if (next && next.type === 'punct' && next.value === ':') continue; // `{key: binding}`
    names.push({ name: token.value, index: k });
  }
  return names;
}

/** The parameter list of the function body range starting at `from`: `{open, close, single}` or null. */
function parametersOf(code, from) {
  const arrow = code.is(from, '{') ? from - 1 : from - 1; // `{` of a body, or first token after `=>`
  if (code.is(from, '{') && code.is(from - 1, ')')) {
    return { open: code.match[from - 1], close: from - 1 };
  }
  if (code.is(arrow, '=>')) {
    if (code.is(arrow - 1, ')')) return { open: code.match[arrow - 1], close: arrow - 1 };
    if (code.isName(arrow - 1)) return { open: arrow - 2, close: arrow, single: arrow - 1 };
  }
  return null;
}

/** Comma-separated argument ranges of the call whose `(` is at `open`: `[[from, to), …]`. */
function argumentsOf(code, open) {
  const close = code.match[open];
  const ranges = [];
  let from = open + 1;
  for (let k = open + 1; k < close; k++) {
    if (code.is(k, '(') || code.is(k, '[') || code.is(k, '{') || code.t[k].type === 'templateHead') {
      let j = code.match[k];
      while (j !== -1 && code.t[j].type === 'templateMiddle') j = code.match[j];
      k = j;
      continue;
    }
    if (code.is(k, ',')) { ranges.push([from, k]); from = k + 1; }
  }
  if (close > from) ranges.push([from, close]);
  return ranges;
}

/**
 * A resolver for the rule's own bindings in `code`: `refersTo(k, name)` is true when the name
 * token at `k` is a reference to the rule's `name` (not a property, an object key, a
 * declaration or a hiding parameter).
 */
function scopeOf(code) {
  const hidden = new Map(); // name → [[from, to]]
  const declarations = new Set();
  const hide = (name, from, to) => {
    if (!hidden.has(name)) hidden.set(name, []);
    hidden.get(name).push([from, to]);
  };
  const callSites = (fnName) => {
    const sites = [];
    code.t.forEach((token, k) => {
      if (token.type === 'name' && token.value === fnName && code.is(k + 1, '(') && !code.isName(k - 1, 'function')) {
        if (code.is(k - 1, '.')) return;
        sites.push(argumentsOf(code, k + 1).map(([a, b]) => code.text(a, b).trim()));
      }
    });
    return sites;
  };
  for (const [from, to] of code.functions) {
    const params = parametersOf(code, from);
    if (params === null) continue;
    const names = params.single !== undefined ? [{ name: code.t[params.single].value, index: params.single }] : boundNames(code, params.open, params.close);
    const head = code.t[params.open - 1];
    const helperName = head && head.type === 'name' && code.isName(params.open - 2, 'function') ? head.value : null;
    const sites = helperName ? callSites(helperName) : [];
    names.forEach(({ name, index }, position) => {
      declarations.add(index);
      const alias = sites.length > 0 && sites.every((args) => args[position] === name);
      if (!alias) hide(name, from, to);
    });
  }
  // var/let/const/function/class/catch declarations hide the name in their function.
  code.t.forEach((token, k) => {
    if (token.type !== 'name' || code.is(k - 1, '.') || code.is(k - 1, '?.')) return; // `.catch(…)` is a method
    const keyword = token.value;
    let target = -1;
    if ((keyword === 'var' || keyword === 'let' || keyword === 'const') && code.isName(k + 1)) target = k + 1;
    if ((keyword === 'function' || keyword === 'class') && code.isName(k + 1)) target = k + 1;
    if (keyword === 'catch' && code.is(k + 1, '(') && code.isName(k + 2)) target = k + 2;
    if (target === -1) return;
    declarations.add(target);
    let inner = [0, code.t.length];
    for (const [from, to] of code.functions) if (from < target && target <= to && from >= inner[0]) inner = [from, to];
    if (keyword === 'function' && inner[0] === 0) return; // a helper's name, not a rebinding of the rule's names
    hide(code.t[target].value, inner[0], inner[1]);
  });

  const refersTo = (k, name) => {
    const token = code.t[k];
    if (token === undefined || token.type !== 'name' || token.value !== name) return false;
    if (declarations.has(k)) return false;
    if (code.is(k - 1, '.') || code.is(k - 1, '?.')) return false;
    if (code.is(k + 1, ':') && (code.is(k - 1, '{') || code.is(k - 1, ','))) return false; // object key
    if (code.is(k + 1, '=>')) return false;
    const ranges = hidden.get(name) || [];
    return !ranges.some(([from, to]) => from <= k && k <= to);
  };
  return { refersTo };
}

module.exports = { scopeOf, argumentsOf, parametersOf };
