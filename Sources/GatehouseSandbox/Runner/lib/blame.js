'use strict';
// Which action version the worker is running, written where the host reads it when the
// worker dies (PROTOCOL.md §9, "Blame"). A worker that runs out of memory prints no stack,
// and whatever a dying worker printed may have been written by an action: the host trusts
// only this record. It goes to descriptor 3, an in-memory file the host opened write-only
// for the worker, and starts with a nonce the host sent in the `init` frame (on stdin, which
// actions cannot read), so an action can neither read the record nor forge one naming
// another action; nor can it write to, truncate or close descriptor 3 (capture.js,
// guardDescriptors: this module keeps `fs.writeSync` as it was before).
//
// The record is rewritten only when the running version changes: at the start of each
// action of a flow, and before every asynchronous callback of action code — a timer, a
// promise continuation, `process.nextTick`, I/O — whose version is not the recorded one
// (work an action left running into a later flow), found with an async hook. A flow of one
// action repeated costs no write; a flow of three distinct actions, three pwrite(2) calls
// (about 1 µs each), and every asynchronous callback a store lookup.

const fs = require('node:fs');

const CHANNEL_FD = 3;
const RECORD_BYTES = 256;
const writeSync = fs.writeSync;
const record = Buffer.alloc(RECORD_BYTES);
let prefix = null;
let marked = null;

/** Starts writing records with `nonce` (the `init` frame's `blame_nonce`). */
function configure(nonce) {
  prefix = typeof nonce === 'string' && /^[0-9a-f]{16,64}$/.test(nonce) ? `${nonce} ` : null;
  marked = null;
}

/** Records that `versionId`'s code runs from now on. */
function markRunning(versionId) {
  if (prefix === null || versionId === marked || typeof versionId !== 'string') return;
  marked = versionId;
  record.fill(0x20);
  record.write(`${prefix}${versionId}\n`, 0, 'utf8');
  try {
    writeSync(CHANNEL_FD, record, 0, RECORD_BYTES, 0);
  } catch {
    prefix = null; // no channel (a runner started by hand): nothing to record
  }
}

/**
 * Records, before each asynchronous callback, the version whose code it is
 * (`versionOfCaller()`: the version of the execution in the callback's async context, or
 * undefined for the runner's own callbacks, which leave the record as it is). Installed at
 * start-up, before action code can run; the hook itself is out of action code's reach.
 */
function trackAsyncCallbacks(versionOfCaller) {
  require('node:async_hooks').createHook({
    before() {
      if (prefix === null) return;
      const versionId = versionOfCaller();
      if (versionId !== undefined && versionId !== marked) markRunning(versionId);
    },
  }).enable();
}

module.exports = { configure, markRunning, trackAsyncCallbacks };
