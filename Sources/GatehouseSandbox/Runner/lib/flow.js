'use strict';
// Runs one flow request: the bound actions in order, each with its own deep copy of
// the event (the original plus what earlier actions made visible) and a fresh api,
// within the flow's time budget. Returns the `result` frame as a JSON string.

const { performance } = require('node:perf_hooks');
const { als, LogBuffer } = require('./capture');
const { buildApi } = require('./api');
const { FlowCache } = require('./cache');
const { ActionError, BudgetExceeded, describe } = require('./errors');

// Captured before any action code runs, so an action replacing the globals cannot
// disable the budget timer.
const setTimer = setTimeout;
const clearTimer = clearTimeout;
const now = () => performance.now();

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
    this.transient = [];
    this.limits = limits;
    this.now = clock;
    this.facts = isObject(request.facts) ? request.facts : {};
    this.timer = null;
    this.onTimeout = null;
    this.cache = new FlowCache(request.cache, limits.cache, clock);
  }

  update(change) {
    change(this.base);
  }

  setTransient(segments, key) {
    this.clearTransient(segments, key);
    this.transient.push({ segments, key });
    this.update((base) => {
      const target = segments.reduce((node, s) => (isObject(node) ? node[s] : undefined), base);
      if (isObject(target)) delete target[key];
    });
  }

  clearTransient(segments, key) {
    const target = segments.join('.');
    this.transient = this.transient.filter((t) => t.key !== key || t.segments.join('.') !== target);
  }

  /** A private deep copy of the event for one action, with that action's secrets. */
  eventFor(action) {
    const event = copyJson(this.base);
    for (const { segments, key } of this.transient) {
      let node = event;
      for (const s of segments) {
        if (!isObject(node[s])) node[s] = {};
        node = node[s];
      }
      Object.defineProperty(node, key, { value: undefined, writable: true, enumerable: true, configurable: true });
    }
    event.secrets = isObject(action.secrets) ? { ...action.secrets } : {};
    return event;
  }
}

/** Per-action execution record; also the AsyncLocalStorage store while the action runs. */
class Execution {
  constructor(flow, handlerKind) {
    this.flow = flow;
    this.limits = flow.limits;
    this.handlerKind = handlerKind;
    this.logs = new LogBuffer(flow.limits.max_log_bytes);
    this.closed = false;
    this.commands = [];
    this.commandBytes = 0;
    this.stop = false;
    this.suspend = null;
    this.event = null;
    this.fail = null;
  }
}

/**
 * Waits for the handler's promise, the flow's budget timer, or an uncaught
 * asynchronous error of the action. One timer serves the whole flow.
 */
function settle(promise, execution, flow, deadline) {
  return new Promise((resolve, reject) => {
    if (flow.timer === null) {
      flow.timer = setTimer(() => { if (flow.onTimeout !== null) flow.onTimeout(); }, Math.max(0, deadline - now()));
    }
    let done = false;
    const finish = (settleWith, value) => {
      if (done) return;
      done = true;
      flow.onTimeout = null;
      execution.fail = null;
      settleWith(value);
    };
    flow.onTimeout = () => finish(reject, budgetExceeded());
    execution.fail = (error) => finish(reject, error);
    Promise.resolve(promise).then((value) => finish(resolve, value), (error) => finish(reject, error));
  });
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

async function runAction(plan, action, handlerKind, flow, loader, deadline, budgetMs) {
  const execution = new Execution(flow, handlerKind);
  const started = now();
  let error = null;
  try {
    if (started >= deadline) throw budgetExceeded();
    let event;
    let api;
    try {
      event = flow.eventFor(action);
      api = buildApi(plan, execution);
    } catch (e) {
      throw mark(new PlatformFailure(e), 'platform');
    }
    execution.event = event;
    const actionModule = loader.load(action, execution);
    const handlerName = plan.handlers[handlerKind];
    const exported = actionModule.exports;
    const handler = exported !== null && exported !== undefined ? exported[handlerName] : undefined;
    if (typeof handler !== 'function') {
      throw new ActionError(`The action does not export a "${handlerName}" function`);
    }
    const returned = als.run(execution, () => Reflect.apply(handler, exported, [event, api]));
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')
        && typeof returned.then === 'function') {
      await settle(returned, execution, flow, deadline);
    }
    if (now() > deadline) throw budgetExceeded();
  } catch (thrown) {
    if (isBudgetExceeded(thrown)) {
      error = {
        name: 'TimeoutError',
        message: `The flow exceeded its time budget of ${budgetMs} ms while this action was running`,
        stack: null,
        class: 'action_timeout',
      };
    } else if (isPlatformFailure(thrown)) {
      error = describe(thrown.cause, 'platform_error');
    } else {
      error = describe(thrown, 'action_error');
    }
  }
  execution.closed = true;
  const commands = error === null ? execution.commands.join(',') : '';
  const json = `{"name":${JSON.stringify(action.name)},"version_id":${JSON.stringify(action.version_id)},`
    + `"duration_ms":${round(now() - started)},"logs":${JSON.stringify(execution.logs.toString())},`
    + `"error":${error === null ? 'null' : JSON.stringify(error)},"commands":[${commands}]}`;
  return { json, execution, error };
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
  for (const [i, action] of request.actions.entries()) {
    if (!isObject(action) || typeof action.name !== 'string' || typeof action.code !== 'string'
        || (typeof action.version_id !== 'string' && typeof action.version_id !== 'number')) {
      return `actions[${i}] must have a string name, a version_id and string code`;
    }
  }
  return null;
}

/** Runs a flow request; never throws. */
async function runFlow(request, catalog, loader) {
  const id = request.id === undefined ? null : request.id;
  const problem = checkRequest(request, catalog);
  if (problem !== null) return failedResult(id, problem);
  const started = now();
  const budgetMs = Number.isFinite(request.budget_ms) && request.budget_ms > 0 ? request.budget_ms : 20000;
  const deadline = started + budgetMs;
  const epoch = Number.isFinite(request.now) ? request.now : Date.now();
  const flow = new FlowState(request, catalog.limits, () => epoch + (now() - started));
  const plan = catalog.triggers.get(request.trigger);
  const results = [];
  let status = 'completed';
  let suspended = 'null';
  let recycle = false;
  for (let i = 0; i < request.actions.length; i++) {
    const kind = i === 0 && request.handler === 'continue' ? 'continue' : 'execute';
    const outcome = await runAction(plan, request.actions[i], kind, flow, loader, deadline, budgetMs);
    results.push(outcome.json);
    if (outcome.error !== null) {
      status = 'failed';
      if (outcome.error.class === 'action_timeout') recycle = true;
      break;
    }
    if (outcome.execution.stop) { status = 'denied'; break; }
    if (outcome.execution.suspend !== null) {
      status = 'suspended';
      const { method, args } = outcome.execution.suspend;
      suspended = `{"action_index":${i},"method":"${method}","args":${args}}`;
      break;
    }
  }
  if (flow.timer !== null) clearTimer(flow.timer);
  return `{"type":"result","id":${JSON.stringify(id)},"status":"${status}","actions":[${results.join(',')}],`
    + `"suspended":${suspended}${recycle ? ',"recycle":true' : ''}}`;
}

module.exports = { runFlow, failedResult };
