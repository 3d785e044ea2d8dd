'use strict';
// Compiles action code once per worker per version_id as a CommonJS module and keeps
// it, so module-level state survives between executions (as on Auth0's Node 22
// runtime); the host then sends a version's code only until this worker has it. `require` inside an action resolves Node built-ins and, when the version
// has a node_modules directory, bare package names from that directory only.

const vm = require('node:vm');
const path = require('node:path');
const Module = require('node:module');
const { als } = require('./capture');

const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];
const DYNAMIC_IMPORT = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
const builtinRequire = require;

function notFound(id) {
  const error = new Error(`Cannot find module '${id}'`);
  error.code = 'MODULE_NOT_FOUND';
  return error;
}

function isBare(id) {
  return !id.startsWith('.') && !path.isAbsolute(id) && !id.includes(':');
}

function makeRequire(nodeModules) {
  const resolver = typeof nodeModules === 'string' && path.isAbsolute(nodeModules)
    ? Module.createRequire(path.join(nodeModules, '__gatehouse_action__.js'))
    : null;
  function actionRequire(id) {
    if (typeof id !== 'string' || id === '') throw new TypeError('require() expects a non-empty string');
    if (Module.isBuiltin(id)) return builtinRequire(id);
    if (resolver !== null && isBare(id)) return resolver(id);
    throw notFound(id);
  }
  actionRequire.resolve = function resolve(id) {
    if (typeof id !== 'string' || id === '') throw new TypeError('require.resolve() expects a non-empty string');
    if (Module.isBuiltin(id)) return id;
    if (resolver !== null && isBare(id)) return resolver.resolve(id);
    throw notFound(id);
  };
  actionRequire.cache = resolver !== null ? resolver.cache : Object.create(null);
  return actionRequire;
}

/** `actions/<name>.js`, the file name stacks show for the action. */
function fileNameFor(action) {
  const raw = typeof action.name === 'string' && action.name !== '' ? action.name : String(action.version_id);
  return `actions/${raw.replace(/[^A-Za-z0-9._-]/g, '_')}.js`;
}

class Loader {
  constructor(maxEntries = 1000) {
    this.maxEntries = maxEntries;
    this.entries = new Map();
  }

  compile(action) {
    const filename = fileNameFor(action);
    const entry = { code: action.code, filename, error: null, fn: null, module: null, require: null, loaded: false };
    try {
      const options = { filename };
      if (DYNAMIC_IMPORT !== undefined) options.importModuleDynamically = DYNAMIC_IMPORT;
      entry.fn = vm.compileFunction(action.code, PARAMETERS, options);
    } catch (e) {
      entry.error = e;
      return entry;
    }
    entry.require = makeRequire(action.node_modules);
    entry.module = { exports: {}, id: filename, filename, loaded: false, children: [], paths: [], require: entry.require };
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
   * Returns the evaluated module of `action`, evaluating it inside `execution`'s context
   * on first use. An action without `code` runs the module compiled for its version.
   */
  load(action, execution) {
    const key = String(action.version_id);
    let entry = this.entries.get(key);
    if (entry === undefined || (action.code !== undefined && entry.code !== action.code)) {
      if (typeof action.code !== 'string') throw new TypeError('the action has no code');
      entry = this.compile(action);
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value);
    } else if (action.code !== undefined) {
      this.entries.delete(key); // most recently used (has() does it for actions without code)
      this.entries.set(key, entry);
    }
    if (entry.error !== null) throw entry.error;
    if (!entry.loaded) {
      const { module } = entry;
      try {
        als.run(execution, () => entry.fn.call(module.exports, module.exports, entry.require, module, entry.filename, 'actions'));
      } catch (e) {
        this.entries.delete(key); // a module whose top level threw is evaluated afresh next time
        throw e;
      }
      entry.loaded = true;
      module.loaded = true;
    }
    return entry.module;
  }
}

/** Emits Node's one-time experimental warning for dynamic import now, outside any action. */
function warmUp() {
  if (DYNAMIC_IMPORT !== undefined) vm.compileFunction('', [], { importModuleDynamically: DYNAMIC_IMPORT });
}

module.exports = { Loader, warmUp, fileNameFor };
