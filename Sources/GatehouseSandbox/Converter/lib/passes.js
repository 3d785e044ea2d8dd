'use strict';
// The rewriting passes over a rule's body, in order. Each pass reads the text the previous
// one produced (tokenized afresh, so positions are always exact) and returns new text.
// `state` carries the rule's parameter names, what the assembly needs to know (helpers used,
// the callback's mode) and what the report lists (secrets, dependencies).

const { builtinModules } = require('node:module');
const { Code, applyEdits } = require('./code');
const { scopeOf, argumentsOf } = require('./scope');
const { chainAt, staticNames, useOf, stringValue } = require('./chains');
const { contextTarget, CONTEXT_OUTCOMES } = require('./mappings');
const { asStatement, objectLiteral, quote, indentOf, isLoneBody } = require('./edit');
const { isObjectLiteralBrace } = require('./analysis');

const SUCCESS_ARGUMENTS = new Set(['null', 'undefined', 'false', 'void 0', '0']);
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** `context.idToken[k] = v`, `context.multifactor = {…}`, `context.redirect = {url}`, … → api calls. */
function outcomes(text, state) {
  const code = new Code(text);
  const scope = scopeOf(code);
  const edits = [];
  const { context } = state.names;
  if (!context) return text;
  code.t.forEach((token, k) => {
    if (!scope.refersTo(k, context)) return;
    const chain = chainAt(code, k);
    const use = useOf(code, k, chain);
    const [first] = staticNames(chain.segments);
    if (!CONTEXT_OUTCOMES.has(first) || !use.write || use.operator !== '=') return;
    const end = code.expressionEnd(use.rhs);
    const value = code.text(use.rhs, end).trim();
    let call;
    if ((first === 'idToken' || first === 'accessToken') && chain.segments.length === 2) {
      const key = chain.segments[1];
      if (first === 'accessToken' && key.name === 'scope' && !key.computed) {
        state.helpers.add('setAccessTokenScopes');
        call = `setAccessTokenScopes(event, api, ${value})`;
      } else {
        const keyText = key.computed ? code.text(key.from + 1, key.to - 1).trim() : quote(key.name);
        call = `api.${first}.setCustomClaim(${keyText}, ${value})`;
      }
    } else if (chain.segments.length === 1 && first === 'multifactor') {
      call = multifactorCall(code, use.rhs, end, value, state);
    } else if (chain.segments.length === 1 && first === 'redirect') {
      const literal = code.is(use.rhs, '{') && code.match[use.rhs] === end - 1 ? objectLiteral(code, use.rhs) : null;
      const url = literal && literal.find((p) => p.key === 'url');
      call = `api.redirect.sendUserTo(${url ? url.value : `(${value}).url`})`;
    } else if (chain.segments.length === 1 && first === 'primaryUser') {
      call = `api.authentication.setPrimaryUser(${value})`;
    }
    if (call !== undefined) edits.push({ start: token.start, end: code.t[end - 1].end, text: call });
  });
  return applyEdits(text, edits);
}

function multifactorCall(code, rhs, end, value, state) {
  const literal = code.is(rhs, '{') && code.match[rhs] === end - 1 ? objectLiteral(code, rhs) : null;
  const provider = literal && literal.find((p) => p.key === 'provider');
  if (!provider) {
    state.helpers.add('enableMultifactor');
    return `enableMultifactor(api, ${value})`;
  }
  const remember = literal.find((p) => p.key === 'allowRememberBrowser');
  for (const p of literal) {
    if (p.key !== 'provider' && p.key !== 'allowRememberBrowser') {
      state.warn(code.line(rhs), `context.multifactor.${p.key}`, 'api.multifactor.enable takes the provider and allowRememberBrowser only; this option was dropped');
    }
  }
  return remember ? `api.multifactor.enable(${provider.value}, { allowRememberBrowser: ${remember.value} })` : `api.multifactor.enable(${provider.value})`;
}

/** `auth0.users.updateAppMetadata(user.user_id, md)` → `api.user.setAppMetadata(key, value)` per key. */
function metadataUpdates(text, state) {
  const code = new Code(text);
  const scope = scopeOf(code);
  const edits = [];
  const { user } = state.names;
  code.t.forEach((token, k) => {
    if (!scope.refersTo(k, 'auth0')) return;
    const chain = chainAt(code, k);
    const [first, method] = staticNames(chain.segments);
    if (first !== 'users' || (method !== 'updateAppMetadata' && method !== 'updateUserMetadata') || !code.is(chain.end, '(')) return;
    const open = chain.end;
    const close = code.match[open];
    const args = argumentsOf(code, open);
    if (args.length < 2 || code.text(args[0][0], args[0][1]).replace(/\s+/g, '') !== `${user}.user_id`) return;
    const setter = method === 'updateAppMetadata' ? 'api.user.setAppMetadata' : 'api.user.setUserMetadata';
    const literal = code.is(args[1][0], '{') && code.match[args[1][0]] === args[1][1] - 1 ? objectLiteral(code, args[1][0]) : null;
    const metadata = code.text(args[1][0], args[1][1]).trim();
    const sets = literal
      ? literal.map((p) => `${setter}(${quote(p.key)}, ${p.value})`)
      : [`for (const [key, value] of Object.entries(${metadata})) if (value !== undefined) ${setter}(key, value)`];
    const callback = args[2] ? code.text(args[2][0], args[2][1]).trim() : null;
    const promise = callback ? `Promise.resolve().then(() => (${callback})(null))` : 'Promise.resolve()';
    const start = code.statementStart(k);
    let prefix = start === -1 ? null : code.text(start, k).replace(/\s+/g, ' ').trim();
    if (prefix !== null && !['', 'return', 'await', 'return await'].includes(prefix)) prefix = null;
    if (prefix === null || (literal === null && start === -1)) {
      const expression = literal ? sets.join(', ') : `Object.entries(${metadata}).forEach(([key, value]) => { if (value !== undefined) ${setter}(key, value); })`;
      edits.push({ start: token.start, end: code.t[close].end, text: `(${expression}, ${promise})` });
      return;
    }
    const indent = indentOf(code, start);
    const statements = sets.map((s) => `${s};`);
    const alone = code.expressionEnd(k) === close + 1 && (prefix === '' || prefix === 'await') && !callback;
    if (alone) {
      const end = code.statementEnd(k);
      edits.push({ start: code.t[start].start, end: code.t[end - 1].end, text: asStatement(code, start, statements.join(`\n${indent}`)) });
      return;
    }
    if (isLoneBody(code, start)) {
      const end = code.statementEnd(start);
      const rest = code.text(start, end).replace(code.text(k, close + 1), promise);
      edits.push({ start: code.t[start].start, end: code.t[end - 1].end, text: `{ ${statements.join(' ')} ${rest} }` });
      return;
    }
    edits.push({ start: code.t[start].start, end: code.t[start].start, text: `${statements.join(`\n${indent}`)}\n${indent}` });
    edits.push({ start: token.start, end: code.t[close].end, text: promise });
  });
  return applyEdits(text, edits);
}

/**
 * The rule's callback. When every call is a statement of the rule's own body (not inside a
 * nested function), the calls become `return;`, `api.access.deny(msg); return;` and
 * `throw error;`. Otherwise the rule finishes from asynchronous code, and the action keeps a
 * `callback` that settles a promise the handler awaits (`state.mode = 'promise'`).
 */
function callbacks(text, state) {
  const { callback, user, context } = state.names;
  state.mode = 'direct';
  if (!callback) return text;
  const code = new Code(text);
  const scope = scopeOf(code);
  const calls = [];
  let valueUse = false;
  const denyRanges = [];
  code.t.forEach((token, k) => {
    if (!scope.refersTo(k, callback)) return;
    if (!code.is(k + 1, '(')) { valueUse = true; return; }
    const open = k + 1;
    const close = code.match[open];
    const args = argumentsOf(code, open);
    const first = args[0] ? code.text(args[0][0], args[0][1]).trim() : 'null';
    let kind = 'success';
    let message;
    if (args[0] && code.isName(args[0][0], 'new') && code.isName(args[0][0] + 1, 'UnauthorizedError') && code.is(args[0][0] + 2, '(') && code.match[args[0][0] + 2] === args[0][1] - 1) {
      kind = 'deny';
      const inner = argumentsOf(code, args[0][0] + 2);
      message = inner[0] ? code.text(inner[0][0], inner[0][1]).trim() : quote('Unauthorized');
      denyRanges.push([args[0][0], args[0][1]]);
    } else if (!SUCCESS_ARGUMENTS.has(first)) kind = 'error';
    const returned = code.isName(k - 1, 'return');
    const head = returned ? k - 1 : k;
    const statement = code.statementStart(head) === head && code.expressionEnd(k) === close + 1;
    calls.push({ k, close, kind, message, error: first, returned, head, statement, depth: code.functionDepth(k) });
  });
  const unauthorizedElsewhere = code.t.some((token, k) => token.type === 'name' && token.value === 'UnauthorizedError' && !code.is(k - 1, '.') && !denyRanges.some(([a, b]) => a <= k && k < b));
  const direct = !valueUse && !unauthorizedElsewhere && calls.every((c) => c.statement && c.depth === 0);
  state.mode = direct ? 'direct' : 'promise';
  state.unauthorizedClass = !direct && unauthorizedElsewhere;
  const success = state.passOn ? 'return passToNextActions();' : 'return;';
  const edits = [];
  for (const c of calls) {
    const from = code.t[c.head].start;
    if (direct) {
      const end = code.statementEnd(c.k);
      const to = code.t[end - 1].end;
      const replacement = c.kind === 'success' ? success : c.kind === 'deny' ? `api.access.deny(${c.message}); return;` : `throw ${c.error};`;
      edits.push({ start: from, end: to, text: c.kind === 'deny' ? asStatement(code, c.head, replacement) : replacement });
      continue;
    }
    if (c.kind === 'success') {
      edits.push({ start: code.t[c.k].start, end: code.t[c.close].end, text: `${callback}()` });
    } else if (c.kind === 'deny') {
      if (c.statement) {
        const end = code.statementEnd(c.k);
        edits.push({ start: from, end: code.t[end - 1].end, text: asStatement(code, c.head, `api.access.deny(${c.message}); ${c.returned ? 'return ' : ''}${callback}();`) });
      } else {
        edits.push({ start: code.t[c.k].start, end: code.t[c.close].end, text: `(api.access.deny(${c.message}), ${callback}())` });
      }
    }
  }
  void user;
  void context;
  return applyEdits(text, edits);
}

/** `context.protocol === 'redirect-callback'` → `redirectCallback` (the action's continue handler). */
function protocol(text, state) {
  if (!state.redirect || !state.names.context) return text;
  const code = new Code(text);
  const scope = scopeOf(code);
  const edits = [];
  const isMarker = (k) => code.t[k] && code.t[k].type === 'string' && stringValue(code.t[k]) === 'redirect-callback';
  const equality = (k) => code.t[k] && code.t[k].type === 'punct' && ['===', '==', '!==', '!='].includes(code.t[k].value);
  code.t.forEach((token, k) => {
    if (!scope.refersTo(k, state.names.context)) return;
    const chain = chainAt(code, k);
    if (chain.segments.length !== 1 || chain.segments[0].name !== 'protocol') return;
    const end = chain.end;
    if (equality(end) && isMarker(end + 1)) {
      const negated = code.t[end].value.startsWith('!');
      edits.push({ start: token.start, end: code.t[end + 1].end, text: negated ? '!redirectCallback' : 'redirectCallback' });
    } else if (equality(k - 1) && isMarker(k - 2)) {
      const negated = code.t[k - 1].value.startsWith('!');
      edits.push({ start: code.t[k - 2].start, end: code.t[end - 1].end, text: negated ? '!redirectCallback' : 'redirectCallback' });
    } else {
      edits.push({ start: token.start, end: code.t[end - 1].end, text: "(redirectCallback ? 'redirect-callback' : event.transaction.protocol)" });
    }
  });
  return applyEdits(text, edits);
}

/** `user.*` → `event.user.*`, `context.*` → `event.*`, `configuration.X` → `event.secrets.X`, `require('x@1')` → `require('x')`. */
function members(text, state) {
  const code = new Code(text);
  const scope = scopeOf(code);
  const edits = [];
  const { user, context } = state.names;
  const replace = (from, to, replacement) => edits.push({ start: code.t[from].start, end: code.t[to - 1].end, text: replacement });
  const shorthand = (k) => (code.is(k - 1, '{') || code.is(k - 1, ',')) && (code.is(k + 1, ',') || code.is(k + 1, '}')) && isObjectLiteralBrace(code, k);
  code.t.forEach((token, k) => {
    if (user && scope.refersTo(k, user)) {
      replace(k, k + 1, shorthand(k) ? `${user}: event.user` : 'event.user');
      return;
    }
    if (context && scope.refersTo(k, context)) {
      const chain = chainAt(code, k);
      const mapped = contextTarget(staticNames(chain.segments));
      if (mapped === null || CONTEXT_OUTCOMES.has(staticNames(chain.segments)[0])) {
        state.localContext = true;
        return;
      }
      replace(k, chain.segments[mapped.length - 1].to, mapped.target === 'event.session.id' ? 'event.session?.id' : mapped.target);
      return;
    }
    if (scope.refersTo(k, 'configuration')) {
      const chain = chainAt(code, k);
      const first = chain.segments[0];
      if (first && first.name !== undefined) state.secrets.add(first.name);
      if (first && first.computed && first.name === undefined) state.dynamicSecrets = true;
      replace(k, k + 1, 'event.secrets');
      return;
    }
    if (scope.refersTo(k, 'require') && code.is(k + 1, '(') && code.t[k + 2] && code.t[k + 2].type === 'string' && code.is(k + 3, ')')) {
      const id = stringValue(code.t[k + 2]);
      if (id === undefined || id.startsWith('.') || id.startsWith('/')) return;
      const at = id.indexOf('@', id.startsWith('@') ? 1 : 0);
      const name = at > 0 ? id.slice(0, at) : id;
      if (BUILTINS.has(name)) return;
      const version = at > 0 ? id.slice(at + 1) : null;
      state.dependencies.set(name, { name, version: version || 'latest', line: code.line(k) });
      if (at > 0) replace(k + 2, k + 3, quote(name));
      return;
    }
    if (scope.refersTo(k, 'auth0')) {
      const chain = chainAt(code, k);
      const first = chain.segments[0];
      if (first && first.name === 'domain') replace(k, first.to, 'event.request.hostname');
      if (first && first.name === 'baseUrl') replace(k, first.to, '`https://${event.request.hostname}/api/v2`');
    }
  });
  return applyEdits(text, edits);
}

module.exports = { outcomes, metadataUpdates, callbacks, protocol, members };
