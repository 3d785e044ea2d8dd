'use strict';
// Compiles the trigger catalog sent in the `init` message into per-trigger plans the
// api builder walks. The catalog is data only (PROTOCOL.md, "The catalog"); this file
// checks its shape once so that a malformed catalog fails at init, not mid-flow.

const args = require('./args');

const FORMAT = 1;
const RETURNS = new Set(['api', 'void', 'value']);
const EFFECTS = new Set([
  'record', 'stop', 'suspend', 'reflect', 'cache_get', 'cache_set', 'cache_delete',
  'encode_token', 'validate_token', 'can_redirect', 'fact_includes', 'unavailable',
]);
const REFLECT_OPS = new Set(['set_key', 'array_add', 'array_remove', 'array_set', 'array_clear']);
const HANDLER_KINDS = new Set(['execute', 'continue']);
const METHOD_KEYS = new Set(['args', 'returns', 'effect', 'options', 'handlers', 'description']);

const DEFAULT_LIMITS = {
  max_args_bytes: 100 * 1024,
  max_commands_per_action: 1000,
  max_command_bytes_per_action: 1024 * 1024,
  max_log_bytes: 64 * 1024,
  cache: {
    max_entries: 20,
    max_key_bytes: 64,
    max_value_bytes: 4096,
    max_total_bytes: 8192,
    default_ttl_ms: 15 * 60 * 1000,
    max_ttl_ms: 24 * 60 * 60 * 1000,
    max_writes_per_flow: 100,
  },
};

function fail(message) { throw new Error(`invalid catalog: ${message}`); }

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

function compileLimits(limits) {
  if (limits !== undefined && !isObject(limits)) fail('limits must be an object');
  const merged = { ...DEFAULT_LIMITS, ...limits, cache: { ...DEFAULT_LIMITS.cache, ...(limits && limits.cache) } };
  for (const [key, value] of Object.entries(merged)) {
    if (key !== 'cache' && !(Number.isInteger(value) && value > 0)) fail(`limits.${key} must be a positive integer`);
  }
  for (const [key, value] of Object.entries(merged.cache)) {
    if (!(Number.isInteger(value) && value > 0)) fail(`limits.cache.${key} must be a positive integer`);
  }
  return merged;
}

function compileOptions(effect, options, where) {
  if (options === undefined) options = {};
  if (!isObject(options)) fail(`${where}.options must be an object`);
  if (effect === 'reflect') {
    if (typeof options.target !== 'string' || options.target === '') fail(`${where}.options.target must be a dotted event path`);
    if (!REFLECT_OPS.has(options.op)) fail(`${where}.options.op must be one of ${[...REFLECT_OPS].join(', ')}`);
    return { ...options, segments: options.target.split('.') };
  }
  if (effect === 'fact_includes' && typeof options.fact !== 'string') fail(`${where}.options.fact must be a string`);
  return options;
}

function compileMethod(path, spec, definitions, where) {
  if (!isObject(spec)) fail(`${where} must be an object`);
  for (const key of Object.keys(spec)) if (!METHOD_KEYS.has(key)) fail(`${where}: unknown key "${key}"`);
  const segments = path.split('.');
  if (segments.length < 2 || segments.some((s) => !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s))) {
    fail(`${where}: method path must look like "namespace.method"`);
  }
  const returns = spec.returns === undefined ? 'void' : spec.returns;
  if (!RETURNS.has(returns)) fail(`${where}.returns must be one of api, void, value`);
  const effect = spec.effect === undefined ? 'record' : spec.effect;
  if (!EFFECTS.has(effect)) fail(`${where}.effect "${effect}" is unknown`);
  const argSpecs = spec.args === undefined ? [] : spec.args;
  if (!Array.isArray(argSpecs)) fail(`${where}.args must be an array`);
  const compiledArgs = argSpecs.map((argSpec, i) => {
    const label = isObject(argSpec) && typeof argSpec.name === 'string' ? argSpec.name : `argument ${i + 1}`;
    try {
      return { name: label, label: `api.${path}: ${label}`, check: args.compile(argSpec, definitions, `${where}.args[${i}]`) };
    } catch (e) {
      return fail(e.message);
    }
  });
  let handlers = null;
  if (spec.handlers !== undefined) {
    if (!Array.isArray(spec.handlers) || !spec.handlers.every((h) => HANDLER_KINDS.has(h))) {
      fail(`${where}.handlers must be a list of "execute"/"continue"`);
    }
    handlers = new Set(spec.handlers);
  }
  return {
    path: `api.${path}`,
    segments,
    args: compiledArgs,
    returns,
    effect,
    options: compileOptions(effect, spec.options, where),
    handlers,
  };
}

function compileTrigger(id, trigger, definitions) {
  const where = `triggers["${id}"]`;
  if (!isObject(trigger)) fail(`${where} must be an object`);
  const handlers = trigger.handlers;
  if (!isObject(handlers) || typeof handlers.execute !== 'string') fail(`${where}.handlers.execute must be a string`);
  if (handlers.continue !== undefined && typeof handlers.continue !== 'string') fail(`${where}.handlers.continue must be a string`);
  const api = trigger.api === undefined ? {} : trigger.api;
  if (!isObject(api)) fail(`${where}.api must be an object`);
  const methods = Object.entries(api).map(([path, spec]) => compileMethod(path, spec, definitions, `${where}.api["${path}"]`));
  // A namespace cannot also be a method (e.g. "a.b" and "a.b.c").
  const paths = new Set(methods.map((m) => m.segments.join('.')));
  for (const m of methods) {
    for (let i = 1; i < m.segments.length; i++) {
      if (paths.has(m.segments.slice(0, i).join('.'))) fail(`${where}.api: "${m.path}" is nested under a method`);
    }
  }
  return { id, handlers: { execute: handlers.execute, continue: handlers.continue }, methods };
}

/** Returns { limits, triggers: Map<id, plan> } or throws Error("invalid catalog: …"). */
function compileCatalog(catalog) {
  if (!isObject(catalog)) fail('the catalog must be an object');
  if (catalog.format !== FORMAT) fail(`unsupported format ${JSON.stringify(catalog.format)} (this runner reads format ${FORMAT})`);
  const definitions = catalog.definitions === undefined ? {} : catalog.definitions;
  if (!isObject(definitions)) fail('definitions must be an object');
  if (!isObject(catalog.triggers)) fail('triggers must be an object');
  const triggers = new Map();
  for (const [id, trigger] of Object.entries(catalog.triggers)) {
    triggers.set(id, compileTrigger(id, trigger, definitions));
  }
  return { limits: compileLimits(catalog.limits), triggers };
}

module.exports = { compileCatalog, FORMAT };
