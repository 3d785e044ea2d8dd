'use strict';
// Gatehouse Actions runner: a long-lived worker that executes Auth0-compatible
// Actions for the Swift server. Newline-delimited JSON frames: requests on stdin,
// responses on stdout (see PROTOCOL.md). Meant to run under Node's permission model
// with an empty environment; see README.md for the command line.

const capture = require('./lib/capture');
const blame = require('./lib/blame'); // keeps fs.writeSync as it is before guardDescriptors

// Keep what the runner itself needs before any action code can run.
const reallyExit = process.reallyExit;
const realStderr = process.stderr;
const realStderrWrite = process.stderr.write;
const { readInput, emit } = capture.install();

const { currentExecution, inAction } = capture;
const { compileCatalog } = require('./lib/catalog');
const { runFlow, failedResult } = require('./lib/flow');
const { Loader, warmUp } = require('./lib/loader');
const { prepareRealms, routeSharedHttp } = require('./lib/realm');
const { warmUpActions } = require('./lib/warmup');
const { neuterModules, hardenIntrinsics, hardenModules, lockGlobal, lockSharedInstances, sealRunner, forbidden, forbiddenError } = require('./lib/harden');

function diagnostic(text) {
  try { realStderrWrite.call(realStderr, `gatehouse-runner: ${text}\n`); } catch { /* nothing left to do */ }
}

function exit(code) { reallyExit.call(process, code); }

// Action code may not end or signal processes (the worker would die silently, or
// could signal the server). These throw inside the action instead; actions see a
// process object of their own (lib/realm.js), and these guard the real one too.
for (const name of ['exit', 'reallyExit', 'abort', 'kill', '_kill']) {
  if (typeof process[name] === 'function') process[name] = forbidden(`process.${name}()`);
}

// An error escaping asynchronous action code fails the action that scheduled it, if
// it is still running; leftovers of settled actions are ignored.
function asyncFailure(error) {
  const execution = currentExecution();
  if (execution !== undefined) {
    if (!execution.closed && execution.fail !== null) execution.fail(error);
    return;
  }
  if (inAction()) return; // action code under a store that is no execution's
  try {
    diagnostic(`internal error: ${error && error.stack ? error.stack : String(error)}`);
  } catch {
    diagnostic('internal error (unprintable)');
  }
}
process.on('uncaughtException', asyncFailure);
process.on('unhandledRejection', asyncFailure);

warmUp();

// From here on, action code may run: harden the runner's realm (lib/harden.js), which
// every action realm can reach through Node's objects, and forget the runner's own
// modules in require.cache (Node's CommonJS loader is neutered for actions anyway).
routeSharedHttp(() => currentExecution()?.realm);
capture.guardDescriptors(forbiddenError);
blame.trackAsyncCallbacks(() => currentExecution()?.versionId);
neuterModules(require, inAction);
hardenIntrinsics();
lockGlobal();
for (const key of Object.keys(require.cache)) delete require.cache[key];
prepareRealms();
lockSharedInstances(require); // before hardenModules turns prototype methods into accessors
hardenModules(require, require('node:module').builtinModules);

const loader = new Loader();
let catalog = null;

function errorFrame(message, id) {
  const frame = { type: 'error', message };
  if (id !== undefined) frame.id = id;
  return JSON.stringify(frame);
}

/** Answers a flow request; calls `next()` once the answer is out. */
function handleFlow(message, next) {
  const id = message.id === undefined ? null : message.id;
  if (catalog === null) {
    emit(failedResult(id, 'the runner has not received its catalog (init)'));
    next();
    return;
  }
  let answered = false;
  const done = (result, internal) => {
    if (answered) return;
    answered = true;
    if (result !== null) {
      emit(result);
    } else {
      diagnostic(`internal error: ${internal && internal.stack}`);
      emit(failedResult(id, `internal runner error: ${internal && internal.message}`));
    }
    next();
  };
  try {
    runFlow(message, catalog, loader, done);
  } catch (e) {
    done(null, e);
  }
  // A flow still unanswered once the event loop has run its pending I/O waits for I/O or
  // timers: say so with a bare newline, so that the host stops waiting on its own thread
  // (PROTOCOL.md §5, "waiting mark"). A flow answered within its microtasks never gets one.
  if (!answered) setImmediate(() => { if (!answered) emit(''); });
}

/** Handles one request line; calls `next()` once it has been answered. */
function handle(line, next) {
  let message;
  try {
    message = JSON.parse(line);
  } catch (e) {
    emit(errorFrame(`invalid JSON frame: ${e.message}`));
    next();
    return;
  }
  if (message === null || typeof message !== 'object') {
    emit(errorFrame('a frame must be a JSON object'));
    next();
    return;
  }
  switch (message.type) {
    case 'init': {
      let compiled;
      try {
        compiled = compileCatalog(message.catalog);
      } catch (e) {
        emit(errorFrame(e.message));
        break;
      }
      catalog = compiled;
      blame.configure(message.blame_nonce);
      const triggers = [...catalog.triggers.keys()];
      emit(JSON.stringify({
        type: 'ready', node: process.version, protocol: 1, triggers, warm_up_actions: warmUpActions(catalog),
      }));
      break;
    }
    case 'flow':
      handleFlow(message, next);
      return;
    case 'ping':
      emit(JSON.stringify({ type: 'pong', id: message.id === undefined ? null : message.id }));
      break;
    case 'shutdown':
      exit(0);
      return;
    default:
      emit(errorFrame(`unknown frame type ${JSON.stringify(message.type)}`, message.id));
  }
  next();
}

// Requests are handled strictly one at a time, in arrival order. Each one starts in a
// microtask of its own (as action code has always seen it: work an action defers with
// process.nextTick runs after the flow's microtasks), and the next waits until the
// previous one has been answered.
const lines = [];
let busy = false;
let ended = false;
const RESOLVED = Promise.resolve();

function startNext() {
  if (lines.length === 0) {
    busy = false;
    if (ended) exit(0);
    return;
  }
  const line = lines.shift();
  RESOLVED.then(() => handle(line, startNext));
}

// Lines are cut at the newline byte (which never occurs inside a multi-byte UTF-8
// sequence) and decoded whole; the bytes of an unfinished line are copied aside.
let pending = null;
function onData(bytes) {
  let start = 0;
  let newline = bytes.indexOf(10);
  while (newline !== -1) {
    let line;
    if (pending === null) {
      line = bytes.toString('utf8', start, newline);
    } else {
      pending.push(bytes.subarray(start, newline));
      line = Buffer.concat(pending).toString('utf8');
      pending = null;
    }
    if (line.trim() !== '') lines.push(line);
    start = newline + 1;
    newline = bytes.indexOf(10, start);
  }
  if (start < bytes.length) {
    if (pending === null) pending = [];
    pending.push(Buffer.from(bytes.subarray(start)));
  }
  if (!busy && lines.length > 0) {
    busy = true;
    startNext();
  }
}
sealRunner();
readInput(onData, () => {
  ended = true;
  if (!busy) exit(0);
});
