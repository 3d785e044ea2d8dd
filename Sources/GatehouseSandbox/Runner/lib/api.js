'use strict';
// Builds the `api` object of one action execution from a compiled trigger plan
// (catalog.js). Every method is generic: check the arguments against the catalog's
// specs, then apply the method's effect. Effects that change something are recorded
// as commands {"method": "api.x.y", "args": [...]} in call order; the Swift side
// validates and applies them after the flow.

const path = require('node:path');
const { isProxy } = require('node:util').types;
const { jsonBytes, prototypeHasEnumerables } = require('./args');
const tokens = require('./tokens');

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

// Strings JSON.stringify copies verbatim (no quote, backslash, control character or
// surrogate), so they can be quoted by hand.
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * JSON.stringify(values) for the common case of an argument list made of primitives
 * only (no user code can run while encoding those, so the result is exactly the
 * same); undefined when some argument is an object, array or something unusual.
 */
function primitiveArgsJson(values) {
  let json = '[';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    let encoded;
    switch (typeof value) {
      case 'string':
        encoded = value.length <= 256 && VERBATIM.test(value) ? `"${value}"` : JSON.stringify(value);
        break;
      case 'boolean':
        encoded = value ? 'true' : 'false';
        break;
      case 'number':
        encoded = Number.isFinite(value) ? String(value) : 'null';
        break;
      case 'undefined':
        encoded = 'null';
        break;
      case 'object':
        if (value !== null) return undefined;
        encoded = 'null';
        break;
      default:
        return undefined;
    }
    json = i === 0 ? json + encoded : `${json},${encoded}`;
  }
  return `${json}]`;
}

/** JSON-encodes a command's args, enforcing the per-call size limit. */
function serialize(exec, path, values) {
  let json = primitiveArgsJson(values);
  if (json === undefined) {
    try {
      json = JSON.stringify(values);
    } catch (e) {
      throw new TypeError(`${path}: arguments must be JSON-serialisable (${e.message})`);
    }
  }
  const max = exec.limits.max_args_bytes;
  if (json.length * 3 > max && Buffer.byteLength(json) > max) {
    throw new RangeError(`${path}: arguments are ${Buffer.byteLength(json)} bytes, the limit is ${max} bytes`);
  }
  return json;
}

/**
 * The value the host will store for `value` (its JSON round trip), without the round
 * trip for primitives. `json` is the JSON encoding of the argument list holding it.
 */
function normalised(value, json, index) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    default:
      return value === null ? null : JSON.parse(json)[index];
  }
}

function push(exec, path, json) {
  const { limits } = exec;
  if (exec.commandCount >= limits.max_commands_per_action) {
    throw new RangeError(`${path}: too many api calls in one action (limit ${limits.max_commands_per_action})`);
  }
  const bytes = Buffer.byteLength(json);
  if (exec.commandBytes + bytes > limits.max_command_bytes_per_action) {
    throw new RangeError(`${path}: the action's api calls exceed ${limits.max_command_bytes_per_action} bytes in total`);
  }
  exec.commandBytes += bytes;
  const command = `{"method":"${path}","args":${json}}`;
  exec.commands = exec.commandCount === 0 ? command : `${exec.commands},${command}`;
  exec.commandCount += 1;
}

function record(exec, path, values) {
  const json = serialize(exec, path, values);
  push(exec, path, json);
  return json;
}

/** Sets an own data property (also for the key "__proto__"). */
function setOwn(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * setOwn for an object of the action's own event copy, which the action may have
 * changed in any way: a plain assignment is used only when it provably does the same
 * as defineProperty — an ordinary extensible object inheriting from Object.prototype,
 * without that key, and nothing on Object.prototype by that name (no setter, no
 * "__proto__"); none of these checks can run action code.
 */
function setOwnChecked(object, key, value) {
  if (!isProxy(object) && Object.getPrototypeOf(object) === Object.prototype && !(key in Object.prototype)
      && !Object.hasOwn(object, key) && Object.isExtensible(object)) {
    object[key] = value;
  } else {
    setOwn(object, key, value);
  }
}

/**
 * setOwn for the runner's own plain-data objects (the flow's base event and copies of
 * it), whose own properties are all writable data properties: a plain assignment does
 * exactly the same when the key is already own, or when nothing on the prototype chain
 * has that name (no setter, no "__proto__"), and is much faster than defineProperty.
 */
function setOwnData(object, key, value) {
  if (Object.hasOwn(object, key) || !(key in object)) object[key] = value;
  else setOwn(object, key, value);
}

/**
 * Applies a reflect operation to `root` at `segments` (creating containers as needed).
 * `owned`: root is the runner's own plain-data copy (not an action's event).
 */
function applyReflect(root, options, key, value, owned) {
  const { segments, op } = options;
  let node = root;
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    if (!isObject(node[segments[i]])) node[segments[i]] = {};
    node = node[segments[i]];
  }
  const leaf = segments[last];
  if (op === 'set_key') {
    if (!isObject(node[leaf])) node[leaf] = {};
    if (value === null) delete node[leaf][key];
    else if (owned) setOwnData(node[leaf], key, value);
    else setOwnChecked(node[leaf], key, value);
    return;
  }
  const current = Array.isArray(node[leaf]) ? node[leaf] : [];
  if (op === 'array_add') node[leaf] = current.includes(value) ? current : [...current, value];
  else if (op === 'array_remove') node[leaf] = current.filter((item) => item !== value);
  else if (op === 'array_set') node[leaf] = [...new Set(value)];
  else node[leaf] = [];
}

function currentTarget(root, segments) {
  let node = root;
  for (const segment of segments) {
    if (!isObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

// Strings whose JSON encoding is the string in quotes, one byte per character.
const PRINTABLE_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function stringJsonBytes(text) {
  return PRINTABLE_ASCII.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text));
}

/**
 * jsonBytes() of a runner-owned plain object (a copy of part of the base event)
 * without building its JSON when all its values are primitives; JSON.stringify
 * otherwise (and whenever for-in could visit more than its own keys).
 */
function ownedObjectJsonBytes(object) {
  if (prototypeHasEnumerables()) return jsonBytes(object);
  let bytes = 2;
  let first = true;
  for (const key in object) {
    const value = object[key];
    let valueBytes;
    switch (typeof value) {
      case 'string': valueBytes = stringJsonBytes(value); break;
      case 'boolean': valueBytes = value ? 4 : 5; break;
      case 'number': valueBytes = Number.isFinite(value) ? String(value).length : 4; break;
      case 'object':
        if (value === null) { valueBytes = 4; break; }
        return jsonBytes(object);
      default:
        return jsonBytes(object);
    }
    bytes += (first ? 0 : 1) + stringJsonBytes(key) + 1 + valueBytes;
    first = false;
  }
  return bytes;
}

/** reflect: record the call and make its result visible in the event of later actions. */
function reflect(exec, method, values) {
  const { options, path } = method;
  const flow = exec.flow;
  if (options.op === 'set_key') {
    const key = values[0];
    if (typeof key !== 'string') throw new TypeError(`${path}: key must be a string`);
    if (values.length < 2) {
      // value === undefined: visible to later actions as an undefined key, never written.
      record(exec, path, values);
      flow.setTransient(options.segments, key);
      if (options.immediate) trySet(exec, options, key, undefined);
      return;
    }
    const json = serialize(exec, path, values);
    const value = normalised(values[1], json, 1);
    if (options.max_total_bytes !== undefined) {
      const target = currentTarget(flow.base, options.segments);
      const after = isObject(target) ? { ...target } : {};
      if (value === null) delete after[key];
      else setOwnData(after, key, value);
      if (ownedObjectJsonBytes(after) > options.max_total_bytes) {
        throw new RangeError(`${path}: the total size would exceed ${options.max_total_bytes} bytes`);
      }
    }
    push(exec, path, json);
    flow.clearTransient(options.segments, key);
    applyReflect(flow.base, options, key, value, true);
    if (options.immediate) trySet(exec, options, key, value);
    return;
  }
  const json = record(exec, path, values);
  const value = values.length > 0 ? normalised(values[0], json, 0) : undefined;
  applyReflect(flow.base, options, undefined, value, true);
  if (options.immediate) trySet(exec, options, undefined, value);
}

function trySet(exec, options, key, value) {
  const { event } = exec;
  try {
    if (isObject(event)) applyReflect(event, options, key, typeof value === 'object' && value !== null ? exec.realm.helpers.copy(value) : value);
  } catch {
    // The action replaced parts of its own event copy with something unusual; ignore.
  }
}

function canRedirect(event, options) {
  const transaction = isObject(event.transaction) ? event.transaction : {};
  const protocols = options.blocked_protocols || [];
  const prompts = options.blocked_prompts || [];
  if (protocols.includes(transaction.protocol)) return false;
  const prompt = transaction.prompt;
  const requested = Array.isArray(prompt) ? prompt : typeof prompt === 'string' ? prompt.split(' ') : [];
  return !requested.some((p) => prompts.includes(p));
}

function invoke(method, exec, api, rawArgs) {
  // Calls made after the handler settled (from a leftover callback) have no effect.
  if (exec.closed) return method.returns === 'api' ? api : undefined;
  const { path } = method;
  if (method.handlers !== null && !method.handlers.has(exec.handlerKind)) {
    throw new Error(`${path}() can only be called from the ${[...method.handlers].join('/')} handler`);
  }
  const specs = method.args;
  const values = [];
  let used = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const value = spec.check(rawArgs[i], spec.label);
    values.push(value);
    if (value !== undefined) used = i + 1;
  }
  if (used < values.length) values.length = used; // trailing undefined arguments are omitted
  const flow = exec.flow;
  let result;
  switch (method.effect) {
    case 'record':
      record(exec, path, values);
      break;
    case 'stop':
      record(exec, path, values);
      exec.stop = true;
      break;
    case 'suspend': {
      const json = record(exec, path, values);
      if (exec.suspend === null) exec.suspend = { method: path, args: json };
      break;
    }
    case 'reflect':
      reflect(exec, method, values);
      break;
    case 'cache_get':
      result = flow.cache.get(values[0]);
      break;
    case 'cache_set':
    case 'cache_delete': {
      const outcome = method.effect === 'cache_set'
        ? flow.cache.set(values[0], values[1], values[2])
        : flow.cache.delete(values[0]);
      if (outcome.command !== null) record(exec, path, outcome.command);
      result = outcome.result;
      break;
    }
    case 'encode_token':
      result = tokens.encode(values[0], flow.base, flow.now(), method.options);
      break;
    case 'validate_token':
      result = tokens.validate(values[0], flow.base, flow.now(), method.options);
      break;
    case 'can_redirect':
      result = canRedirect(flow.base, method.options);
      break;
    case 'fact_includes': {
      const fact = flow.facts[method.options.fact];
      result = Array.isArray(fact) && fact.includes(values[0]);
      break;
    }
    case 'unavailable':
    default:
      throw new Error(method.options.message || `${path}() is not available on this server`);
  }
  if (method.returns === 'api') return api;
  if (method.returns !== 'value') return undefined;
  // Values the runner made (cache records, token claims) are handed over as copies
  // made in the action's realm.
  return typeof result === 'object' && result !== null ? exec.realm.helpers.copy(result) : result;
}

/**
 * Compiles a plan's method tree, in an action's realm, into a factory that builds the
 * api object of one execution as nested object literals of closures (much faster than
 * adding the properties one by one). Everything the action can reach — the objects and
 * the methods — belongs to its realm; `invoke` and the plan stay in the closure. Names
 * are JSON-quoted, so the generated source is inert whatever the catalog says.
 */
function compileFactory(plan, realm) {
  const tree = new Map();
  plan.methods.forEach((method, index) => {
    let node = tree;
    const { segments } = method;
    for (let i = 0; i < segments.length - 1; i++) {
      if (!node.has(segments[i])) node.set(segments[i], new Map());
      node = node.get(segments[i]);
    }
    node.set(segments[segments.length - 1], index);
  });
  const literal = (node) => `{${[...node].map(([name, child]) => `${JSON.stringify(name)}: ${typeof child === 'number'
    ? `function () { return invoke(methods[${child}], execution, api, arguments); }`
    : literal(child)}`).join(', ')}}`;
  const source = `'use strict';\nconst api = ${literal(tree)};\nreturn api;`;
  const build = realm.compileFunction(source, ['invoke', 'methods', 'execution'], path.join(__dirname, 'api-factory.generated.js'));
  return (execution) => build(invoke, plan.methods, execution);
}

/** A fresh api object for one execution, in `realm`; assigning onto it affects nothing else. */
function buildApi(plan, execution, realm) {
  let factory = realm.apiFactories.get(plan);
  if (factory === undefined) {
    factory = compileFactory(plan, realm);
    realm.apiFactories.set(plan, factory);
  }
  return factory(execution);
}

module.exports = { buildApi };
