'use strict';
// Compiles action code once per worker per version_id as a CommonJS module, in a realm
// (a V8 context, realm.js) of the version's own, and keeps both, so module-level state
// survives between executions (as on Auth0's Node 22 runtime); the host then sends a
// version's code only until this worker has it. `require` inside an action resolves
// Node built-ins and, when the version has a node_modules directory, bare package names
// from that directory only; packages load into the version's realm.

const vm = require('node:vm');
const { als } = require('./capture');
const { Realm } = require('./realm');
const rules = require('./rules');
const hooks = require('./hooks');

const DYNAMIC_IMPORT = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;

/**
 * How many versions a worker keeps compiled, each with its realm. A realm costs about
 * 0.3 MB of heap once its action ran (BENCHMARKS.md, "One realm per action version");
 * 100 of them fit well under the 128 MB heap cap next to the actions' own data. A
 * version evicted is recompiled, in a fresh realm, the next time its code comes
 * (the host resends it after `missing_code`).
 */
const MAX_ENTRIES = 100;

/** `actions/<name>.js`, the file name stacks show for the action. */
function fileNameFor(action) {
  if (typeof action.hook === 'string') return hooks.hookFileName(action);
  const raw = typeof action.name === 'string' && action.name !== '' ? action.name : String(action.version_id);
  return `actions/${raw.replace(/[^A-Za-z0-9._-]/g, '_')}.js`;
}

class Loader {
  constructor(maxEntries = MAX_ENTRIES) {
    this.maxEntries = maxEntries;
    this.entries = new Map();
    // Realms of versions whose top level threw: the module is evaluated afresh, in the
    // same realm (its globals survive, as they did in the shared realm before).
    this.retired = new Map();
    // Realms shared by key (e.g. a tenant's legacy Rules, which share one `global`):
    // `sharedRealm(key)`; not used by actions.
    this.shared = new Map();
  }

  /** The realm shared by every module compiled for `key` (Rules share one `global`). */
  sharedRealm(key, nodeModules = null) {
    let realm = this.shared.get(key);
    if (realm === undefined) {
      realm = new Realm(key, nodeModules);
      this.shared.set(key, realm);
    }
    return realm;
  }

  compile(action, key, realm) {
    const nodeModules = typeof action.node_modules === 'string' ? action.node_modules : null;
    if (action.rule === true) return this.compileRule(action, nodeModules);
    const filename = fileNameFor(action);
    if (realm === undefined) {
      const retired = this.retired.get(key);
      this.retired.delete(key);
      realm = retired !== undefined && retired.nodeModules === nodeModules ? retired : new Realm(key, nodeModules);
    }
    const entry = { code: action.code, filename, error: null, fn: null, module: null, realm, loaded: false };
    try {
      entry.fn = realm.compile(action.code, filename);
    } catch (e) {
      entry.error = e;
      return entry;
    }
    entry.module = realm.helpers.makeModule(filename, 'actions', []);
    entry.module.require = realm.actionRequire;
    return entry;
  }

  /**
   * A legacy rule (PROTOCOL.md §4.3): its script compiled as the body of a function that
   * returns it, in the realm all rules of the same `node_modules` share (one `global`). The
   * entry has no module: flow.js calls `fn` for each execution.
   */
  compileRule(action, nodeModules) {
    const realm = this.sharedRealm(`rules:${nodeModules === null ? '' : nodeModules}`, nodeModules);
    const filename = rules.ruleFileName(action);
    const entry = { code: action.code, filename, error: null, fn: null, module: null, realm, loaded: true, rule: true };
    try {
      entry.fn = realm.compileFunction(rules.wrapperSource(action.code), rules.PARAMETERS, filename);
    } catch (e) {
      entry.error = e;
    }
    return entry;
  }

  /**
   * Whether `action`'s version is compiled here, so that it may come without its code.
   * A version found becomes the most recently used: compiling the other actions of the
   * same flow cannot evict it before it runs.
   */
  has(action) {
    const key = String(action.version_id);
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  /**
   * The compiled entry of `action` (compiling it in a fresh realm when needed), not yet
   * evaluated: its realm is where the action's event and api are built. An action without
   * `code` gets the entry compiled for its version. Throws the action's syntax error.
   */
  prepare(action) {
    const key = String(action.version_id);
    let entry = this.entries.get(key);
    if (entry === undefined || (action.code !== undefined && entry.code !== action.code)) {
      if (typeof action.code !== 'string') throw new TypeError('the action has no code');
      entry = this.compile(action, key);
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value);
    } else if (action.code !== undefined) {
      this.entries.delete(key); // most recently used (has() does it for actions without code)
      this.entries.set(key, entry);
    }
    if (entry.error !== null) throw entry.error;
    return entry;
  }

  /** Evaluates the entry's module inside `execution`'s context on first use; returns the module. */
  evaluate(entry, action, execution) {
    if (!entry.loaded) {
      const { module } = entry;
      try {
        als.run(execution.token, () => Reflect.apply(entry.fn, module.exports, [module.exports, module.require, module, entry.filename, 'actions']));
      } catch (e) {
        // A module whose top level threw is evaluated afresh next time (the host is
        // asked for its code again), in the same realm.
        const key = String(action.version_id);
        if (this.entries.get(key) === entry) {
          this.entries.delete(key);
          this.retired.set(key, entry.realm);
          if (this.retired.size > this.maxEntries) this.retired.delete(this.retired.keys().next().value);
        }
        throw e;
      }
      entry.loaded = true;
      module.loaded = true;
    }
    return entry.module;
  }

  /** prepare() then evaluate(). */
  load(action, execution) {
    return this.evaluate(this.prepare(action), action, execution);
  }
}

/**
 * Emits Node's one-time experimental warning for dynamic import now, outside any action: Node
 * prints it at the first `import()` made (not compiled), which would otherwise put it in the
 * logs of the first action that imports.
 */
function warmUp() {
  if (DYNAMIC_IMPORT === undefined) return;
  vm.compileFunction("return import('node:os')", [], { importModuleDynamically: DYNAMIC_IMPORT })().catch(() => {});
}

module.exports = { Loader, warmUp, fileNameFor, MAX_ENTRIES };
