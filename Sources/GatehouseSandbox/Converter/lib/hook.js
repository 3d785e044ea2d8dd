'use strict';
// A webtask-style Hook (`module.exports = function (…, cb) { … }`) → an action of its trigger.
// Hooks received positional arguments and answered through `cb(error, result)`; the action
// rebuilds those arguments from its event (the fields each hook documented), keeps the hook's
// body as written around a `cb` that settles a promise, and turns the result into api calls:
// credentials-exchange's access-token claims and scopes, pre-user-registration's
// `response.user` metadata (auth0-actions.md §6.4). `context.webtask.secrets.X` becomes
// `event.secrets.X` and `require('x@1.2.3')` a dependency, as for rules.

const { builtinModules } = require('node:module');
const { Code, applyEdits } = require('./code');
const { functionOf, NotConvertible } = require('./shape');
const { scopeOf } = require('./scope');
const { chainAt, staticNames, stringValue } = require('./chains');
const { HOOK_TRIGGERS } = require('./mappings');
const { indent, quote } = require('./edit');
const { SyntaxProblem } = require('./tokens');

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const CONNECTION = '{ id: event.connection?.id, name: event.connection?.name, tenant: event.tenant.id }';

/** Per trigger: the hook's arguments (all but the callback) as event expressions, and what its result becomes. */
const ADAPTERS = {
  'credentials-exchange': {
    arguments: [
      ['client', '{ id: event.client.client_id, name: event.client.name, tenant: event.tenant.id, metadata: event.client.metadata ?? {} }'],
      ['scope', '[...(event.accessToken?.scope ?? [])]'],
      ['audience', 'event.resource_server.identifier'],
      ['context', '{ webtask: { secrets: event.secrets }, body: event.request.body ?? {}, ip: event.request.ip }'],
    ],
    result: [
      "// The hook's answer was the access token's extra claims (and, optionally, its scope list).",
      "for (const [claim, value] of Object.entries(result ?? {})) if (claim !== 'scope') api.accessToken.setCustomClaim(claim, value);",
      'if (Array.isArray(result?.scope)) api.transaction.setTargetScopes(result.scope);',
    ],
    deny: "api.access.deny('invalid_request', String(error?.message ?? error));",
  },
  'pre-user-registration': {
    arguments: [
      ['user', '{ tenant: event.tenant.id, username: event.user.username, email: event.user.email, emailVerified: false, phoneNumber: event.user.phone_number, phoneNumberVerified: false, user_metadata: event.user.user_metadata ?? {}, app_metadata: event.user.app_metadata ?? {} }'],
      ['context', `{ requestLanguage: event.request.language, connection: ${CONNECTION}, webtask: { secrets: event.secrets } }`],
    ],
    result: [
      "// The hook's answer was the new user's metadata (response.user).",
      'for (const [key, value] of Object.entries(result?.user?.user_metadata ?? {})) api.user.setUserMetadata(key, value);',
      'for (const [key, value] of Object.entries(result?.user?.app_metadata ?? {})) api.user.setAppMetadata(key, value);',
    ],
    deny: 'api.access.deny(String(error?.message ?? error), String(error?.userMessage ?? error?.message ?? error));',
    errorClass: [
      '// Hooks refused a sign-up with new PreUserRegistrationError(message, userMessage).',
      'class PreUserRegistrationError extends Error {',
      '  constructor(message, userMessage) { super(message); this.userMessage = userMessage; }',
      '}',
    ],
  },
  'post-user-registration': {
    arguments: [
      ['user', '{ tenant: event.tenant.id, id: event.user.user_id, username: event.user.username, email: event.user.email, emailVerified: event.user.email_verified, phoneNumber: event.user.phone_number, phoneNumberVerified: event.user.phone_verified, user_metadata: event.user.user_metadata ?? {}, app_metadata: event.user.app_metadata ?? {} }'],
      ['context', `{ requestLanguage: event.request?.language, connection: ${CONNECTION}, webtask: { secrets: event.secrets } }`],
    ],
  },
  'post-change-password': {
    arguments: [
      ['user', '{ tenant: event.tenant.id, id: event.user.user_id, username: event.user.username, email: event.user.email, phoneNumber: event.user.phone_number, last_password_reset: event.user.last_password_reset }'],
      ['context', `{ connection: ${CONNECTION}, webtask: { secrets: event.secrets } }`],
    ],
  },
  'send-phone-message': {
    arguments: [
      ['recipient', 'event.message_options.recipient'],
      ['text', 'event.message_options.text'],
      ['context', "{ factor_type: 'first', message_type: event.message_options.message_type, action: event.message_options.action, language: event.request?.language, code: event.message_options.code, ip: event.request?.ip, user_agent: event.request?.user_agent, client_id: event.client?.client_id, name: event.client?.name, client_metadata: event.client?.metadata ?? {}, user: { user_id: event.user.user_id, name: event.user.name, email: event.user.email, app_metadata: event.user.app_metadata, user_metadata: event.user.user_metadata, phone_number: event.user.phone_number } }"],
    ],
  },
};

/** Converts the hook `source` named `name` for `trigger`: `{name, trigger, code, secrets, dependencies, warnings}`. */
function convertHook(source, name, trigger) {
  const adapter = ADAPTERS[trigger];
  if (adapter === undefined) {
    throw new NotConvertible(`unknown hook trigger ${JSON.stringify(trigger)}; one of: ${Object.keys(ADAPTERS).join(', ')}`);
  }
  let shape;
  try {
    shape = functionOf(source, name);
  } catch (error) {
    if (error instanceof SyntaxProblem) throw new NotConvertible(`${name}: ${error.message}`);
    throw error;
  }
  const expected = adapter.arguments.length + 1;
  const warnings = [];
  if (shape.params.length !== expected) {
    warnings.push({ line: shape.bodyLine, construct: `function (${shape.params.join(', ')})`, message: `a ${trigger} hook takes ${expected} arguments (${adapter.arguments.map(([n]) => n).join(', ')}, cb); they were matched by position` });
  }
  const secrets = new Set();
  const dependencies = new Map();
  const contextName = shape.params[adapter.arguments.findIndex(([n]) => n === 'context')];
  const body = rewrite(shape.body, contextName, secrets, dependencies, warnings, shape.bodyLine);
  const callback = shape.params[expected - 1] || 'cb';
  const handler = HOOK_TRIGGERS.get(trigger);
  const lines = [];
  if (shape.leading) lines.push(shape.leading);
  lines.push(`// Converted from the ${trigger} hook ${quote(name)} by gatehouse hooks convert.`);
  lines.push(`exports.${handler} = async (event, api) => {`);
  lines.push("  // The hook's arguments, rebuilt from the event.");
  adapter.arguments.forEach(([, expression], i) => {
    const param = shape.params[i];
    if (param !== undefined) lines.push(`  const ${param} = ${expression};`);
  });
  for (const line of adapter.errorClass || []) lines.push(`  ${line}`);
  const [resolve, reject] = ['resolve', 'reject'].includes(callback) ? ['settle', 'fail'] : ['resolve', 'reject'];
  const usesResult = adapter.result !== undefined;
  const awaitLine = usesResult ? '  let result;\n  try {\n    result = await new Promise(' : '  await new Promise(';
  const pad = usesResult ? '    ' : '  ';
  lines.push(`${awaitLine}(${resolve}, ${reject}) => {`);
  lines.push(`${pad}  const ${callback} = (error, value) => (error ? ${reject}(error) : ${resolve}(value));`);
  const trimmed = body.replace(/^\s*\n/, '').replace(/\s+$/, '');
  if (shape.isAsync || /\bawait\b/.test(trimmed)) {
    lines.push(`${pad}  (async () => {`);
    lines.push(indent(trimmed, pad + '  '));
    lines.push(`${pad}  })().catch(${reject});`);
  } else {
    lines.push(indent(trimmed, pad));
  }
  lines.push(`${pad}});`);
  if (usesResult) {
    lines.push('  } catch (error) {');
    lines.push(`    ${adapter.deny}`);
    lines.push('    return;');
    lines.push('  }');
    for (const line of adapter.result) lines.push(`  ${line}`);
  }
  lines.push('};');
  const code = lines.join('\n') + '\n';
  new Code(code);
  return {
    name,
    trigger,
    code,
    secrets: [...secrets].sort(),
    dependencies: [...dependencies.values()],
    warnings: warnings.sort((a, b) => a.line - b.line),
  };
}

/** `context.webtask.secrets.X` → `event.secrets.X`; `require('x@1.2.3')` → `require('x')`. */
function rewrite(body, contextName, secrets, dependencies, warnings, lineOffset) {
  const code = new Code(body);
  const scope = scopeOf(code);
  const edits = [];
  code.t.forEach((token, k) => {
    if (contextName && scope.refersTo(k, contextName)) {
      const chain = chainAt(code, k);
      const names = staticNames(chain.segments);
      if (names[0] === 'webtask' && names[1] === 'secrets' && chain.segments.length >= 2) {
        if (names[2] !== undefined) secrets.add(names[2]);
        edits.push({ start: token.start, end: code.t[chain.segments[1].to - 1].end, text: 'event.secrets' });
      } else if (names[0] === 'webtask') {
        warnings.push({ line: lineOffset + token.line - 1, construct: `${contextName}.webtask.${names[1] ?? '…'}`, message: 'only the webtask\'s secrets have an Actions equivalent (event.secrets)' });
      }
      return;
    }
    if (scope.refersTo(k, 'require') && code.is(k + 1, '(') && code.t[k + 2] && code.t[k + 2].type === 'string' && code.is(k + 3, ')')) {
      const id = stringValue(code.t[k + 2]);
      if (id === undefined || id.startsWith('.') || id.startsWith('/')) return;
      const at = id.indexOf('@', id.startsWith('@') ? 1 : 0);
      const name = at > 0 ? id.slice(0, at) : id;
      if (BUILTINS.has(name)) return;
      dependencies.set(name, { name, version: at > 0 ? id.slice(at + 1) : 'latest' });
      if (at > 0) edits.push({ start: code.t[k + 2].start, end: code.t[k + 2].end, text: quote(name) });
      else warnings.push({ line: lineOffset + token.line - 1, construct: `require('${name}')`, message: 'no version given: the dependency is declared as "latest"; pin the version you tested' });
    }
  });
  return applyEdits(body, edits);
}

module.exports = { convertHook, ADAPTERS };
