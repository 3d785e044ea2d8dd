'use strict';
// The first look at a rule's body, before anything is rewritten: what it reads and writes on
// `user` and `context` (for a chain of rules), and every construct Actions have no mechanical
// equivalent for, each reported with its line and marked in the code with a TODO comment.

const { Code, applyEdits } = require('./code');
const { scopeOf, argumentsOf } = require('./scope');
const { chainAt, staticNames, useOf } = require('./chains');
const { CONTEXT_OUTCOMES, CONTEXT_UNSUPPORTED, contextTarget } = require('./mappings');
const { indentOf } = require('./edit');

const TODO = 'TODO(gatehouse convert)';
const BUILTINS = new Set(require('node:module').builtinModules);
const RESERVED = new Map([['event', 'ruleEvent'], ['api', 'ruleApi']]);
const IDP_TOKENS = new Set(['access_token', 'refresh_token', 'access_token_secret', 'expires_in']);

/**
 * Analyses `body` (the rule's function body) for parameters `names` ({user, context, callback}).
 * Returns `{text, warnings, writes, reads, persisted, redirect, usesGlobal}`: `text` is the body
 * with the TODO comments added and the rule's own `event` / `api` names renamed; line numbers
 * are `lineOffset` + the body's own.
 */
function analyse(body, names, lineOffset) {
  const code = new Code(body);
  const scope = scopeOf(code);
  const warnings = [];
  const writes = [];
  const reads = [];
  const persisted = [];
  const edits = [];
  let redirect = false;
  let usesGlobal = false;
  const warn = (k, construct, message, todo = true) => {
    const line = lineOffset + code.line(k) - 1;
    if (warnings.some((w) => w.line === line && w.construct === construct)) return;
    warnings.push({ line, construct, message, todo, at: k });
  };
  const path = (base, segments) => [base, ...staticNames(segments)].join('.');

  code.t.forEach((token, k) => {
    if (token.type === 'string' && /^.redirect-callback.$/.test(token.value)) redirect = true;
    if (token.type !== 'name') return;
    // The rule's own names `event` and `api` would hide the handler's parameters.
    if (RESERVED.has(token.value) && !code.is(k - 1, '.') && !code.is(k - 1, '?.') && !(code.is(k + 1, ':') && (code.is(k - 1, '{') || code.is(k - 1, ',')))) {
      const renamed = RESERVED.get(token.value);
      const shorthand = (code.is(k - 1, '{') || code.is(k - 1, ',')) && (code.is(k + 1, ',') || code.is(k + 1, '}')) && isObjectLiteralBrace(code, k);
      edits.push({ start: token.start, end: token.end, text: shorthand ? `${token.value}: ${renamed}` : renamed });
      return;
    }
    if (names.user && scope.refersTo(k, names.user)) {
      const chain = chainAt(code, k);
      const use = useOf(code, k, chain);
      const names_ = staticNames(use.segments);
      if (names_[0] === 'permissions') warn(k, 'user.permissions', 'the Authorization Extension\'s permissions have no Actions equivalent');
      if (names_[0] === 'identities' && chain.segments.some((s) => IDP_TOKENS.has(s.name))) {
        warn(k, 'user.identities[].' + chain.segments.find((s) => IDP_TOKENS.has(s.name)).name, 'Actions do not expose identity-provider tokens in event.user.identities');
      }
      const record = { path: path('user', use.segments), line: lineOffset + code.line(k) - 1 };
      if (use.write) {
        record.selfDefault = isSelfDefault(code, use, record.path, names.user);
        if (names_.length > 0) writes.push(record);
        if (names_.length === 0 && use.operator) warn(k, 'user = …', 'the rule replaces its user object; Actions cannot hand another user to the next action');
      } else if (names_.length > 0) reads.push(record);
      return;
    }
    if (names.context && scope.refersTo(k, names.context)) {
      contextUse(k);
      return;
    }
    if (scope.refersTo(k, 'global')) {
      usesGlobal = true;
      const chain = chainAt(code, k);
      warn(k, `global${chain.segments[0] && chain.segments[0].name ? '.' + chain.segments[0].name : ''}`,
        'global is one object per action in Actions (it survives between runs of this action only); what other rules put there is not visible');
      return;
    }
    if (scope.refersTo(k, 'auth0')) {
      auth0Use(k);
      return;
    }
    if (scope.refersTo(k, 'require') && code.is(k + 1, '(') && code.t[k + 2] && code.t[k + 2].type === 'string' && code.is(k + 3, ')')) {
      const id = code.t[k + 2].value.slice(1, -1);
      const name = id.replace(/^node:/, '');
      if (!id.startsWith('.') && !id.startsWith('/') && id.indexOf('@', id.startsWith('@') ? 1 : 0) <= 0 && !BUILTINS.has(name)) {
        warn(k, `require('${id}')`, 'Rules had this module without a version; the dependency is declared as "latest": pin the version you tested', false);
      }
      return;
    }
    if (scope.refersTo(k, 'configuration') && !code.is(k + 1, '.') && !code.is(k + 1, '[')) {
      warn(k, 'configuration', 'the whole configuration object is used: event.secrets holds only the secrets created for this action; create every key it reads', false);
      return;
    }
    if (names.callback && scope.refersTo(k, names.callback) && code.is(k + 1, '(')) {
      const args = argumentsOf(code, k + 1).map(([a, b]) => code.text(a, b).trim());
      const handsOver = (args[1] !== undefined && args[1] !== names.user) || (args[2] !== undefined && args[2] !== names.context);
      if (!['null', 'undefined', 'false', 'void 0'].includes(args[0] ?? 'null')) return;
      if (handsOver) {
        warn(k, `${names.callback}(null, ${args.slice(1).join(', ')})`,
          'the rule hands other user/context objects to the next rule; Actions cannot: pass what the next action needs with api.transaction.setMetadata');
      }
    }
  });

  function contextUse(k) {
    const chain = chainAt(code, k);
    const use = useOf(code, k, chain);
    const segments = staticNames(chain.segments);
    const first = segments[0];
    const context = names.context;
    if (first === undefined) {
      if (chain.segments.length > 0) warn(k, `${context}[…]`, 'a computed context field: the Actions event has other names; map it by hand');
      else if (!isCallbackArgument(k)) warn(k, context, 'the whole context object is used: its fields have other names in Actions (event.client, event.connection, …); adapt the code that receives it');
      return;
    }
    if (first === 'redirect' && use.write) redirect = true;
    if (CONTEXT_OUTCOMES.has(first)) {
      const assigned = use.write && use.operator === '=' && (first === 'idToken' || first === 'accessToken' ? chain.segments.length === 2 : chain.segments.length === 1);
      if (!assigned) {
        const why = first === 'idToken' || first === 'accessToken'
          ? 'only assignments of one claim (context.idToken[name] = value) become api.*.setCustomClaim; Actions cannot read back or delete claims'
          : `only an assignment of the whole context.${first} becomes an api call; Actions cannot read it back`;
        warn(k, code.text(k, chain.end).replace(/\s+/g, ''), why);
      }
      if (first === 'primaryUser' && assigned) {
        warn(k, `${context}.primaryUser`, 'became api.authentication.setPrimaryUser(); linking the accounts themselves needs the Management API (an M2M client\'s credentials as secrets)', false);
      }
      return;
    }
    const mapped = contextTarget(segments);
    if (mapped !== null) {
      if (use.write) warn(k, `${context}.${segments.join('.')} = …`, 'the rule changes a field of the login; in Actions the event is read-only for everything after this action');
      if (segments[0] === 'authentication' && chain.segments.some((s) => s.name === 'timestamp')) {
        warn(k, `${context}.authentication.methods[].timestamp`, 'Rules gave epoch seconds, Actions give ISO-8601 strings: use Date.parse(timestamp) / 1000');
      }
      if (segments[0] === 'request' && segments[1] === 'geoip' && chain.segments.length > 2 && mapped.length === 2) {
        warn(k, `${context}.request.geoip.${segments[2] ?? '…'}`, 'geoip fields are camel case in Actions (countryCode, cityName, …)');
      }
      return;
    }
    const unsupported = CONTEXT_UNSUPPORTED.get(first);
    if (unsupported !== undefined) {
      warn(k, `${context}.${segments.join('.')}`, unsupported);
      return;
    }
    // The rule's own field on context: kept on a local object; between rules it is a chain matter.
    const record = { path: path('context', chain.segments), line: lineOffset + code.line(k) - 1 };
    if (use.write) {
      record.selfDefault = isSelfDefault(code, use, record.path, names.context);
      writes.push(record);
    } else reads.push(record);
  }

  function auth0Use(k) {
    const chain = chainAt(code, k);
    const segments = staticNames(chain.segments);
    const [first, second] = segments;
    if ((first === 'domain' || first === 'baseUrl') && segments.length >= 1) return;
    if (first === 'users' && (second === 'updateAppMetadata' || second === 'updateUserMetadata') && code.is(chain.end, '(')) {
      const args = argumentsOf(code, chain.end);
      const target = args[0] ? code.text(args[0][0], args[0][1]).replace(/\s+/g, '') : '';
      if (target === `${names.user}.user_id`) {
        const metadata = args[1] ? code.text(args[1][0], args[1][1]).trim() : '';
        const kind = second === 'updateAppMetadata' ? 'app_metadata' : 'user_metadata';
        if (metadata === `${names.user}.${kind}`) persisted.push(`user.${kind}`);
        else if (code.is(args[1] ? args[1][0] : -1, '{')) {
          for (const property of require('./edit').objectLiteral(code, args[1][0]) || []) persisted.push(`user.${kind}.${property.key}`);
        } else persisted.push(`user.${kind}`);
        return;
      }
      warn(k, `auth0.users.${second}(${args[0] ? code.text(args[0][0], args[0][1]).trim() : ''}, …)`,
        'updating another user needs the Management API in Actions (an M2M client\'s credentials as secrets and the auth0 SDK)');
      return;
    }
    warn(k, `auth0${segments.length ? '.' + segments.join('.') : ''}`,
      'Actions have no auth0 object: call the Management API with an M2M client\'s credentials kept as secrets (the auth0 SDK as a dependency)');
  }

  function isCallbackArgument(k) {
    // `callback(null, user, context)`: the success call takes them out.
    let j = k - 1;
    while (j >= 0 && !code.is(j, '(')) {
      if (code.is(j, ';') || code.is(j, '{') || code.is(j, '}')) return false;
      j -= 1;
    }
    return j > 0 && names.callback !== undefined && code.isName(j - 1, names.callback);
  }

  // A TODO comment line above each construct that needs a person.
  const marked = new Set();
  for (const warning of warnings) {
    if (!warning.todo) continue;
    const at = lineStartOutsideLiterals(code, warning.at);
    const key = `${at}|${warning.construct}`;
    if (marked.has(key)) continue;
    marked.add(key);
    const indent = indentOf(code, warning.at);
    edits.push({ start: at, end: at, text: `${indent}// ${TODO}: ${warning.construct} — ${warning.message}\n` });
  }
  for (const warning of warnings) delete warning.at;
  return { text: applyEdits(body, edits), warnings, writes, reads, persisted, redirect, usesGlobal };
}

/**
 * `x.y = x.y || {}`, `x.y ||= []`, …: making sure an object is there, not a value for the next
 * rule (Actions' metadata objects are always there). A default *value* (`x.role = x.role ||
 * 'member'`) is a value the next rule may read.
 */
function isSelfDefault(code, use, fullPath, base) {
  const rhs = code.text(use.rhs, code.expressionEnd(use.rhs)).replace(/\s+/g, '');
  const empty = rhs.endsWith('{}') || rhs.endsWith('[]');
  if (use.operator === '||=' || use.operator === '??=') return rhs === '{}' || rhs === '[]';
  if (use.operator !== '=' || !empty) return false;
  const own = fullPath.replace(/^(user|context)/, base);
  return rhs === `${own}||{}` || rhs === `${own}||[]` || rhs === `${own}??{}` || rhs === `${own}??[]`;
}

/** Is the `{` or `,` before the shorthand property at `k` part of an object literal (not a block)? */
function isObjectLiteralBrace(code, k) {
  let j = k - 1;
  while (j >= 0 && !code.is(j, '{')) {
    if (code.is(j, ';')) return false;
    if (code.is(j, ')') || code.is(j, ']') || code.is(j, '}')) { j = code.match[j] - 1; continue; }
    j -= 1;
  }
  return j >= 0 && !code.isBlock(j);
}

/** The start offset of the line of code token `k`, moved up while it falls inside a multi-line literal or comment. */
function lineStartOutsideLiterals(code, k) {
  let offset = code.t[k].start;
  for (;;) {
    const start = code.source.lastIndexOf('\n', offset - 1) + 1;
    const inside = code.all.find((token) => token.type !== 'space' && token.start < start && start < token.end);
    if (inside === undefined) return start;
    offset = inside.start;
  }
}

module.exports = { analyse, TODO, isObjectLiteralBrace };
