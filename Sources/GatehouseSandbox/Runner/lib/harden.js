'use strict';
// Hardening of the runner's own realm (Node's main context). Each action version runs
// in a context of its own (realm.js), but Node's built-ins — Buffer, URL, timers, fetch,
// every core module and the objects they return — exist once, in this realm, and every
// context reaches them (and, through their prototypes, this realm's Object.prototype,
// Function.prototype, …). So, once the runner has loaded what it needs:
// - this realm's intrinsics are frozen, its Function constructors (reachable as
//   `anyFunction.constructor`) throw, its global object's bindings are read-only;
// - every Node object handed to a context is frozen with what it leads to (functions,
//   classes, prototypes, plain objects), so that no action can patch it for another;
// - the core-module functions that escape a context (vm.runInThisContext, the CommonJS
//   loader) or affect other processes or other actions (os.setPriority,
//   async_hooks.createHook, diagnostics_channel subscriptions, …) throw
//   ERR_ACTION_FORBIDDEN.
// Frozen prototypes keep the "override" behaviour code relies on (`Sub.prototype.write =
// …` where Sub inherits from a frozen Writable.prototype): their data properties become
// accessors whose setter defines an own property on the receiver, as Node's
// --frozen-intrinsics does.

const FORBIDDEN = 'ERR_ACTION_FORBIDDEN';
const { hasOwn } = Object;

function forbiddenError(what) {
  const error = new Error(`${what} is not allowed in an Action`);
  error.code = FORBIDDEN;
  return error;
}

/** A function that throws ERR_ACTION_FORBIDDEN, named `name`. */
function forbidden(what, name) {
  const fn = function () { throw forbiddenError(what); };
  if (name !== undefined) Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

const hardened = new WeakSet();

/** Data property → accessor whose setter overrides on derived objects (see above). */
function tameProperty(object, key) {
  const desc = Object.getOwnPropertyDescriptor(object, key);
  if (desc === undefined || !('value' in desc) || !desc.configurable) return;
  const { value } = desc;
  const getter = function () { return value; };
  const setter = function (next) {
    if (this === object) throw new TypeError(`Cannot assign to read only property '${String(key)}' of a shared built-in`);
    if (this === null || this === undefined) return;
    if (hasOwn(this, key)) this[key] = next;
    else Object.defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
  };
  hardened.add(getter);
  hardened.add(setter);
  Object.freeze(getter);
  Object.freeze(setter);
  Object.defineProperty(object, key, { get: getter, set: setter, enumerable: desc.enumerable, configurable: false });
  enqueueValue(value);
}

let queue = null;
function enqueueValue(value) {
  if (value !== null && (typeof value === 'object' || typeof value === 'function') && !hardened.has(value)) queue.push(value);
}

/** An object that is some constructor's `prototype` (its own `constructor` points back). */
function isPrototypeObject(object) {
  const desc = Object.getOwnPropertyDescriptor(object, 'constructor');
  return desc !== undefined && typeof desc.value === 'function' && desc.value.prototype === object;
}

function isPlain(object) {
  const proto = Object.getPrototypeOf(object);
  return proto === null || proto === Object.prototype;
}

/**
 * Freezes `root` and what it leads to: own property values (getters and setters, not
 * what they return) and prototypes. Instances of classes (an http Agent, a stream) are
 * not frozen — they hold state — but their prototype chain is. `instances`: freeze
 * `root` even if it is an instance (a shared one, such as `globalThis.crypto`).
 */
function harden(root, { instance = false } = {}) {
  const outer = queue === null;
  if (outer) queue = [];
  if (root !== null && (typeof root === 'object' || typeof root === 'function') && !hardened.has(root)) {
    visit(root, instance);
  }
  if (outer) {
    while (queue.length > 0) {
      const next = queue.pop();
      if (!hardened.has(next)) visit(next, false);
    }
    queue = null;
  }
  return root;
}

function visit(object, forceFreeze) {
  hardened.add(object);
  enqueueValue(Object.getPrototypeOf(object));
  const freeze = forceFreeze || typeof object === 'function' || isPlain(object) || isPrototypeObject(object);
  if (!freeze) return;
  const prototype = typeof object === 'object' && isPrototypeObject(object);
  if (prototype) {
    for (const key of Reflect.ownKeys(object)) tameProperty(object, key);
  }
  const descs = Object.getOwnPropertyDescriptors(object);
  for (const key of Reflect.ownKeys(descs)) {
    const desc = descs[key];
    if ('value' in desc) enqueueValue(desc.value);
    else { enqueueValue(desc.get); enqueueValue(desc.set); }
  }
  if (!prototype) {
    Object.freeze(object);
    return;
  }
  // A prototype's data properties that cannot be turned into accessors (defined
  // non-configurable, e.g. EventEmitter.prototype[kCapture], a default that instances
  // override by assignment) stay writable: freezing them would break every instance.
  Object.preventExtensions(object);
  for (const key of Reflect.ownKeys(descs)) {
    const desc = descs[key];
    if (desc.configurable) Object.defineProperty(object, key, 'value' in desc ? { writable: false, configurable: false } : { configurable: false });
  }
}

// Properties of this realm's intrinsic prototypes that Node's own code (or code handed
// Node's objects) assigns on derived objects: kept overridable when frozen. Only these:
// an accessor in place of a built-in method slows the runner's hot paths, and one in
// place of Array.prototype.constructor or Promise.prototype.constructor disables V8's
// fast paths for every array method and promise (its "species" protectors).
const ERROR_OVERRIDES = ['constructor', 'name', 'message', 'toString'];
const INTRINSIC_OVERRIDES = new Map([
  [Object.prototype, ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty']],
  [Function.prototype, ['toString']],
  ...['Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']
    .filter((name) => typeof globalThis[name] === 'function')
    .map((name) => [globalThis[name].prototype, ERROR_OVERRIDES]),
]);

/**
 * Makes every own property of an intrinsic read-only and permanent. Intrinsics are not
 * made non-extensible (Object.freeze) except those in NON_EXTENSIBLE: preventExtensions
 * on all of them costs the runner about 8 µs per 3-action flow (V8 leaves fast paths;
 * BENCHMARKS.md). A property added to, say, String.prototype changes nothing the runner
 * does; one added to Object.prototype or Array.prototype could (a getter for "toJSON" or
 * for a request field the runner reads), and so could one on an Error prototype (the
 * runner reads `code` of thrown errors).
 */
function lockProperties(object, descs) {
  for (const key of Reflect.ownKeys(descs)) {
    const desc = descs[key];
    if (desc.configurable) Object.defineProperty(object, key, 'value' in desc ? { writable: false, configurable: false } : { configurable: false });
    else if ('value' in desc && desc.writable) Object.defineProperty(object, key, { writable: false });
  }
}

const NON_EXTENSIBLE = new Set([Object.prototype, Array.prototype, ...INTRINSIC_OVERRIDES.keys()]);
NON_EXTENSIBLE.delete(Function.prototype);

/** Locks this realm's intrinsics (lockProperties) and neuters its Function constructors. */
function hardenIntrinsics() {
  const fnProtos = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}),
  ];
  const names = ['Function', 'AsyncFunction', 'GeneratorFunction', 'AsyncGeneratorFunction'];
  fnProtos.forEach((proto, i) => {
    const stub = forbidden(`The runner's ${names[i]} constructor`, names[i]);
    Object.defineProperty(stub, 'prototype', { value: proto });
    hardened.add(stub);
    Object.freeze(stub);
    Object.defineProperty(proto, 'constructor', { value: stub, writable: false, enumerable: false, configurable: false });
  });
  const globals = [
    'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Boolean', 'String', 'Symbol', 'Date', 'Promise',
    'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
    'URIError', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'Atomics', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
    'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigUint64Array', 'BigInt64Array',
    'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'FinalizationRegistry', 'WeakRef',
    'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'eval', 'isFinite',
    'isNaN', 'SharedArrayBuffer', 'WebAssembly', 'Iterator',
  ];
  const roots = globals.map((name) => globalThis[name]).filter((v) => v !== undefined);
  roots.push(
    ...fnProtos,
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()),
    Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(/e/[Symbol.matchAll]('')),
    Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})())),
    Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})()))),
    Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())),
    Object.getOwnPropertyDescriptor(Function.prototype, 'caller').get,
  );
  // Tame the few overridable names on every intrinsic prototype first, then freeze all.
  queue = [];
  for (const [object, keys] of INTRINSIC_OVERRIDES) {
    for (const key of keys) if (Object.hasOwn(object, key)) tameProperty(object, key);
  }
  for (const root of roots) enqueueValue(root);
  while (queue.length > 0) {
    const next = queue.pop();
    if (hardened.has(next)) continue;
    hardened.add(next);
    enqueueValue(Object.getPrototypeOf(next));
    const descs = Object.getOwnPropertyDescriptors(next);
    for (const key of Reflect.ownKeys(descs)) {
      const desc = descs[key];
      if ('value' in desc) enqueueValue(desc.value);
      else { enqueueValue(desc.get); enqueueValue(desc.set); }
    }
    lockProperties(next, descs);
    if (NON_EXTENSIBLE.has(next)) Object.preventExtensions(next);
  }
  queue = null;
}

/**
 * Makes the bindings of this realm's global object read-only (after reading the lazy
 * ones once): code that reached it anyway could not replace JSON, Array, … for the runner.
 */
function lockGlobal() {
  for (const key of Reflect.ownKeys(globalThis)) {
    const desc = Object.getOwnPropertyDescriptor(globalThis, key);
    if (desc === undefined || !desc.configurable) continue;
    let value;
    try { value = globalThis[key]; } catch { continue; }
    Object.defineProperty(globalThis, key, { value, writable: false, enumerable: desc.enumerable, configurable: false });
  }
}

// Core modules not loaded and frozen at start-up: deprecated aliases and experimental
// ones (loading them prints a warning), and those the permission model refuses anyway.
const NOT_PRELOADED = new Set(['sys', 'punycode', 'wasi', 'inspector', 'inspector/promises', 'test', 'test/reporters', 'sea', 'sqlite']);

/**
 * Loads and freezes every core module now: `import()` hands an action the real module
 * objects, so none may be left for an action to patch before another uses it.
 */
function hardenModules(builtinRequire, builtinModules) {
  for (const name of builtinModules) {
    if (NOT_PRELOADED.has(name) || name.startsWith('_')) continue;
    let real;
    try { real = builtinRequire(`node:${name}`); } catch { continue; }
    if (name === 'module') hardenModuleLoader(real);
    else harden(real);
  }
}

// Node's CommonJS loader keeps its caches in properties of Module: those stay mutable
// (realm.js checks that what it resolves stays inside the version's node_modules, so a
// poisoned cache entry cannot make another version load a file of someone else's).
const LOADER_STATE = new Set(['_cache', '_pathCache', '_extensions', 'globalPaths']);

function hardenModuleLoader(Module) {
  hardened.add(Module);
  for (const key of Reflect.ownKeys(Module)) {
    const desc = Object.getOwnPropertyDescriptor(Module, key);
    if (LOADER_STATE.has(key)) continue;
    if ('value' in desc) harden(desc.value);
    else { harden(desc.get); harden(desc.set); }
    if (desc.configurable) Object.defineProperty(Module, key, 'value' in desc ? { writable: false, configurable: false } : { configurable: false });
  }
  harden(Object.getPrototypeOf(Module));
}

/**
 * Replaces, on Node's real module objects (which `import()` hands to actions as they
 * are), the functions an action must not call: always forbidden (`deny`), or forbidden
 * when called from action code (`guard`: Node's own modules use them, e.g. the domain
 * module creates an async hook when it loads). `inAction()` tells whether action code
 * is running. Done before any module is frozen; the runner keeps the originals it needs.
 */
let sealed = false;

/** From now on, the functions `neuterModules` guards refuse every caller (the runner is set up). */
function sealRunner() { sealed = true; }

function neuterModules(builtinRequire, inAction) {
  const replace = (object, key, make) => {
    const desc = object !== null && object !== undefined ? Object.getOwnPropertyDescriptor(object, key) : undefined;
    if (desc !== undefined && desc.configurable && typeof desc.value === 'function') {
      Object.defineProperty(object, key, { value: make(desc.value), writable: true, configurable: true, enumerable: desc.enumerable });
    }
  };
  const deny = (object, key, what) => replace(object, key, () => forbidden(what, key));
  // Once the runner has started (`sealRunner`), these refuse every caller, not only code under
  // an action's store: code that escapes Node's context propagation (a callback V8 or Node
  // schedules from no context) cannot pass for the runner's. Node's own modules that call them
  // do so while loading, at start-up.
  const guard = (object, key, what) => replace(object, key, (original) => {
    const guarded = function (...args) {
      if (sealed || inAction()) throw forbiddenError(what);
      return new.target === undefined ? Reflect.apply(original, this, args) : Reflect.construct(original, args, new.target);
    };
    Object.defineProperty(guarded, 'name', { value: key });
    return guarded;
  });
  const guardInAction = (object, key, what) => replace(object, key, (original) => {
    const guarded = function (...args) {
      if (inAction()) throw forbiddenError(what);
      return new.target === undefined ? Reflect.apply(original, this, args) : Reflect.construct(original, args, new.target);
    };
    Object.defineProperty(guarded, 'name', { value: key });
    return guarded;
  });
  builtinRequire('node:domain'); // creates its async hook now, not inside an action
  const os = builtinRequire('node:os');
  deny(os, 'setPriority', 'os.setPriority()');
  const v8 = builtinRequire('node:v8');
  for (const key of ['setFlagsFromString', 'getHeapSnapshot', 'writeHeapSnapshot', 'setHeapSnapshotNearHeapLimit', 'takeCoverage', 'stopCoverage']) deny(v8, key, `v8.${key}()`);
  const asyncHooks = builtinRequire('node:async_hooks');
  guard(asyncHooks, 'createHook', 'async_hooks.createHook()');
  guard(asyncHooks, 'executionAsyncResource', 'async_hooks.executionAsyncResource()');
  // Node's own modules publish through channels (http, net, undici): subscribing,
  // which would show an action the requests of the others, is what is forbidden.
  const dc = builtinRequire('node:diagnostics_channel');
  guard(dc, 'subscribe', 'diagnostics_channel.subscribe()');
  const channelProto = Object.getPrototypeOf(dc.channel('gatehouse.probe'));
  guard(channelProto, 'subscribe', 'Channel.subscribe()');
  guard(channelProto, 'bindStore', 'Channel.bindStore()');
  if (typeof dc.tracingChannel === 'function') {
    guard(Object.getPrototypeOf(dc.tracingChannel('gatehouse.probe')), 'subscribe', 'TracingChannel.subscribe()');
  }
  // Process-wide settings of the network and crypto stacks, which every action uses.
  const dns = builtinRequire('node:dns');
  for (const target of [dns, dns.promises]) {
    for (const key of ['setServers', 'setDefaultResultOrder']) deny(target, key, `dns.${key}()`);
  }
  const net = builtinRequire('node:net');
  deny(net, 'setDefaultAutoSelectFamily', 'net.setDefaultAutoSelectFamily()');
  deny(net, 'setDefaultAutoSelectFamilyAttemptTimeout', 'net.setDefaultAutoSelectFamilyAttemptTimeout()');
  deny(builtinRequire('node:http'), 'setMaxIdleHTTPParsers', 'http.setMaxIdleHTTPParsers()');
  const crypto = builtinRequire('node:crypto');
  deny(crypto, 'setEngine', 'crypto.setEngine()');
  deny(crypto, 'setFips', 'crypto.setFips()');
  const traceEvents = builtinRequire('node:trace_events');
  deny(traceEvents, 'createTracing', 'trace_events.createTracing()');
  const vm = builtinRequire('node:vm');
  guard(vm, 'runInThisContext', 'vm.runInThisContext() in the runner\'s context');
  guard(vm, 'measureMemory', 'vm.measureMemory()');
  guard(vm.Script.prototype, 'runInThisContext', 'Script.runInThisContext() in the runner\'s context');
  replace(vm, 'compileFunction', (compileFunction) => function (code, params, options) {
    if ((sealed || inAction()) && (options === null || typeof options !== 'object' || !options.parsingContext)) {
      throw forbiddenError('vm.compileFunction() in the runner\'s context');
    }
    return compileFunction(code, params, options);
  });
  const repl = builtinRequire('node:repl');
  deny(repl, 'start', 'repl.start()');
  deny(repl, 'REPLServer', 'repl.REPLServer');
  // The real process object: import('node:process') hands it to actions. Its members
  // that reach the runner (its main module, its handles) or change the worker for
  // everyone (listeners of its uncaught-error events, the working directory) throw
  // when called from action code.
  Object.defineProperty(process, 'mainModule', { value: undefined, writable: false, configurable: false });
  // (Action code only: Node's fatal-error path calls `_rawDebug` at any time.)
  for (const key of ['_getActiveHandles', '_getActiveRequests', 'setUncaughtExceptionCaptureCallback', 'chdir', 'setSourceMapsEnabled',
    'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups', 'getBuiltinModule', '_linkedBinding', '_rawDebug']) {
    guardInAction(process, key, `process.${key}()`);
  }
  // Listeners: only for the events through which the runner attributes errors and Node
  // reports warnings (Node's own code adds listeners for other events at any time).
  const PROTECTED_EVENTS = new Set(['uncaughtException', 'uncaughtExceptionMonitor', 'unhandledRejection', 'rejectionHandled', 'warning', 'exit', 'beforeExit']);
  for (const key of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners']) {
    const original = process[key];
    const guarded = function (event, ...rest) {
      if ((PROTECTED_EVENTS.has(event) || (key === 'removeAllListeners' && event === undefined)) && inAction()) {
        throw forbiddenError(`process.${key}('${String(event)}') on the runner's process`);
      }
      return Reflect.apply(original, this, [event, ...rest]);
    };
    Object.defineProperty(guarded, 'name', { value: key });
    Object.defineProperty(process, key, { value: guarded, writable: true, configurable: true, enumerable: false });
  }
  // The CommonJS loader of the runner's realm: loading a file with it would run code
  // here, and its cache holds the runner's modules.
  const Module = builtinRequire('node:module');
  for (const key of ['_load', 'createRequire', 'runMain', '_initPaths', 'register', '_preloadModules', 'syncBuiltinESMExports']) guard(Module, key, `module.${key}()`);
  for (const key of ['require', '_compile', 'load']) guard(Module.prototype, key, `Module.prototype.${key}()`);
}

/**
 * Locks the shared objects `import()` hands every action as they are, which are instances
 * (so `harden` leaves them mutable) and which Node's own code uses for every action:
 *
 * - `http.globalAgent` and `https.globalAgent` (`require` gives each realm an agent of its
 *   own, `import('node:https')` the shared one): their methods become own read-only
 *   properties, their options and listeners are frozen, so an action cannot wrap
 *   `addRequest` or listen for `free` sockets to see another action's requests.
 * - The process's listeners of the events through which the runner attributes errors:
 *   `process._events.uncaughtException` and `unhandledRejection` are made permanent (the
 *   listener methods are guarded already; this closes assigning `_events` directly), so an
 *   action cannot remove the runner's handler and end the worker with a throw from a timer.
 */
function lockSharedInstances(builtinRequire) {
  for (const name of ['node:http', 'node:https']) {
    const agent = builtinRequire(name).globalAgent;
    for (let proto = Object.getPrototypeOf(agent); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Reflect.ownKeys(proto)) {
        if (key === 'constructor' || Object.prototype.hasOwnProperty.call(agent, key)) continue;
        const desc = Object.getOwnPropertyDescriptor(proto, key);
        if (typeof desc.value === 'function') {
          Object.defineProperty(agent, key, { value: desc.value, writable: false, configurable: false, enumerable: false });
        }
      }
    }
    Object.freeze(agent.options);
    Object.freeze(agent._events);
    for (const key of ['options', '_events', '_eventsCount', '_maxListeners', 'requests', 'sockets', 'freeSockets', 'keepAlive',
      'keepAliveMsecs', 'maxSockets', 'maxFreeSockets', 'maxTotalSockets', 'scheduling', 'defaultPort', 'protocol']) {
      if (Object.prototype.hasOwnProperty.call(agent, key)) Object.defineProperty(agent, key, { writable: false, configurable: false });
    }
  }
  const events = process._events;
  for (const key of ['uncaughtException', 'unhandledRejection']) {
    if (Object.prototype.hasOwnProperty.call(events, key)) Object.defineProperty(events, key, { writable: false, configurable: false });
  }
  Object.defineProperty(process, '_events', { writable: false, configurable: false });
}

module.exports = {
  harden, hardenIntrinsics, hardenModules, lockGlobal, lockSharedInstances, neuterModules, sealRunner, forbidden, forbiddenError, hardened,
  FORBIDDEN,
};
