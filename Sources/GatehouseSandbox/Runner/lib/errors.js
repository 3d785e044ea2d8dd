'use strict';
// Turns anything an action throws into the protocol's error object
// {name, message, code?, stack, class}, with runner and Node-internal stack frames
// removed so the stack names the action (`actions/<name>.js`) and its packages.

const path = require('node:path');
const util = require('node:util');

const RUNNER_DIR = path.resolve(__dirname, '..');
const MAX_MESSAGE = 4096;
const MAX_STACK = 16384;

/** An error raised by the runner on behalf of the action (missing export, …). */
class ActionError extends Error {}

/** The flow's time budget elapsed while this action was running. */
class BudgetExceeded extends Error {}

function bounded(text, max) {
  return text.length <= max ? text : `${text.slice(0, max)}… [truncated]`;
}

function isInternalFrame(line) {
  return line.includes(RUNNER_DIR) || line.includes('(node:') || /^\s*at node:/.test(line);
}

/** Removes runner and Node-internal frames from a V8 stack string. */
function cleanStack(stack) {
  if (typeof stack !== 'string') return null;
  const lines = stack.split('\n');
  const kept = [];
  for (const line of lines) {
    if (/^\s+at /.test(line) && isInternalFrame(line)) continue;
    kept.push(line);
  }
  return bounded(kept.join('\n'), MAX_STACK);
}

function safeGet(object, key) {
  try { return object[key]; } catch { return undefined; }
}

function render(value) {
  if (typeof value === 'string') return value;
  try {
    return util.inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: MAX_MESSAGE });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Normalises a thrown value. `errorClass` is action_error, action_timeout or platform_error. */
function describe(thrown, errorClass) {
  try {
    return describeValue(thrown, errorClass);
  } catch {
    // A hostile value (e.g. a Proxy whose traps throw) cannot even be inspected.
    return { name: 'Error', message: 'Non-error value thrown: [value could not be inspected]', stack: null, class: errorClass };
  }
}

function describeValue(thrown, errorClass) {
  const isError = thrown instanceof Error || util.types.isNativeError(thrown);
  if (!isError) {
    return {
      name: 'Error',
      message: bounded(`Non-error value thrown: ${render(thrown)}`, MAX_MESSAGE),
      stack: null,
      class: errorClass,
    };
  }
  const name = safeGet(thrown, 'name');
  const message = safeGet(thrown, 'message');
  const code = safeGet(thrown, 'code');
  const result = {
    name: typeof name === 'string' ? name : 'Error',
    message: bounded(typeof message === 'string' ? message : render(message), MAX_MESSAGE),
    stack: cleanStack(safeGet(thrown, 'stack')),
    class: errorClass,
  };
  if (typeof code === 'string' || typeof code === 'number') result.code = code;
  return result;
}

module.exports = { ActionError, BudgetExceeded, describe, cleanStack, RUNNER_DIR };
