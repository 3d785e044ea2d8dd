'use strict';
// Test and bench harness: starts a real runner the way the Swift server does (permission
// model, empty environment, heap cap) and talks to it over its pipes.

const { spawn } = require('node:child_process');
const path = require('node:path');

// The runner and the trigger catalog are the ones the Swift server ships (SwiftPM resources).
const SANDBOX_DIR = path.join(__dirname, '..', '..', 'Sources', 'GatehouseSandbox');
const RUNNER_DIR = path.join(SANDBOX_DIR, 'Runner');
const BUNDLES_DIR = path.join(__dirname, 'test', 'fixtures', 'bundles');
const CATALOG = require(path.join(SANDBOX_DIR, 'CatalogData', 'triggers.json'));

/** Node 20 (and 22 before 22.13) spell the permission flag --experimental-permission. */
function permissionFlag(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}

function runnerArgs({ heapMb = 64, bundlesDir = BUNDLES_DIR } = {}) {
  return [
    permissionFlag(),
    `--allow-fs-read=${RUNNER_DIR}`,
    `--allow-fs-read=${bundlesDir}`,
    `--max-old-space-size=${heapMb}`,
    path.join(RUNNER_DIR, 'runner.js'),
  ];
}

class Runner {
  /** `options.blameRecord`: a descriptor the runner gets, as the server's workers do, as its
   * descriptor 3 for its blame record (PROTOCOL.md §9, "Blame"). */
  constructor(options = {}) {
    const stdio = ['pipe', 'pipe', 'pipe'];
    if (options.blameRecord !== undefined) stdio.push(options.blameRecord);
    this.child = spawn(process.execPath, runnerArgs(options), { env: {}, cwd: '/', stdio });
    this.frames = [];
    this.lines = [];
    this.waitingMarks = 0;
    this.waiting = [];
    this.byId = new Map();
    this.stderr = '';
    this.nextId = 1;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text) => { this.stderr += text; });
    this.child.stdin.on('error', () => {}); // writes after the worker died
    let pending = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line === '') { // a flow's waiting mark (PROTOCOL.md §5), not a frame
          this.waitingMarks += 1;
          continue;
        }
        this.lines.push(line);
        let frame;
        try { frame = JSON.parse(line); } catch { continue; } // not a frame: the Swift side skips it too
        this.deliver(frame);
      }
    });
  }

  deliver(frame) {
    if (frame.id !== undefined && this.byId.has(frame.id)) {
      const resolve = this.byId.get(frame.id);
      this.byId.delete(frame.id);
      resolve(frame);
    } else if (this.waiting.length > 0) {
      this.waiting.shift()(frame);
    } else {
      this.frames.push(frame);
    }
  }

  send(frame) {
    this.child.stdin.write(`${typeof frame === 'string' ? frame : JSON.stringify(frame)}\n`);
  }

  /** The next frame not claimed by an id. */
  next() {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async init(catalog = CATALOG, fields = {}) {
    this.send({ type: 'init', catalog, ...fields });
    return this.next();
  }

  /** Sends a frame with a fresh id and resolves with the answer to that id. */
  request(frame) {
    const id = this.nextId++;
    const answer = new Promise((resolve) => this.byId.set(id, resolve));
    this.send({ ...frame, id });
    return answer;
  }

  flow(fields) {
    return this.request({
      type: 'flow', trigger: 'post-login', handler: 'execute', event: postLoginEvent(), cache: {},
      budget_ms: 5000, now: Date.now(), ...fields,
      actions: fields.actions.map((a, i) => (typeof a === 'string' ? action(`action-${i}`, a) : a)),
    });
  }

  ping(timeoutMs = 2000) {
    return Promise.race([
      this.request({ type: 'ping' }),
      new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs)),
    ]);
  }

  kill(signal = 'SIGKILL') { this.child.kill(signal); return this.exited; }

  async close() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

let versionCounter = 0;
/** An action entry; each call gets a fresh version_id unless one is given. */
function action(name, code, extra = {}) {
  versionCounter += 1;
  return { name, version_id: `ver_${process.pid}_${versionCounter}`, code, secrets: {}, node_modules: null, ...extra };
}

function postLoginEvent(overrides = {}) {
  return {
    user: {
      user_id: 'auth0|u1', email: 'ada@example.com', email_verified: true,
      app_metadata: { plan: 'free' }, user_metadata: { theme: 'dark' }, identities: [],
    },
    client: { client_id: 'cl_1', name: 'App', metadata: {} },
    connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0' },
    tenant: { id: 'acme' },
    request: { ip: '203.0.113.7', method: 'GET', hostname: 'login.acme.test', query: {}, body: {}, geoip: {} },
    transaction: { id: 'tx_1', protocol: 'oidc-basic-profile', state: 'rp-state', metadata: {} },
    stats: { logins_count: 3 },
    ...overrides,
  };
}

async function startRunner(options) {
  const runner = new Runner(options);
  const ready = await runner.init(options && options.catalog, options && options.blameNonce ? { blame_nonce: options.blameNonce } : {});
  if (ready.type !== 'ready') throw new Error(`runner did not start: ${JSON.stringify(ready)} ${runner.stderr}`);
  return runner;
}

module.exports = { Runner, startRunner, action, postLoginEvent, CATALOG, BUNDLES_DIR, RUNNER_DIR, runnerArgs, permissionFlag };
