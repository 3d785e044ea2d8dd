'use strict';
// One rule → one post-login action: the passes over the body, then the handler(s) around it.

const { functionOf, NotConvertible } = require('./shape');
const { SyntaxProblem } = require('./tokens');
const { analyse } = require('./analysis');
const passes = require('./passes');
const { indent, quote } = require('./edit');
const { Code } = require('./code');
const { HELPERS } = require('./helpers');

/**
 * Converts the rule `source` named `name`. `chain` says what the rules around it need:
 * `passOn` (paths this rule leaves on user/context for later ones) and `restore` (paths it
 * reads that earlier ones left). Returns `{name, code, secrets, dependencies, warnings,
 * analysis}`.
 */
function convertRule(source, name, chain = { passOn: [], restore: [] }) {
  try {
    return convert(source, name, chain);
  } catch (error) {
    if (error instanceof SyntaxProblem) throw new NotConvertible(`${name}: ${error.message}`);
    throw error;
  }
}

function convert(source, name, chain) {
  const shape = functionOf(source, name);
  const [user, context, callback] = shape.params;
  const names = { user, context, callback };
  const first = analyse(shape.body, names, shape.bodyLine);
  const warnings = [...first.warnings];
  const state = {
    names,
    redirect: first.redirect,
    passOn: chain.passOn.length > 0,
    helpers: new Set(),
    secrets: new Set(),
    dependencies: new Map(),
    warn: (line, construct, message, todo = true) => warnings.push({ line: shape.bodyLine + line - 1, construct, message, todo }),
  };
  if (shape.trailing) {
    warnings.push({ line: shape.trailing.line, construct: shape.trailing.text, message: 'code after the rule\'s function was left out', todo: true });
  }
  let body = first.text;
  for (const pass of [passes.outcomes, passes.metadataUpdates, passes.callbacks, passes.protocol, passes.members]) body = pass(body, state);
  if (state.dynamicSecrets) {
    warnings.push({ line: shape.bodyLine, construct: 'configuration[…]', message: 'a computed configuration key: create every secret it may name', todo: false });
  }
  const code = assemble(body, shape, state, chain, name);
  // The result must at least be JavaScript we can tokenize; the runner compiles it for real.
  new Code(code);
  warnings.sort((a, b) => a.line - b.line);
  return {
    name,
    code,
    secrets: [...state.secrets].sort(),
    dependencies: [...state.dependencies.values()].map(({ name: n, version }) => ({ name: n, version })),
    warnings: warnings.map(({ line, construct, message }) => ({ line, construct, message })),
    analysis: first,
  };
}

/** The action's source: header, the handler(s), the body (kept as written), the helpers it uses. */
function assemble(body, shape, state, chain, name) {
  const lines = [];
  if (shape.leading) lines.push(shape.leading);
  lines.push(`// Converted from the rule ${quote(name)} by gatehouse rules convert.`);
  const usesAwait = shape.isAsync || hasTopLevelAwait(body);
  const prologue = [];
  if (state.localContext && state.names.context) {
    prologue.push(`// The rule's own values on ${state.names.context} (not Auth0's fields), kept for this action.`);
    prologue.push(`const ${state.names.context} = {};`);
  }
  if (chain.restore.length > 0) {
    prologue.push('// Values earlier rules left on user/context reach this action as transaction metadata.');
    prologue.push('const passed = event.transaction?.metadata ?? {};');
    for (const path of chain.restore) prologue.push(`if (passed[${quote(path)}] !== undefined) ${assignment(path, state.names)} = JSON.parse(passed[${quote(path)}]);`);
  }
  if (chain.passOn.length > 0) {
    prologue.push('// Rules shared user/context along the chain: what later rules read goes on as transaction metadata.');
    prologue.push('const passToNextActions = () => {');
    for (const path of chain.passOn) prologue.push(`  api.transaction.setMetadata(${quote(path)}, JSON.stringify(${reading(path, state.names)}) ?? null);`);
    prologue.push('};');
  }
  const trimmed = body.replace(/^\s*\n/, '').replace(/\s+$/, '');
  const parts = prologue.map((l) => `  ${l}`);
  if (state.mode === 'promise') {
    const [resolve, reject] = ['resolve', 'reject'].includes(state.names.callback) ? ['settle', 'fail'] : ['resolve', 'reject'];
    const cb = state.names.callback;
    parts.push('  // The rule finishes in asynchronous code: the action waits for its callback.');
    parts.push(`  await new Promise((${resolve}, ${reject}) => {`);
    const success = state.passOn ? `(passToNextActions(), ${resolve}())` : `${resolve}()`;
    if (state.unauthorizedClass) {
      parts.push('    class UnauthorizedError extends Error {}');
      parts.push(`    const ${cb} = (error) => {`);
      parts.push(`      if (error instanceof UnauthorizedError) { api.access.deny(error.message || 'Unauthorized'); ${resolve}(); }`);
      parts.push(`      else if (error) ${reject}(error);`);
      parts.push(`      else ${success};`);
      parts.push('    };');
    } else {
      parts.push(`    const ${cb} = (error) => (error ? ${reject}(error) : ${success});`);
    }
    if (usesAwait) {
      parts.push('    (async () => {');
      parts.push(indent(trimmed, '    '));
      parts.push(`    })().catch(${reject});`);
    } else {
      parts.push(indent(trimmed, '  '));
    }
    parts.push('  });');
  } else {
    // The rule's last callback became the handler's last statement: a bare return says nothing.
    parts.push(trimmed.replace(/\n[ \t]*return;$/, '').replace(/\n([ \t]*)return passToNextActions\(\);$/, '\n$1passToNextActions();'));
  }
  const inner = parts.join('\n');
  if (state.redirect) {
    lines.push('exports.onExecutePostLogin = async (event, api) => {');
    lines.push('  await rule(event, api, false);');
    lines.push('};');
    lines.push('');
    lines.push("// Back from context.redirect: Rules ran the rule again with context.protocol 'redirect-callback'.");
    lines.push('exports.onContinuePostLogin = async (event, api) => {');
    lines.push('  await rule(event, api, true);');
    lines.push('};');
    lines.push('');
    lines.push('async function rule(event, api, redirectCallback) {');
    lines.push(inner);
    lines.push('}');
  } else {
    lines.push('exports.onExecutePostLogin = async (event, api) => {');
    lines.push(inner);
    lines.push('};');
  }
  for (const helper of [...state.helpers].sort()) lines.push('', HELPERS[helper]);
  return lines.join('\n') + '\n';
}

/** Does `body` use `await` outside nested functions? */
function hasTopLevelAwait(body) {
  try {
    const code = new Code(body);
    return code.t.some((token, k) => token.type === 'name' && token.value === 'await' && code.functionDepth(k) === 0);
  } catch {
    return false;
  }
}

/** `user.app_metadata.role` → an expression reading it in the action, safe when parts are missing. */
function reading(path, names) {
  const [base, ...rest] = path.split('.');
  const root = base === 'user' ? 'event.user' : names.context;
  // The first level is always there (event.user.app_metadata, the local context); deeper ones may not be.
  const [first, ...deeper] = rest;
  return [`${root}.${first}`, ...deeper].join('?.');
}

/** `user.app_metadata.role` → an assignable expression, creating the objects on the way. */
function assignment(path, names) {
  const [base, ...rest] = path.split('.');
  const root = base === 'user' ? 'event.user' : names.context;
  let target = `${root}.${rest[0]}`;
  for (let i = 1; i < rest.length - 1; i++) target = `(${target}.${rest[i]} ??= {})`;
  return rest.length === 1 ? target : `${target}.${rest[rest.length - 1]}`;
}

module.exports = { convertRule };
