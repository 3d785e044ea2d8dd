'use strict';
// Runs one flow request: the bound actions in order, each with its own deep copy of
// the event (the original plus what earlier actions made visible) and a fresh api,
// within the flow's time budget. Hands the `result` frame, a JSON string, to a
// callback.

const { AsyncResource } = require('node:async_hooks');
const { performance } = require('node:perf_hooks');
const { isPromise } = require('node:util').types;
const { als, tokenFor, LEFTOVER, LogBuffer } = require('./capture');
const { buildApi } = require('./api');
const { FlowCache } = require('./cache');
const { ActionError, BudgetExceeded, describe } = require('./errors');
const { RuleChain } = require('./rules');
const hooks = require('./hooks');
const blame = require('./blame');

// Captured before any action code runs, so an action replacing the globals cannot
// disable the budget timer.
const setTimer = setTimeout;
const clearTimer = clearTimeout;
const performanceNow = performance.now.bind(performance);
const now = () => performanceNow();

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

/** Marks an exception thrown by the runner itself (not by action code). */
class PlatformFailure extends Error {
  constructor(cause) { super(cause && cause.message ? cause.message : String(cause)); this.cause = cause; }
}

/**
 * Deep copy of JSON data (the event is parsed JSON and only ever updated with
 * JSON-normalised values). Own keys only; "__proto__" stays a plain key.
 */
function copyJson(value) {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array(length);
    for (let i = 0; i < length; i++) out[i] = copyJson(value[i]);
    return out;
  }
  const out = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: copyJson(value[key]), writable: true, enumerable: true, configurable: true });
    } else {
      out[key] = copyJson(value[key]);
    }
  }
  return out;
}

/** The runner-owned view of the event for one flow. */
class FlowState {
  constructor(request, limits, clock) {
    this.base = request.event;
    // Keys set to undefined by earlier actions, also those of an earlier part of the
    // flow that ran on another worker (`transient` in the request, PROTOCOL.md §4).
    this.transient = Array.isArray(request.transient)
      ? request.transient.filter((t) => isObject(t) && Array.isArray(t.segments) && typeof t.key === 'string')
      : [];
    this.limits = limits;
    this.now = clock;
    this.facts = isObject(request.facts) ? request.facts : {};
    this.cache = new FlowCache(request.cache, limits.cache, clock);
  }

  setTransient(segments, key) {
    this.clearTransient(segments, key);
    this.transient.push({ segments, key });
    const target = segments.reduce((node, s) => (isObject(node) ? node[s] : undefined), this.base);
    if (isObject(target)) delete target[key];
  }

  clearTransient(segments, key) {
    if (this.transient.length === 0) return;
    const target = segments.join('.');
    this.transient = this.transient.filter((t) => t.key !== key || t.segments.join('.') !== target);
  }

  /** What a fail-open action may change and must not leave behind when it fails. */
  checkpoint() {
    return { base: copyJson(this.base), transient: this.transient.slice(), cache: this.cache.checkpoint() };
  }

  restore(checkpoint) {
    this.base = checkpoint.base;
    this.transient = checkpoint.transient;
    this.cache.restore(checkpoint.cache);
  }

  /** What a later part of the flow needs to go on from here (`return_state`). */
  stateJson() {
    const cache = {};
    const at = this.now();
    for (const [key, entry] of this.cache.entries) {
      if (entry.expires_at > at) cache[key] = { value: entry.value, expires_at: entry.expires_at };
    }
    return JSON.stringify({ event: this.base, transient: this.transient, cache });
  }

  /**
   * A private deep copy of the event for one action, with that action's secrets, made
   * of the objects of the action's realm.
   */
  eventFor(action, realm) {
    return realm.helpers.eventFor(this.base, this.transient, action.secrets);
  }
}

/** Per-action execution record; its token is the AsyncLocalStorage store while the action runs. */
class Execution {
  constructor(flow, handlerKind, versionId) {
    this.flow = flow;
    this.versionId = versionId; // whose timers these are (blame.js)
    this.limits = flow.limits;
    this.handlerKind = handlerKind;
    this.logs = new LogBuffer(flow.limits.max_log_bytes);
    this.closed = false;
    this.commands = ''; // the recorded commands' JSON, comma-separated
    this.commandCount = 0;
    this.commandBytes = 0;
    this.stop = false;
    this.suspend = null;
    this.event = null;
    this.realm = null;
    this.api = null; // a rule's api (rules.js records the chain's outcome on the last one)
    this.fail = null;
    this.token = tokenFor(this); // the AsyncLocalStorage store while the action runs
  }
}

// The budget timer. Creating and clearing a timer for every flow is a measurable part
// of a short flow, so one timer serves all flows lazily: it is armed for the deadline
// of the flow that first waits on an action, and when it fires for an earlier deadline
// than the one now in force it re-arms itself for the remainder. `waiting` is the
// callback of the action currently awaited (null when none is).
const budget = { timer: null, deadline: 0, active: 0, waiting: null };

function onBudgetTimer() {
  budget.timer = null;
  if (budget.waiting === null) return; // nothing awaited; the next wait re-arms
  if (budget.active <= budget.deadline) {
    budget.waiting();
    return;
  }
  budget.deadline = budget.active;
  budget.timer = setTimer(onBudgetTimer, Math.max(0, budget.active - now()));
}

function armBudget(deadline, onTimeout) {
  budget.active = deadline;
  budget.waiting = onTimeout;
  if (budget.timer !== null) {
    if (budget.deadline <= deadline) return; // fires first, then re-arms for the rest
    clearTimer(budget.timer);
  }
  budget.deadline = deadline;
  budget.timer = setTimer(onBudgetTimer, Math.max(0, deadline - now()));
}

// Runner-made errors are recognised by identity, without touching the thrown value
// (instanceof would run a hostile Proxy's getPrototypeOf trap).
const runnerErrors = new WeakMap();
function mark(error, kind) { runnerErrors.set(error, kind); return error; }
function isBudgetExceeded(thrown) { return isObjectLike(thrown) && runnerErrors.get(thrown) === 'budget'; }
function isPlatformFailure(thrown) { return isObjectLike(thrown) && runnerErrors.get(thrown) === 'platform'; }
function isObjectLike(value) { return value !== null && (typeof value === 'object' || typeof value === 'function'); }
const budgetExceeded = () => mark(new BudgetExceeded(), 'budget');

function round(ms) { return Math.round(ms * 1000) / 1000; }

const RESOLVED = Promise.resolve();

// The runner's own asynchronous context (no execution in the AsyncLocalStorage).
// A promise inherits the context it is created in; the flow's continuations must be
// created in this one, never in an action's (see wait()).
const runnerScope = new AsyncResource('GATEHOUSE_RUNNER');

// Strings JSON.stringify would copy verbatim (no quote, backslash, control character
// or surrogate): quoting them by hand is several times faster for short strings.
const VERBATIM = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
function quote(text) {
  return text.length <= 256 && VERBATIM.test(text) ? `"${text}"` : JSON.stringify(text);
}

function failedResult(id, message) {
  const error = { name: 'Error', message, stack: null, class: 'platform_error' };
  return JSON.stringify({ type: 'result', id, status: 'failed', actions: [], suspended: null, error });
}

function checkRequest(request, catalog) {
  const plan = catalog.triggers.get(request.trigger);
  if (plan === undefined) return `unknown trigger ${JSON.stringify(request.trigger)}`;
  if (request.handler !== 'execute' && request.handler !== 'continue') return 'handler must be "execute" or "continue"';
  if (request.handler === 'continue' && plan.handlers.continue === undefined) {
    return `trigger ${request.trigger} has no continue handler`;
  }
  if (!isObject(request.event)) return 'event must be an object';
  if (!Array.isArray(request.actions)) return 'actions must be an array';
  const { actions } = request;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (!isObject(action) || typeof action.name !== 'string' || (action.code !== undefined && typeof action.code !== 'string')
        || (typeof action.version_id !== 'string' && typeof action.version_id !== 'number')) {
      return `actions[${i}] must have a string name, a version_id and, if any, string code`;
    }
  }
  return null;
}

/**
 * The `missing_code` answer (PROTOCOL.md §5) when some action came without its code and
 * this worker has no compiled module of its version (never had one, evicted it, or its
 * top level threw); null when every action can run.
 */
function missingCode(request, loader) {
  let missing = null;
  for (const action of request.actions) {
    if (action.code === undefined && !loader.has(action)) (missing || (missing = [])).push(action.version_id);
  }
  if (missing === null) return null;
  const id = request.id === undefined ? null : request.id;
  return JSON.stringify({ type: 'missing_code', id, version_ids: missing });
}

/** The module's exports and its handler, read under the action's store (see startAction). */
function handlerOf(actionModule, handlerName) {
  const exported = actionModule.exports;
  return { exported, handler: exported !== null && exported !== undefined ? exported[handlerName] : undefined };
}

function hasThen(value) { return typeof value.then === 'function'; }

/** Awaits what the handler returned; called under the action's store (see wait). */
function awaitReturned(realm, returned, onFulfilled, onRejected) {
  // A promise of the action's realm is awaited with that realm's original `then` (as
  // Promise.resolve(p).then would in a single realm: same microtask turns); anything else
  // thenable goes through Promise.resolve.
  if (isPromise(returned)) realm.helpers.promiseThen(returned, onFulfilled, onRejected);
  else Promise.resolve(returned).then(onFulfilled, onRejected);
}

/** What a thrown value means for the action: its timeout, a platform failure, or its error. */
function classifyThrown(thrown, budgetMs) {
  if (isBudgetExceeded(thrown)) {
    return {
      name: 'TimeoutError',
      message: `The flow exceeded its time budget of ${budgetMs} ms while this action was running`,
      stack: null,
      class: 'action_timeout',
    };
  }
  if (isPlatformFailure(thrown)) return describe(thrown.cause, 'platform_error');
  return describe(thrown, 'action_error');
}

function callHandler(handler, exported, event, api) {
  return Reflect.apply(handler, exported, [event, api]);
}

/**
 * One flow request in progress. Written as explicit continuations rather than async
 * functions: with AsyncLocalStorage enabled every promise costs init/before/after
 * hooks, and the async/await version created half as many again (20 promises for a
 * 3-action flow, now 13, three of them the handlers' own). The microtask schedule
 * seen by action code is unchanged: an action is closed two microtask turns after
 * its handler's promise settles (work it left queued until then still counts), and
 * the next action starts one turn after that.
 */
class FlowRun {
  constructor(request, catalog, loader, done) {
    this.request = request;
    this.loader = loader;
    this.done = done;
    this.id = request.id === undefined ? null : request.id;
    this.started = now();
    this.budgetMs = Number.isFinite(request.budget_ms) && request.budget_ms > 0 ? request.budget_ms : 20000;
    this.deadline = this.started + this.budgetMs;
    const epoch = Number.isFinite(request.now) ? request.now : Date.now();
    const started = this.started;
    this.flow = new FlowState(request, catalog.limits, () => epoch + (now() - started));
    this.plan = catalog.triggers.get(request.trigger);
    this.actions = request.actions;
    this.index = 0;
    this.results = '';
    this.status = 'completed';
    this.suspended = 'null';
    this.recycle = false;
    // The action in progress:
    this.execution = null;
    this.actionStarted = 0;
    // Taken before a fail-open action starts (null otherwise).
    this.checkpoint = null;
    // The legacy rules' shared user and context, made at the first rule (rules.js).
    this.rules = null;
  }

  /** Starts the action at `index`; finishes the flow when there is none left. */
  next() {
    try {
      if (this.index >= this.actions.length) {
        this.finish();
        return;
      }
      this.startAction();
    } catch (e) {
      this.crash(e);
    }
  }

  startAction() {
    const { plan, flow } = this;
    const action = this.actions[this.index];
    // Rules have no continue handler: on a resume they all run again (rules.js).
    const handlerKind = this.index === 0 && this.request.handler === 'continue' && action.rule !== true ? 'continue' : 'execute';
    blame.markRunning(action.version_id);
    const execution = new Execution(flow, handlerKind, action.version_id);
    this.execution = execution;
    this.actionStarted = now();
    this.checkpoint = action.fail_open === true ? flow.checkpoint() : null;
    try {
      if (this.actionStarted >= this.deadline) throw budgetExceeded();
      if (action.rule === true) {
        this.startRule(action, execution);
        return;
      }
      if (typeof action.hook === 'string') {
        this.startHook(action, execution);
        return;
      }
      const { entry, event, api } = this.enterRealm(action, execution, true);
      execution.event = event;
      const actionModule = this.loader.evaluate(entry, action, execution);
      const handlerName = plan.handlers[handlerKind];
      // Reading what the action made may run its code (a getter on `module.exports`, a
      // `then` getter): under its store, like the handler itself.
      const { exported, handler } = als.run(execution.token, handlerOf, actionModule, handlerName);
      if (typeof handler !== 'function') {
        throw new ActionError(`The action does not export a "${handlerName}" function`);
      }
      const returned = als.run(execution.token, callHandler, handler, exported, event, api);
      if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')
          && (isPromise(returned) || als.run(execution.token, hasThen, returned))) {
        this.wait(returned, execution);
        return;
      }
      if (now() > this.deadline) throw budgetExceeded();
    } catch (thrown) {
      this.endAction(this.classify(thrown));
      return;
    }
    this.endAction(null);
  }

  /**
   * Finds (or compiles) the realm of `action`'s version and makes what its code gets there: its
   * copy of the event (`withEvent`), its `api`, and whatever `setUp(realm)` adds. A failure here
   * is the platform's, not the action's.
   */
  enterRealm(action, execution, withEvent, setUp) {
    const entry = this.loader.prepare(action);
    const { realm } = entry;
    execution.realm = realm;
    try {
      const event = withEvent ? this.flow.eventFor(action, realm) : undefined;
      const api = buildApi(this.plan, execution, realm);
      if (setUp !== undefined) setUp(realm);
      return { entry, realm, event, api };
    } catch (e) {
      throw mark(new PlatformFailure(e), 'platform');
    }
  }

  /**
   * A legacy rule (PROTOCOL.md §4.3): called with the chain's shared `user` and `context`; its
   * callback settles it, within the flow's budget like an action's promise.
   */
  startRule(action, execution) {
    const { entry, api } = this.enterRealm(action, execution, false, (realm) => {
      if (this.rules === null || this.rules.realm !== realm) this.rules = new RuleChain(this, realm);
    });
    execution.api = api;
    this.wait(this.rules.start(entry, action, execution, api), execution);
  }

  /**
   * A legacy hook (PROTOCOL.md §4.4): its module's exported function, called with the
   * extensibility point's arguments; its callback settles it, within the flow's budget.
   */
  startHook(action, execution) {
    const { entry, realm, event, api } = this.enterRealm(action, execution, true,
      (hookRealm) => hooks.installGlobals(hookRealm, action.hook));
    execution.event = event;
    const hookModule = this.loader.evaluate(entry, action, execution);
    this.wait(hooks.start(hookModule, action, execution, event, api, realm), execution);
  }

  /**
   * After a rule that called back without an error: it counts as executed
   * (`api.rules.wasExecuted`), and the last rule of the chain turns `context` into commands.
   * Returns the error that turning raised, or null.
   */
  afterRule(action, execution) {
    const { facts } = this.flow;
    if (!Array.isArray(facts.executed_rules)) facts.executed_rules = [];
    facts.executed_rules.push(String(action.version_id));
    const next = this.actions[this.index + 1];
    if (execution.stop || (next !== undefined && next.rule === true)) return null;
    try {
      als.run(execution.token, () => this.rules.finish(execution, execution.api));
      return null;
    } catch (thrown) {
      return this.classify(thrown);
    }
  }

  /**
   * Waits for the handler's promise, the flow's budget, or an uncaught asynchronous
   * error of the action, whichever comes first.
   */
  wait(returned, execution) {
    let done = false;
    const settle = (failed, value) => {
      if (done) return;
      done = true;
      budget.waiting = null;
      execution.fail = null;
      RESOLVED.then(() => this.afterWait(failed, value));
    };
    armBudget(this.deadline, () => settle(true, budgetExceeded()));
    // Called from the action's own context (an uncaught error of its timers or
    // promises): the continuation is scheduled from the runner's context instead,
    // as a promise created there inherits it.
    execution.fail = (error) => runnerScope.runInAsyncScope(settle, null, true, error);
    try {
      // Awaiting may run the action's code (a thenable's `then`, a promise's species): it is
      // set up under the action's store, and the outcome comes back in the runner's context.
      als.run(execution.token, awaitReturned, execution.realm, returned,
        (value) => runnerScope.runInAsyncScope(settle, null, false, value),
        (error) => runnerScope.runInAsyncScope(settle, null, true, error));
    } catch (e) {
      settle(true, e);
    }
  }

  afterWait(failed, value) {
    try {
      let error = null;
      if (failed) error = this.classify(value);
      else if (now() > this.deadline) error = this.classify(budgetExceeded());
      this.endAction(error);
    } catch (e) {
      this.crash(e);
    }
  }

  classify(thrown) {
    // Describing a thrown value reads it (getters, a Proxy's traps, a custom inspect): under
    // the store of the action that threw, as its own code.
    const token = this.execution !== null ? this.execution.token : LEFTOVER;
    return als.run(token, classifyThrown, thrown, this.budgetMs);
  }

  /** Closes the current action, records its result and moves on (or stops). */
  endAction(error) {
    const { execution } = this;
    const action = this.actions[this.index];
    if (error === null && action.rule === true) error = this.afterRule(action, execution);
    execution.closed = true;
    const commands = error === null ? execution.commands : '';
    const logs = execution.logs.toString();
    const json = `{"name":${quote(action.name)},"version_id":${typeof action.version_id === 'string' ? quote(action.version_id) : JSON.stringify(action.version_id)},`
      + `"duration_ms":${round(now() - this.actionStarted)},"logs":${logs === '' ? '""' : quote(logs)},`
      + `"error":${error === null ? 'null' : JSON.stringify(error)},"commands":[${commands}]}`;
    this.results = this.index === 0 ? json : `${this.results},${json}`;
    this.execution = null;
    if (error !== null && error.class === 'action_error' && this.checkpoint !== null) {
      // Fail-open: the flow goes on as if this action had not run (its commands are
      // already dropped above). A timeout still fails the flow: the budget is spent.
      this.flow.restore(this.checkpoint);
      this.checkpoint = null;
      this.index += 1;
      RESOLVED.then(() => this.next());
      return;
    }
    if (error !== null) {
      this.status = 'failed';
      if (error.class === 'action_timeout') this.recycle = true;
      this.finish();
      return;
    }
    if (execution.stop) {
      this.status = 'denied';
      this.finish();
      return;
    }
    if (execution.suspend !== null) {
      this.status = 'suspended';
      const { method, args } = execution.suspend;
      this.suspended = `{"action_index":${this.index},"method":"${method}","args":${args}}`;
      this.finish();
      return;
    }
    this.index += 1;
    RESOLVED.then(() => this.next());
  }

  finish() {
    const { id } = this;
    const idJson = typeof id === 'number' && Number.isFinite(id) ? String(id) : typeof id === 'string' ? quote(id) : JSON.stringify(id);
    const state = this.status === 'suspended' || (this.request.return_state === true && this.status === 'completed') ? `,"state":${this.flow.stateJson()}` : '';
    const result = `{"type":"result","id":${idJson},"status":"${this.status}","actions":[${this.results}],`
      + `"suspended":${this.suspended}${this.recycle ? ',"recycle":true' : ''}${state}}`;
    const { done } = this;
    this.done = null;
    done(result);
  }

  /** A fault of the runner itself: answer with a platform_error. */
  crash(e) {
    if (this.done === null) return;
    const done = this.done;
    this.done = null;
    done(null, e);
  }
}

/**
 * Runs a flow request and calls `done(resultJson)` once (possibly before returning),
 * or `done(null, error)` if the runner itself failed. A request naming a version this
 * worker has no code for runs nothing and is answered with `missing_code`.
 */
function runFlow(request, catalog, loader, done) {
  const problem = checkRequest(request, catalog);
  if (problem !== null) {
    done(failedResult(request.id === undefined ? null : request.id, problem));
    return;
  }
  const missing = missingCode(request, loader);
  if (missing !== null) {
    done(missing);
    return;
  }
  new FlowRun(request, catalog, loader, done).next();
}

module.exports = { runFlow, failedResult };
