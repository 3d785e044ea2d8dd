'use strict';
// Stdio capture. Everything user code prints (console.*, process.stdout.write,
// process.stderr.write, Node warnings) is routed to the log buffer of the action
// execution it belongs to, found through AsyncLocalStorage. Output that belongs to
// no live execution (work left over after a handler settled, a timed-out action
// still running in the background) is discarded, so it can neither corrupt the
// protocol on stdout nor leak into another action's logs.
// Action code also never sees the real stdin (the requests of other flows).

const { AsyncLocalStorage } = require('node:async_hooks');
const { Console } = require('node:console');
const { Readable, Writable } = require('node:stream');

const als = new AsyncLocalStorage();

// The store is an opaque token, not the execution record: AsyncLocalStorage keeps its
// store on every async resource created while it is set — the action's own promises
// included, as a symbol-keyed property the action can read. The token holds the
// execution in a private field, which no reflection reaches (a WeakMap from token to
// execution did the same at twice the runner's CPU per flow: ephemerons in every GC).
let executionOf = null;
class ExecutionToken {
  #execution;

  constructor(execution) {
    this.#execution = execution;
    Object.freeze(this);
  }

  static {
    executionOf = (token) => (typeof token === 'object' && token !== null && #execution in token ? token.#execution : undefined);
  }
}
// Nothing leads from a token back to the class (which could make tokens for any object).
Object.defineProperty(ExecutionToken.prototype, 'constructor', { value: undefined });
Object.freeze(ExecutionToken.prototype);

/** A token for `execution`, to run action code with (`als.run(token, …)`). */
function tokenFor(execution) { return new ExecutionToken(execution); }

/**
 * The store of action code that runs outside any execution: a `FinalizationRegistry` cleanup
 * (realm.js), the runner reading a value no execution owns (flow.js). Action code to every
 * guard (`inAction()`), no execution's to attribute.
 */
const LEFTOVER = Object.freeze(Object.create(null));

/** The execution whose action code is running, if any. */
function currentExecution() { return executionOf(als.getStore()); }

/** Whether action code is running (a live or settled action's, or a forged store). */
function inAction() { return als.getStore() !== undefined; }

/** Bounded log of one action execution (limit in UTF-8 bytes). */
class LogBuffer {
  constructor(limit) {
    this.limit = limit;
    this.parts = [];
    this.bytes = 0;
    this.dropped = 0;
  }

  append(text) {
    const size = Buffer.byteLength(text);
    if (this.dropped > 0) { this.dropped += size; return; }
    if (this.bytes + size <= this.limit) {
      this.parts.push(text);
      this.bytes += size;
      return;
    }
    // Keep the part that fits, cut on a UTF-8 character boundary.
    const buf = Buffer.from(text);
    let cut = this.limit - this.bytes;
    while (cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
    if (cut > 0) this.parts.push(buf.toString('utf8', 0, cut));
    this.bytes += cut;
    this.dropped = size - cut;
  }

  toString() {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    if (this.dropped === 0) return text;
    return `${text}\n[gatehouse: log output truncated, ${this.dropped} more bytes discarded]\n`;
  }
}

function liveExecution() {
  const execution = currentExecution();
  return execution !== undefined && !execution.closed ? execution : undefined;
}

function captureWrite(chunk, encoding, callback) {
  const execution = liveExecution();
  if (execution !== undefined) {
    let text;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk instanceof Uint8Array) text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    else text = String(chunk);
    execution.logs.append(text);
  }
  const cb = typeof encoding === 'function' ? encoding : callback;
  if (typeof cb === 'function' && !noopCallbacks.has(cb)) process.nextTick(cb, null);
  return true;
}

// The write callbacks of the actions' Console (its stdout/stderr error handlers). A
// write that succeeds calls them with null, which does nothing at all: they are not
// scheduled, which saves a tick object per console.* call.
const noopCallbacks = new WeakSet();

/** A writable that files everything written to it into the current action's log. */
class CaptureStream extends Writable {
  constructor(fd) {
    super({ decodeStrings: false });
    this.fd = fd;
    this.isTTY = false;
  }

  // Synchronous, so the output is filed under the execution that wrote it.
  write(chunk, encoding, callback) { return captureWrite(chunk, encoding, callback); }

  _write(chunk, encoding, callback) { captureWrite(chunk); callback(); }
}

/** The runner's descriptors: its requests (0), its answers (1), its diagnostics (2), its blame record (3). */
const RUNNER_FDS = new Set([0, 1, 2, 3]);
const isRunnerFd = (fd) => typeof fd === 'number' && RUNNER_FDS.has(fd);

/**
 * After start-up nobody but the runner — which keeps the originals it needs — may use its
 * descriptors: action code, leftover action code and action code the runner calls without a
 * store (a getter, a `FinalizationRegistry` callback) alike. `fs.write`/`writeSync`/`writev`/
 * `writevSync` on fd 1 or 2 (and streams built on them) go to the action's log, as a
 * console would; every other `fs` function given one of the runner's descriptors —
 * `readSync(0)`, `readFileSync(0)`, `writeFileSync(1, …)`, `appendFileSync(3, …)`,
 * `ftruncate(3)`, `close(1)`, … — throws `ERR_ACTION_FORBIDDEN`. Below the fs module, handles
 * opened on them are refused too (`guardHandleDescriptors`).
 */
function guardStdioDescriptors(forbiddenError) {
  const fs = require('node:fs');
  const { writeSync, write, writevSync, writev } = fs;
  const refuse = (name, fd) => { throw forbiddenError(`fs.${name}() on the runner's descriptor ${fd}`); };
  for (const name of Object.keys(fs)) {
    const original = fs[name];
    // Methods only: classes (ReadStream, Stats, …) keep their identity; their methods call these.
    if (typeof original !== 'function' || /^[A-Z]/.test(name)) continue;
    fs[name] = function (fd, ...rest) {
      if (isRunnerFd(fd)) refuse(name, fd);
      return Reflect.apply(original, this, [fd, ...rest]);
    };
    Object.defineProperty(fs[name], 'name', { value: name });
  }
  const isOutput = (fd) => fd === 1 || fd === 2;
  fs.writeSync = function (fd, buffer, ...rest) {
    if (!isOutput(fd)) {
      if (isRunnerFd(fd)) refuse('writeSync', fd);
      return writeSync.call(this, fd, buffer, ...rest);
    }
    const text = typeof buffer === 'string' ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString('utf8');
    captureWrite(text);
    return typeof buffer === 'string' ? Buffer.byteLength(buffer) : buffer.byteLength;
  };
  fs.write = function (fd, buffer, ...rest) {
    if (!isOutput(fd)) {
      if (isRunnerFd(fd)) refuse('write', fd);
      return write.call(this, fd, buffer, ...rest);
    }
    const callback = rest[rest.length - 1];
    const written = fs.writeSync(fd, buffer);
    if (typeof callback === 'function') process.nextTick(callback, null, written, buffer);
    return undefined;
  };
  const joined = (buffers) => Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  fs.writevSync = function (fd, buffers, ...rest) {
    if (!isOutput(fd)) {
      if (isRunnerFd(fd)) refuse('writevSync', fd);
      return writevSync.call(this, fd, buffers, ...rest);
    }
    return fs.writeSync(fd, joined(buffers));
  };
  fs.writev = function (fd, buffers, ...rest) {
    if (!isOutput(fd)) {
      if (isRunnerFd(fd)) refuse('writev', fd);
      return writev.call(this, fd, buffers, ...rest);
    }
    const callback = rest[rest.length - 1];
    const written = fs.writeSync(fd, joined(buffers));
    if (typeof callback === 'function') process.nextTick(callback, null, written, buffers);
    return undefined;
  };
}

/**
 * Below the fs module, a socket or pipe handle opened on one of the runner's descriptors
 * (`new net.Socket({fd: 1})`, or `new (socket._handle.constructor)(0).open(1)` handed to
 * `new net.Socket({handle})`) would read or write the protocol stream — a result forged for
 * another flow, the requests of the others on stdin — and the host could not tell it from the
 * runner's. Every path ends in the `open(fd)` of Node's TCP, Pipe or UDP handle class: after
 * start-up (the runner's own input is opened first), those refuse the runner's descriptors.
 * The classes are internal; they are reached here as any action reaches them, through a
 * handle of each kind.
 */
function guardHandleDescriptors(forbiddenError) {
  const net = require('node:net');
  const classes = new Set();
  for (const target of [{ port: 9, host: '127.0.0.1' }, { path: '/nonexistent/gatehouse-probe' }]) {
    const socket = new net.Socket();
    socket.on('error', () => {});
    try { socket.connect(target); } catch { /* the handle exists or not: checked below */ }
    if (socket._handle) classes.add(socket._handle.constructor);
    socket.destroy();
  }
  const udp = require('node:dgram').createSocket('udp4');
  for (const key of Object.getOwnPropertySymbols(udp)) {
    const state = udp[key];
    if (state !== null && typeof state === 'object' && state.handle) classes.add(state.handle.constructor);
  }
  udp.close();
  for (const Handle of classes) {
    const original = Handle.prototype.open;
    if (typeof original !== 'function') continue;
    const open = function open(fd) {
      if (isRunnerFd(fd)) throw forbiddenError(`A socket on the runner's descriptor ${fd}`);
      return Reflect.apply(original, this, arguments);
    };
    Object.defineProperty(Handle.prototype, 'open', { value: open, writable: false, configurable: false, enumerable: false });
  }
}

/**
 * Two ways to a descriptor that bypass the fs functions and the handles' `open`:
 * - `fs.promises.open` returns a FileHandle, whose internal `fd` an action can swap (a symbol
 *   property), and whose prototype lets it build a fake FileHandle with any `fd` that
 *   `fs.promises.readFile`/`writeFile` accept. Refused: actions read files with
 *   `fs.promises.readFile(path)` and the other path-based functions.
 * - `tty.ReadStream`/`tty.WriteStream` take a descriptor in their handle's constructor (libuv
 *   accepts a pipe), and their handle's class makes more. Refused: a worker has no terminal.
 */
function guardDescriptorObjects(forbiddenError) {
  const refuse = (what) => function refused() { throw forbiddenError(what); };
  const promises = require('node:fs').promises;
  promises.open = refuse('fs.promises.open() (use fs.promises.readFile and the other path-based functions)');
  const tty = require('node:tty');
  tty.ReadStream = refuse('tty.ReadStream');
  tty.WriteStream = refuse('tty.WriteStream');
}

/**
 * A PerformanceObserver's callback runs from a plain `setImmediate` scheduled where the entry
 * was made — for `gc` entries, in no async context at all, where action code would pass for the
 * runner's. Each observer's callback runs under the store of the code that created it (or the
 * LEFTOVER store). Replaces `perf_hooks.PerformanceObserver` and the global one, before realms
 * copy Node's globals.
 */
function bindObserverCallbacks() {
  const perfHooks = require('node:perf_hooks');
  const Original = perfHooks.PerformanceObserver;
  class PerformanceObserver extends Original {
    constructor(callback) {
      if (typeof callback !== 'function') {
        super(callback);
        return;
      }
      const store = als.getStore() ?? LEFTOVER;
      super(function observed(...args) { return als.run(store, () => Reflect.apply(callback, this, args)); });
    }
  }
  perfHooks.PerformanceObserver = PerformanceObserver;
  Object.defineProperty(globalThis, 'PerformanceObserver', { value: PerformanceObserver, writable: true, configurable: true, enumerable: false });
}

/** Closes the runner's descriptors to everyone but the runner (after its input is open). */
function guardDescriptors(forbiddenError) {
  guardStdioDescriptors(forbiddenError);
  guardHandleDescriptors(forbiddenError);
  guardDescriptorObjects(forbiddenError);
  bindObserverCallbacks();
  require('node:module').syncBuiltinESMExports(); // import() sees the same functions
}

/**
 * The stdio stand-ins and the capturing console of one action realm (realm.js): its
 * own objects, so that an action replacing `console.log` or `process.stdout.write`
 * changes nothing for another.
 */
function makeStdio() {
  const stdout = new CaptureStream(1);
  const stderr = new CaptureStream(2);
  const console = new Console({ stdout, stderr, colorMode: false });
  for (const handler of [console._stdoutErrorHandler, console._stderrErrorHandler]) {
    if (typeof handler === 'function') noopCallbacks.add(handler);
  }
  return { console, stdout, stderr, stdin: new Readable({ read() {} }) };
}

function replaceProcessStream(name, stream) {
  Object.defineProperty(process, name, { get: () => stream, configurable: true, enumerable: true });
}

/**
 * The runner's request channel. When fd 0 is a pipe or a socket (how the host starts
 * workers), a socket of our own reads it into one reusable buffer (net.Socket's
 * `onread` option): no 64 KiB allocation, stream buffering and string decoding per
 * read. Anything else (a file, a terminal) goes through process.stdin as usual.
 * `process.stdin` itself is never created in the first case.
 * Returns `(onData, onEnd) => void`, which starts reading; `onData(bytes)` gets a
 * view of the bytes read that is only valid during the call.
 */
function openInput() {
  let onData = null;
  try {
    const socket = new (require('node:net').Socket)({
      fd: 0,
      readable: true,
      writable: false,
      pauseOnCreate: true,
      onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (nread, buffer) => { onData(buffer.subarray(0, nread)); } },
    });
    return (dataListener, endListener) => {
      onData = dataListener;
      socket.on('end', endListener);
      socket.resume();
    };
  } catch {
    // Not a pipe or socket: the regular stdin stream.
  }
  // A file or a terminal: a stream of our own, with the fs functions as they are now (the
  // module's are closed to fd 0 later, guardDescriptors).
  const fs = require('node:fs');
  const stdin = fs.createReadStream(null, { fd: 0, autoClose: false, fs: { open: fs.open, read: fs.read, close: fs.close } });
  return (dataListener, endListener) => {
    stdin.on('data', dataListener);
    stdin.on('end', endListener);
  };
}

/**
 * Installs the capture. Returns the runner's private channel: `readInput(onData,
 * onEnd)`, which starts reading the requests (see openInput), and `emit(line)`, the
 * only way protocol frames are written. Action code sees stand-ins:
 * `process.stdout`/`process.stderr` capture into its log, `process.stdin` never
 * yields anything, and `console` is a capturing Console.
 */
function install() {
  const readInput = openInput();
  const stdout = process.stdout;
  const realWrite = stdout.write;
  const rawWriteSync = require('node:fs').writeSync; // before guardDescriptors()
  const out = new CaptureStream(1);
  const err = new CaptureStream(2);
  const actionConsole = new Console({ stdout: out, stderr: err, colorMode: false });
  for (const handler of [actionConsole._stdoutErrorHandler, actionConsole._stderrErrorHandler]) {
    if (typeof handler === 'function') noopCallbacks.add(handler);
  }
  Object.defineProperty(globalThis, 'console', {
    value: actionConsole, writable: true, configurable: true, enumerable: false,
  });
  replaceProcessStream('stdout', out);
  replaceProcessStream('stderr', err);
  replaceProcessStream('stdin', new Readable({ read() {} }));
  return {
    readInput,
    /**
     * Writes one frame. Straight to fd 1 with a single write(2) when nothing is
     * queued on the stdout stream (the usual case): the stream machinery costs more
     * than the system call. A pipe that is full (EAGAIN), a partial write or any
     * error hands the (rest of the) frame to the stream, which queues it and reports
     * errors as before; frames stay in order because the direct path is only taken
     * while the stream's queue is empty.
     */
    emit(line) {
      const frame = `${line}\n`;
      if (stdout.writableLength === 0 && !stdout.destroyed) {
        let written;
        try {
          written = rawWriteSync(1, frame);
        } catch {
          written = 0;
        }
        if (written === 0) {
          realWrite.call(stdout, frame);
        } else if (written < Buffer.byteLength(frame)) {
          realWrite.call(stdout, Buffer.from(frame).subarray(written));
        }
        return;
      }
      realWrite.call(stdout, frame);
    },
  };
}

module.exports = { als, tokenFor, currentExecution, inAction, LEFTOVER, LogBuffer, install, makeStdio, guardDescriptors };
