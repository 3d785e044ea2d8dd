'use strict';
// A realm for action code: a V8 context of its own (own Object, Array, JSON, Function,
// Promise, …) with Node's globals, a restricted `process`, a capturing `console`, its
// own CommonJS loader for npm packages and its own copies of Node's module namespaces
// (PROTOCOL.md §9, "Isolation model"). The loader (loader.js) keeps one realm per action
// version; what the runner hands to an action (its event, its api, the values api
// methods return) is built inside the action's realm by helpers compiled there.
//
// Node's own objects (Buffer, URL, timers, fetch, the functions of core modules and
// what they return) exist once, in the runner's realm, and are shared by all realms:
// harden.js freezes them before they are handed out.

const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { EventEmitter } = require('node:events');
const { harden, forbidden, forbiddenError } = require('./harden');
const { als, LEFTOVER, makeStdio } = require('./capture');
const { markRunning } = require('./blame');

// Captured before harden.neuterModules() replaces them for actions.
const { compileFunction, runInContext, Script } = vm;
const resolveFilename = Module._resolveFilename;
const nodeModulePaths = Module._nodeModulePaths;
const isBuiltin = Module.isBuiltin;
const builtinModules = Module.builtinModules.slice();
const originalLoad = Module._load;
const builtinRequire = typeof process.getBuiltinModule === 'function'
  ? process.getBuiltinModule.bind(process)
  : (id) => Reflect.apply(originalLoad, Module, [id, module, false]);
const readFileSync = fs.readFileSync;
const DONT_CONTEXTIFY = vm.constants && vm.constants.DONT_CONTEXTIFY;
const DYNAMIC_IMPORT = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];
const HELPERS_FILE = path.join(__dirname, 'realm-helpers.generated.js');

// Compiled in each realm, before any action code runs there: what it creates (objects,
// arrays, functions) belongs to that realm, and the built-ins it uses are the realm's
// originals, whatever the action does to its globals later.
const HELPERS_SOURCE = `'use strict';
const defineProperty = Object.defineProperty;
const isArray = Array.isArray;
const ownKeys = Reflect.ownKeys;
const getOwnPropertyDescriptors = Object.getOwnPropertyDescriptors;
const apply = Reflect.apply;
const parse = JSON.parse;
const then = Promise.prototype.then;
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
const RealmMap = Map;
const mapGet = Map.prototype.get;

// Deep copy of JSON data from the runner's realm into this one. for-in walks the
// source's own keys only: the runner's Object.prototype is frozen without enumerables.
function copy(value) {
  if (typeof value !== 'object' || value === null) return value;
  if (isArray(value)) {
    const length = value.length;
    const out = [];
    for (let i = 0; i < length; i++) out.push(copy(value[i]));
    return out;
  }
  const out = {};
  for (const key in value) {
    if (key === '__proto__') defineProperty(out, key, { value: copy(value[key]), writable: true, enumerable: true, configurable: true });
    else out[key] = copy(value[key]);
  }
  return out;
}

function isObject(value) { return value !== null && typeof value === 'object' && !isArray(value); }

/** The action's own event: a copy of the flow's, its transient keys, its secrets. */
function eventFor(base, transient, secrets) {
  const event = copy(base);
  for (let i = 0; i < transient.length; i++) {
    const { segments, key } = transient[i];
    let node = event;
    for (let j = 0; j < segments.length; j++) {
      const s = segments[j];
      if (!isObject(node[s])) node[s] = {};
      node = node[s];
    }
    defineProperty(node, key, { value: undefined, writable: true, enumerable: true, configurable: true });
  }
  event.secrets = isObject(secrets) ? copy(secrets) : {};
  return event;
}

function makeRequire(load, resolve, cache) {
  const require = function require(id) { return load(id); };
  require.resolve = function resolve_(id, options) { return resolve(id, options); };
  defineProperty(require.resolve, 'name', { value: 'resolve' });
  require.resolve.paths = function paths() { return null; };
  require.cache = cache;
  require.main = undefined;
  return require;
}

function makeModule(filename, dirname, paths) {
  return { id: filename, path: dirname, exports: {}, filename, loaded: false, children: [], paths: copy(paths), require: undefined };
}

/** A mutable copy of a (frozen) core-module namespace, made of this realm's objects. */
function namespace(real, overrides) {
  const out = {};
  const descs = getOwnPropertyDescriptors(real);
  const keys = ownKeys(descs);
  for (let i = 0; i < keys.length; i++) {
    const desc = descs[keys[i]];
    if ('value' in desc) desc.writable = true;
    desc.configurable = true;
    defineProperty(out, keys[i], desc);
  }
  if (overrides !== undefined) {
    const names = ownKeys(overrides);
    for (let i = 0; i < names.length; i++) defineProperty(out, names[i], { value: overrides[names[i]], writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/**
 * \`instanceof\` also recognises the runner realm's counterpart of a built-in class:
 * Node returns its own Errors, Promises, Buffers, ArrayBuffers, arrays and objects.
 */
function linkInstanceOf(pairs) {
  const counterparts = new RealmMap(pairs);
  const hasInstance = function (value) {
    if (apply(ordinaryHasInstance, this, [value])) return true;
    const other = apply(mapGet, counterparts, [this]);
    return other !== undefined && apply(ordinaryHasInstance, other, [value]);
  };
  for (let i = 0; i < pairs.length; i++) {
    defineProperty(pairs[i][0], Symbol.hasInstance, { value: hasInstance, writable: true, configurable: true });
  }
}

function promiseThen(promise, onFulfilled, onRejected) { apply(then, promise, [onFulfilled, onRejected]); }

function makeObject() { return {}; }

// The realm's FinalizationRegistry, whose cleanup callbacks V8 runs outside any async
// context: they run through \`runAsLeftover\`, under the store of leftover action code, so
// that every guard that asks whether action code runs says yes.
function guardFinalizationRegistry(runAsLeftover) {
  const Original = FinalizationRegistry;
  class GuardedFinalizationRegistry extends Original {
    constructor(cleanup) {
      if (typeof cleanup !== 'function') super(cleanup);
      else super((held) => runAsLeftover(cleanup, held));
    }
  }
  defineProperty(GuardedFinalizationRegistry, 'name', { value: 'FinalizationRegistry' });
  defineProperty(globalThis, 'FinalizationRegistry', { value: GuardedFinalizationRegistry, writable: true, configurable: true, enumerable: false });
}

return { copy, eventFor, makeRequire, makeModule, namespace, linkInstanceOf, promiseThen, parse, makeObject, guardFinalizationRegistry, global: globalThis };
`;

const INSTANCE_OF = [
  'Object', 'Array', 'Function', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError', 'Promise', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint16Array',
  'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigUint64Array',
  'BigInt64Array', 'Date', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet',
];

// Globals of the runner's realm that actions do not get (their realm has its own
// `global`, `process`, `console`), or that would let actions talk across realms.
const EXCLUDED_GLOBALS = new Set(['global', 'globalThis', 'process', 'console', 'BroadcastChannel', 'require', 'module', 'exports', '__filename', '__dirname']);
// Shared objects (not classes) among them, frozen as a whole.
const SHARED_INSTANCES = new Set(['crypto', 'performance', 'navigator']);

let nodeGlobals = null;

/**
 * Runs a cleanup of the realm `key`'s FinalizationRegistry as action code (capture.js,
 * LEFTOVER), recorded as that version's (blame.js).
 */
function runAsLeftover(key, cleanup, held) {
  markRunning(key);
  return als.run(LEFTOVER, cleanup, held);
}

// Timers as actions see them. Node's Timeout and Immediate objects link to the other
// timers of the process (`_idleNext`, `_idlePrev`: other actions' callbacks and their
// arguments), and Node calls a callback with the Timeout as `this`: actions get a handle
// of their own instead, which holds the timer in a private field.
const { promisify } = require('node:util');
const real = {
  setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate,
};
let unwrapTimer = null;
let makeTimer = null;
class Timer {
  #timer;

  ref() { if (typeof this.#timer.ref === 'function') this.#timer.ref(); return this; }

  unref() { if (typeof this.#timer.unref === 'function') this.#timer.unref(); return this; }

  hasRef() { return typeof this.#timer.hasRef === 'function' ? this.#timer.hasRef() : false; }

  refresh() { if (typeof this.#timer.refresh === 'function') this.#timer.refresh(); return this; }

  close() { if (typeof this.#timer.close === 'function') this.#timer.close(); return this; }

  [Symbol.toPrimitive]() { return typeof this.#timer[Symbol.toPrimitive] === 'function' ? this.#timer[Symbol.toPrimitive]() : NaN; }

  static {
    unwrapTimer = (value) => (typeof value === 'object' && value !== null && #timer in value ? value.#timer : value);
    makeTimer = (schedule, callback, delay, args) => {
      if (typeof callback !== 'function') return schedule(callback, delay, ...args); // Node's own error
      const handle = new Timer();
      const run = function () { return Reflect.apply(callback, handle, arguments); };
      handle.#timer = schedule === real.setImmediate ? schedule(run, ...args) : schedule(run, delay, ...args);
      return handle;
    };
  }
}
Object.defineProperty(Timer.prototype, 'constructor', { value: undefined });
Object.freeze(Timer.prototype);
const TIMERS = {
  setTimeout: function setTimeout(callback, delay, ...args) { return makeTimer(real.setTimeout, callback, delay, args); },
  setInterval: function setInterval(callback, delay, ...args) { return makeTimer(real.setInterval, callback, delay, args); },
  setImmediate: function setImmediate(callback, ...args) { return makeTimer(real.setImmediate, callback, undefined, args); },
  clearTimeout: function clearTimeout(timer) { real.clearTimeout(unwrapTimer(timer)); },
  clearInterval: function clearInterval(timer) { real.clearInterval(unwrapTimer(timer)); },
  clearImmediate: function clearImmediate(timer) { real.clearImmediate(unwrapTimer(timer)); },
};
for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
  if (typeof real[name][promisify.custom] === 'function') {
    Object.defineProperty(TIMERS[name], promisify.custom, { value: real[name][promisify.custom] });
  }
}

/** Node's globals, by name, hardened once: what a fresh context lacks of the runner's global. */
function listNodeGlobals(contextGlobal) {
  const globals = [];
  for (const name of Reflect.ownKeys(globalThis)) {
    if (typeof name !== 'string' || EXCLUDED_GLOBALS.has(name) || Object.hasOwn(contextGlobal, name)) continue;
    let value;
    try { value = Object.hasOwn(TIMERS, name) ? TIMERS[name] : globalThis[name]; } catch { continue; }
    if (value === undefined) continue;
    harden(value, { instance: SHARED_INSTANCES.has(name) });
    if (name === 'crypto' && value !== null && typeof value === 'object') harden(value.subtle, { instance: true });
    globals.push([name, value]);
  }
  return globals;
}

/** Hardens Node's globals now (at start-up) rather than when the first realm is made. */
function prepareRealms() {
  if (nodeGlobals === null) {
    const probe = vm.createContext(DONT_CONTEXTIFY !== undefined ? DONT_CONTEXTIFY : {});
    nodeGlobals = listNodeGlobals(DONT_CONTEXTIFY !== undefined ? probe : runInContext('globalThis', probe));
  }
}

function notFound(id) {
  const error = new Error(`Cannot find module '${id}'`);
  error.code = 'MODULE_NOT_FOUND';
  return error;
}

function isBare(id) {
  return !id.startsWith('.') && !path.isAbsolute(id) && !id.includes(':');
}

function stripSource(source) {
  let text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  if (text.startsWith('#!')) text = `//${text.slice(2)}`;
  return text;
}

// Core modules an action gets its realm's own version of, or none.
const DENIED_MODULES = new Set(['repl', 'trace_events', 'wasi', 'test', 'test/reporters']);

const hardenedModules = new Set();

class Realm {
  /**
   * `key`: what the realm belongs to (a version id, or a shared key such as a tenant's
   * Rules); `nodeModules`: absolute path of the node_modules directory bare names
   * resolve from, or null.
   */
  constructor(key, nodeModules) {
    this.key = key;
    this.nodeModules = typeof nodeModules === 'string' && path.isAbsolute(nodeModules) ? path.resolve(nodeModules) : null;
    const context = DONT_CONTEXTIFY !== undefined ? vm.createContext(DONT_CONTEXTIFY) : vm.createContext({});
    this.context = context;
    this.helpers = compileFunction(HELPERS_SOURCE, [], { parsingContext: context, filename: HELPERS_FILE })();
    const global = this.helpers.global;
    this.global = global;
    if (nodeGlobals === null) nodeGlobals = listNodeGlobals(global);
    const define = (name, value) => Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
    for (const [name, value] of nodeGlobals) define(name, value);
    define('global', global);
    const stdio = makeStdio();
    harden(stdio.console);
    harden(stdio.stdin);
    harden(stdio.stdout);
    this.console = stdio.console;
    define('console', stdio.console);
    this.process = makeProcess(stdio, this.helpers);
    define('process', this.process);
    this.helpers.guardFinalizationRegistry((cleanup, held) => runAsLeftover(key, cleanup, held));
    this.helpers.linkInstanceOf(INSTANCE_OF.filter((name) => global[name] !== undefined && globalThis[name] !== undefined)
      .map((name) => [global[name], globalThis[name]]));
    this.builtins = new Map();
    this.cache = this.helpers.makeObject(); // require.cache of the realm's npm modules
    this.actionRequire = this.makeRequire(null, null);
    this.apiFactories = new WeakMap(); // trigger plan → api factory compiled in this realm
  }

  /** Compiles a CommonJS module body in this realm. Throws a SyntaxError as compileFunction does. */
  compile(code, filename) {
    const options = { filename, parsingContext: this.context };
    if (DYNAMIC_IMPORT !== undefined) options.importModuleDynamically = DYNAMIC_IMPORT;
    return compileFunction(code, PARAMETERS, options);
  }

  /** Compiles a function body with the given parameters in this realm. */
  compileFunction(code, parameters, filename) {
    return compileFunction(code, parameters, { filename, parsingContext: this.context });
  }

  /**
   * `require` for the action itself (`parentFile` null: built-ins and bare names from
   * the version's node_modules) or for a package file in it (as Node resolves).
   */
  makeRequire(parentFile, parentModule) {
    let parent = null;
    if (parentFile !== null) {
      parent = { id: parentFile, filename: parentFile, paths: nodeModulePaths(path.dirname(parentFile)) };
    } else if (this.nodeModules !== null) {
      const anchor = path.join(this.nodeModules, '__gatehouse_action__.js');
      parent = { id: anchor, filename: anchor, paths: nodeModulePaths(this.nodeModules) };
    }
    const actionOnly = parentFile === null;
    const check = (id, what) => {
      if (typeof id !== 'string' || id === '') throw new TypeError(`${what}() expects a non-empty string`);
      if (isBuiltin(id)) return true;
      if (parent === null || (actionOnly && !isBare(id))) throw notFound(id);
      return false;
    };
    // What a version requires stays inside its node_modules directory.
    const inside = (id, filename) => {
      if (this.nodeModules === null || !filename.startsWith(`${this.nodeModules}${path.sep}`)) throw notFound(id);
      return filename;
    };
    const load = (id) => {
      if (check(id, 'require')) return this.builtin(id);
      return this.loadFile(inside(id, resolveFilename(id, parent, false)), parentModule);
    };
    const resolve = (id, options) => {
      if (check(id, 'require.resolve')) return id;
      return inside(id, resolveFilename(id, parent, false, options));
    };
    return this.helpers.makeRequire(load, resolve, this.cache);
  }

  /** Loads a package file into this realm (once; `require.cache` is the realm's). */
  loadFile(filename, parentModule) {
    const cached = this.cache[filename];
    if (cached !== undefined) return cached.exports;
    const extension = path.extname(filename);
    if (extension === '.node') {
      const error = new Error('Cannot load native addon because loading addons is disabled.');
      error.code = 'ERR_DLOPEN_DISABLED';
      throw error;
    }
    if (extension === '.mjs') {
      const error = new Error(`require() of ES Module ${filename} not supported.`);
      error.code = 'ERR_REQUIRE_ESM';
      throw error;
    }
    const source = readFileSync(filename, 'utf8');
    const dirname = path.dirname(filename);
    const module = this.helpers.makeModule(filename, dirname, nodeModulePaths(dirname));
    module.require = this.makeRequire(filename, module);
    this.cache[filename] = module;
    try {
      if (extension === '.json') {
        try {
          module.exports = this.helpers.parse(stripSource(source));
        } catch (e) {
          e.message = `${filename}: ${e.message}`;
          throw e;
        }
      } else {
        const fn = this.compile(stripSource(source), filename);
        Reflect.apply(fn, module.exports, [module.exports, module.require, module, filename, dirname]);
      }
    } catch (e) {
      delete this.cache[filename];
      throw e;
    }
    module.loaded = true;
    if (parentModule !== null && parentModule !== undefined && Array.isArray(parentModule.children)) parentModule.children.push(module);
    return module.exports;
  }

  /** A core module as this realm sees it. */
  builtin(id) {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    let exported = this.builtins.get(name);
    if (exported !== undefined) return exported;
    if (DENIED_MODULES.has(name)) throw forbiddenError(`require('${id}')`);
    switch (name) {
      case 'process': exported = this.process; break;
      case 'console': exported = this.console; break;
      case 'vm': exported = this.vmModule(); break;
      case 'module': exported = this.moduleModule(); break;
      case 'http':
      case 'https': exported = this.httpModule(name); break;
      case 'timers': exported = this.helpers.namespace(hardenModule(builtinRequire('node:timers')), TIMERS); break;
      case 'util': exported = this.helpers.namespace(hardenModule(builtinRequire('node:util')), { promisify: harden(realmPromisify) }); break;
      default: {
        const real = hardenModule(builtinRequire(id));
        exported = typeof real === 'object' && real !== null ? this.helpers.namespace(real) : real;
      }
    }
    this.builtins.set(name, exported);
    return exported;
  }

  /**
   * http/https with a `globalAgent` of the realm's own, used by `request`/`get` when no
   * agent is given: Node's global agents are shared instances whose pooled keep-alive
   * sockets (and events) would show an action the connections of the others.
   */
  httpModule(name) {
    const real = hardenModule(builtinRequire(`node:${name}`));
    const agent = this.httpAgent(name);
    const request = function request(...args) { return Reflect.apply(real.request, real, withAgent(agent, args)); };
    const get = function get(...args) {
      const req = Reflect.apply(real.request, real, withAgent(agent, args));
      req.end();
      return req;
    };
    harden(request);
    harden(get);
    return this.helpers.namespace(real, { globalAgent: agent, request, get });
  }

  /** The realm's own keep-alive agent for `http` or `https`, made on first use. */
  httpAgent(name) {
    this.httpAgents ??= new Map();
    let agent = this.httpAgents.get(name);
    if (agent === undefined) {
      agent = new (builtinRequire(`node:${name}`).Agent)({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });
      this.httpAgents.set(name, agent);
    }
    return agent;
  }

  /** vm whose "this context" is the realm's own. */
  vmModule() {
    const { context } = this;
    const real = hardenModule(builtinRequire('node:vm'));
    class RealmScript extends Script {
      runInThisContext(options) { return this.runInContext(context, options); }
    }
    harden(RealmScript);
    return this.helpers.namespace(real, {
      Script: RealmScript,
      runInThisContext: (code, options) => runInContext(code, context, options),
      compileFunction: (code, params, options) => compileFunction(code, params, { ...options, parsingContext: options && options.parsingContext ? options.parsingContext : context }),
    });
  }

  /** What real code uses of `module`: the list of built-ins and createRequire. */
  moduleModule() {
    return this.helpers.namespace({
      builtinModules: this.helpers.copy(builtinModules),
      isBuiltin,
      createRequire: (filename) => {
        const file = typeof filename === 'string' ? filename : filename instanceof URL ? filename.pathname : String(filename);
        return this.makeRequire(file, null);
      },
    });
  }
}

// util.promisify(fn) of a function with a custom promisified version marks that version
// on itself, which it cannot do on Node's frozen functions (setTimeout, …): return it.
function realmPromisify(original) {
  const custom = original !== null && original !== undefined ? original[promisify.custom] : undefined;
  if (typeof custom === 'function' && Object.isFrozen(custom)) return custom;
  return promisify(original);
}
Object.defineProperty(realmPromisify, 'custom', { value: promisify.custom });
Object.defineProperty(realmPromisify, 'name', { value: 'promisify' });

/** `args` of http.request(url?, options?, callback?) with `agent` as the default agent. */
function withAgent(agent, args) {
  const [first, second] = args;
  const isOptions = (value) => value !== null && typeof value === 'object' && !(value instanceof URL);
  if (typeof first === 'string' || first instanceof URL) {
    if (isOptions(second)) {
      if (second.agent === undefined) args[1] = { ...second, agent };
    } else {
      args.splice(1, 0, { agent });
    }
  } else if (isOptions(first)) {
    if (first.agent === undefined) args[0] = { ...first, agent };
  } else {
    args.unshift({ agent });
  }
  return args;
}

/** Freezes a core module's real exports (once); the functions actions must not call were replaced at start-up. */
function hardenModule(real) {
  if (!hardenedModules.has(real)) {
    harden(real);
    hardenedModules.add(real);
  }
  return real;
}

// `process` as actions see it: information and harmless functions; nothing that ends,
// signals or reconfigures the worker (or another process), no bindings.
const PROCESS_VALUES = ['version', 'arch', 'platform', 'pid', 'ppid', 'execPath', 'title'];
const PROCESS_FUNCTIONS = ['nextTick', 'hrtime', 'uptime', 'memoryUsage', 'cpuUsage', 'resourceUsage', 'emitWarning', 'cwd',
  'getuid', 'getgid', 'geteuid', 'getegid', 'getgroups', 'binding', 'dlopen', 'getActiveResourcesInfo'];
const PROCESS_FORBIDDEN = ['exit', 'reallyExit', 'abort', 'kill', '_kill', 'chdir', 'setuid', 'setgid', 'seteuid', 'setegid',
  'setgroups', 'initgroups', 'setUncaughtExceptionCaptureCallback', 'setSourceMapsEnabled', '_linkedBinding', '_rawDebug'];

function makeProcess(stdio, helpers) {
  const proc = new EventEmitter();
  const define = (name, value, enumerable = true) => Object.defineProperty(proc, name, { value, writable: true, configurable: true, enumerable });
  for (const name of PROCESS_VALUES) define(name, process[name]);
  define('versions', helpers.copy({ ...process.versions }));
  define('release', helpers.copy({ ...process.release }));
  define('features', helpers.copy({ ...process.features }));
  define('env', helpers.makeObject());
  define('argv', helpers.copy([process.argv0 || 'node']));
  define('argv0', process.argv0);
  define('execArgv', helpers.copy([]));
  define('exitCode', undefined);
  for (const name of PROCESS_FUNCTIONS) {
    if (typeof process[name] === 'function') {
      const fn = process[name];
      harden(fn);
      define(name, fn);
    }
  }
  for (const name of PROCESS_FORBIDDEN) define(name, forbidden(`process.${name}()`, name));
  define('umask', function umask(mask) {
    if (mask !== undefined) throw forbiddenError('process.umask(mask)');
    return process.umask();
  });
  define('hasUncaughtExceptionCaptureCallback', () => false);
  Object.defineProperty(proc, 'stdout', { get: () => stdio.stdout, configurable: true, enumerable: true });
  Object.defineProperty(proc, 'stderr', { get: () => stdio.stderr, configurable: true, enumerable: true });
  Object.defineProperty(proc, 'stdin', { get: () => stdio.stdin, configurable: true, enumerable: true });
  harden(Object.getPrototypeOf(proc));
  return proc;
}

/**
 * `import('node:http')` and `import('node:https')` hand actions Node's real modules, whose
 * process-wide `globalAgent` every action shares: its socket pools would show one action the
 * requests of another. Every request that reaches a shared agent from action code — `request`
 * or `get` without an agent, the shared agent passed explicitly, a `ClientRequest` built by
 * hand — is handed by the agent's `addRequest` (where Node's client gives a request to its
 * agent) to the calling action realm's own agent, so its socket lives in pools no other
 * action can reach. Installed at start-up as a permanent own property, before the agents are
 * locked (`lockSharedInstances`).
 */
function routeSharedHttp(currentRealm) {
  for (const name of ['http', 'https']) {
    const shared = builtinRequire(`node:${name}`).globalAgent;
    const original = shared.addRequest;
    const addRequest = function addRequest(req, options) {
      const realm = this === shared ? currentRealm() : undefined;
      if (realm === undefined) return Reflect.apply(original, this, [req, options]);
      return realm.httpAgent(name).addRequest(req, options);
    };
    Object.defineProperty(shared, 'addRequest', { value: addRequest, writable: false, configurable: false, enumerable: false });
  }
}

module.exports = { Realm, prepareRealms, routeSharedHttp };
