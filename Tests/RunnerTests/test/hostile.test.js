'use strict';
// Hostile actions: what Node's permission model and the runner prevent, and what
// only the Swift side can stop (a synchronous infinite loop, running out of memory).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Runner, startRunner, action, BUNDLES_DIR, RUNNER_DIR } = require('../harness');

test('hostile actions (permission model)', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  /** Runs one statement as the handler body and returns {logs, error}. */
  async function attempt(body, extra) {
    const result = await runner.flow({ actions: [action('hostile', `exports.onExecutePostLogin = async (event, api) => { ${body} };`, extra)] });
    return result.actions[0];
  }

  const denied = (entry, what) => {
    assert.ok(entry.error, `${what} should fail`);
    assert.equal(entry.error.class, 'action_error', what);
    assert.equal(entry.error.code, 'ERR_ACCESS_DENIED', `${what}: ${JSON.stringify(entry.error)}`);
  };

  await t.test('reading files outside the runner and bundle directories is denied', async () => {
    denied(await attempt("require('fs').readFileSync('/etc/passwd', 'utf8')"), 'readFileSync /etc/passwd');
    denied(await attempt("await require('fs/promises').readFile('/etc/hostname')"), 'fs/promises readFile');
    denied(await attempt("require('fs').readdirSync('/home')"), 'readdirSync');
    // Reading the allowed directories works (they hold nothing secret).
    const allowed = await attempt(`console.log(require('fs').readdirSync(${JSON.stringify(BUNDLES_DIR)}).length > 0)`);
    assert.equal(allowed.logs, 'true\n');
  });

  await t.test('the environment is empty', async () => {
    const entry = await attempt('console.log(JSON.stringify(process.env), Object.keys(process.env).length)');
    assert.equal(entry.logs, '{} 0\n');
  });

  await t.test('child processes cannot be started', async () => {
    denied(await attempt("require('child_process').exec('id')"), 'exec');
    denied(await attempt("require('child_process').execSync('id')"), 'execSync');
    denied(await attempt("require('child_process').spawn('/bin/sh', ['-c', 'id'])"), 'spawn');
    denied(await attempt("require('child_process').fork('x.js')"), 'fork');
  });

  await t.test('files cannot be written, anywhere', async () => {
    denied(await attempt("require('fs').writeFileSync('/tmp/gatehouse-pwned', 'x')"), 'writeFileSync /tmp');
    denied(await attempt(`require('fs').writeFileSync(${JSON.stringify(path.join(BUNDLES_DIR, 'pwned.js'))}, 'x')`), 'write into bundles');
    denied(await attempt("require('fs').mkdirSync('/tmp/gatehouse-dir')"), 'mkdirSync');
    denied(await attempt("require('fs').openSync('/tmp/gatehouse-pwned', 'w')"), 'openSync for writing');
  });

  await t.test('worker threads cannot be started', async () => {
    denied(await attempt("const { Worker } = require('worker_threads'); new Worker('while (true) {}', { eval: true })"), 'new Worker');
  });

  await t.test('native add-ons, process.binding and the inspector are unavailable', async () => {
    const addon = await attempt("process.dlopen({ exports: {} }, '/usr/lib/x86_64-linux-gnu/libc.so.6')");
    assert.equal(addon.error.code, 'ERR_DLOPEN_DISABLED');
    denied(await attempt("process.binding('fs')"), 'process.binding');
    denied(await attempt("require('inspector').open(0)"), 'inspector');
  });

  await t.test('process.exit(1) throws in the action instead of killing the worker', async () => {
    const entry = await attempt('process.exit(1)');
    assert.equal(entry.error.message, 'process.exit() is not allowed in an Action');
    assert.equal((await runner.ping()).type, 'pong');
  });

  await t.test('the protocol channel is out of reach: stdin yields nothing, stdout and stderr are stand-ins', { timeout: 15000 }, async () => {
    const spy = action('spy', `
      let seen = 0;
      process.stdin.on('data', (chunk) => { seen += chunk.length; });
      exports.onExecutePostLogin = async () => {
        console.log(seen, typeof process.stdout._handle, typeof process.stderr._handle, process.stdout.isTTY);
      };`);
    await runner.flow({ actions: [spy] });
    const second = await runner.flow({ event: { user: { user_id: 'u' }, secret_of_another_flow: 'x'.repeat(1000) }, actions: [spy] });
    assert.equal(second.actions[0].logs, '0 undefined undefined false\n');
    // Every fs function on the runner's descriptors: reading its requests, writing a frame
    // past the capture, erasing the blame record.
    const entry = await attempt(`
      const fs = require('fs');
      const outcome = [];
      for (const [name, attempt] of Object.entries({
        readSync: () => fs.readSync(0, Buffer.alloc(10)),
        readvSync: () => fs.readvSync(0, [Buffer.alloc(10)]),
        readFileSync: () => fs.readFileSync(0),
        writeFileSync: () => fs.writeFileSync(1, 'raw\\n'),
        appendFileSync: () => fs.appendFileSync(3, 'x'.repeat(1024)),
        ftruncateSync: () => fs.ftruncateSync(3, 0),
        closeSync: () => fs.closeSync(0),
        readFile: () => new Promise((resolve, reject) => fs.readFile(0, (e) => (e ? reject(e) : resolve()))),
      })) {
        try { await attempt(); outcome.push(name + ':done'); } catch (e) { outcome.push(name + ':' + e.code); }
      }
      console.log(outcome.join(' '));`);
    assert.equal(entry.logs, 'readSync:ERR_ACTION_FORBIDDEN readvSync:ERR_ACTION_FORBIDDEN readFileSync:ERR_ACTION_FORBIDDEN '
      + 'writeFileSync:ERR_ACTION_FORBIDDEN appendFileSync:ERR_ACTION_FORBIDDEN ftruncateSync:ERR_ACTION_FORBIDDEN '
      + 'closeSync:ERR_ACTION_FORBIDDEN readFile:ERR_ACTION_FORBIDDEN\n', JSON.stringify(entry.error));
    assert.ok(runner.lines.every((line) => line.startsWith('{"type":')));
  });

  await t.test('no object that carries a descriptor can be had: FileHandle (its fd can be swapped), TTY streams', { timeout: 15000 }, async () => {
    const entry = await attempt(`
      const outcome = [];
      for (const [name, attempt] of Object.entries({
        open: () => require('fs').promises.open(${JSON.stringify(`${RUNNER_DIR}/runner.js`)}),
        importedOpen: async () => (await import('node:fs/promises')).open(${JSON.stringify(`${RUNNER_DIR}/runner.js`)}),
        ttyWrite: () => new (require('tty').WriteStream)(1).write('raw\\n'),
        ttyRead: () => new (require('tty').ReadStream)(0),
      })) {
        try { await attempt(); outcome.push(name + ':done'); } catch (e) { outcome.push(name + ':' + e.code); }
      }
      // Path-based reading still works.
      outcome.push(typeof (await require('fs').promises.readFile(${JSON.stringify(`${RUNNER_DIR}/runner.js`)}, 'utf8')));
      console.log(outcome.join(' '));`);
    assert.equal(entry.logs, 'open:ERR_ACTION_FORBIDDEN importedOpen:ERR_ACTION_FORBIDDEN ttyWrite:ERR_ACTION_FORBIDDEN ttyRead:ERR_ACTION_FORBIDDEN string\n',
      JSON.stringify(entry.error));
    assert.ok(runner.lines.every((line) => line.startsWith('{"type":')));
  });

  await t.test('a PerformanceObserver callback for gc entries (scheduled outside any context) is still action code to every guard', { timeout: 15000 }, async () => {
    const entry = await attempt(`
      const { PerformanceObserver } = require('perf_hooks');
      const out = [];
      await new Promise((resolve) => {
        const observer = new PerformanceObserver(() => {
          if (out.length) return;
          try { require('async_hooks').createHook({}); out.push('createHook:done'); } catch (e) { out.push('createHook:' + e.code); }
          try { require('fs').readSync(0, Buffer.alloc(8)); out.push('readStdin:done'); } catch (e) { out.push('readStdin:' + e.code); }
          observer.disconnect();
          resolve();
        });
        observer.observe({ entryTypes: ['gc'] });
        let junk = [];
        for (let i = 0; i < 400000; i++) { junk.push({ i }); if (junk.length > 50000) junk = []; }
      });
      console.log(out.join(' '));`);
    assert.equal(entry.logs, 'createHook:ERR_ACTION_FORBIDDEN readStdin:ERR_ACTION_FORBIDDEN\n', JSON.stringify(entry.error));
  });

  await t.test('a FinalizationRegistry cleanup (which runs outside any action\'s context) is still action code to every guard', { timeout: 30000 }, async () => {
    const collector = action('collector', `
      const out = [];
      const registry = new FinalizationRegistry(() => {
        if (out.length) return;
        const fs = require('fs');
        for (const [name, attempt] of Object.entries({
          readStdin: () => fs.readSync(0, Buffer.alloc(16)),
          writeOut: () => fs.writeFileSync(1, 'raw from a cleanup\\n'),
          createHook: () => require('async_hooks').createHook({}),
        })) { try { attempt(); out.push(name + ':done'); } catch (e) { out.push(name + ':' + e.code); } }
      });
      exports.onExecutePostLogin = async () => {
        if (out.length) { console.log(out.join(' ')); return; }
        for (let i = 0; i < 5000; i++) registry.register({ a: new Array(100) }, i);
        for (let j = 0; j < 6; j++) { const a = []; for (let i = 0; i < 40; i++) a.push(new Array(100000).fill(j)); }
        await new Promise((resolve) => setTimeout(resolve, 50));
      };`);
    let logs = '';
    for (let round = 0; round < 6 && logs === ''; round++) logs = (await runner.flow({ actions: [collector] })).actions[0].logs;
    assert.equal(logs, 'readStdin:ERR_ACTION_FORBIDDEN writeOut:ERR_ACTION_FORBIDDEN createHook:ERR_ACTION_FORBIDDEN\n');
    assert.ok(runner.lines.every((line) => line.startsWith('{"type":')));
  });

  await t.test('writes to the protocol pipe through fs end up in the action logs', async () => {
    const entry = await attempt("require('fs').writeSync(1, 'garbage on stdout\\n'); require('fs').writeSync(2, Buffer.from('and stderr\\n')); await new Promise((r) => require('fs').write(1, 'async too\\n', r)); require('fs').writevSync(1, [Buffer.from('gathered '), Buffer.from('writes\\n')]); await new Promise((r) => require('fs').writev(1, [Buffer.from('and async\\n')], r));");
    assert.equal(entry.error, null);
    assert.equal(entry.logs, 'garbage on stdout\nand stderr\nasync too\ngathered writes\nand async\n');
    assert.ok(runner.lines.every((line) => line.startsWith('{"type":')));
  });

  await t.test('action code the runner reads (a module.exports getter, a thenable, a thrown error\'s getters) runs as the action\'s', { timeout: 15000 }, async () => {
    // Outside the action's store, a guard would take it for the runner: createHook would then
    // let it watch every other flow's async resources.
    const reader = action('read-by-runner', `
      const out = [];
      const attempt = (label) => {
        try { require('async_hooks').createHook({}); out.push(label + ':done'); } catch (e) { out.push(label + ':' + e.code); }
      };
      let run = 0;
      const handlers = {};
      handlers.onExecutePostLogin = () => {
        run += 1;
        if (run === 1) return { get then() { attempt('then'); return undefined; } };
        if (run === 2) { const error = new Error('x'); Object.defineProperty(error, 'message', { get() { attempt('message'); return 'x'; } }); throw error; }
        console.log([...new Set(out)].join(' '));
        return undefined;
      };
      Object.defineProperty(module, 'exports', { get() { if (run === 0) attempt('exports'); return handlers; } });`);
    for (let i = 0; i < 2; i++) await runner.flow({ actions: [reader] });
    const last = await runner.flow({ actions: [reader] });
    assert.equal(last.actions[0].logs, 'exports:ERR_ACTION_FORBIDDEN then:ERR_ACTION_FORBIDDEN message:ERR_ACTION_FORBIDDEN\n', JSON.stringify(last));
  });

  await t.test('no socket can be opened on the runner\'s descriptors: a result frame forged for the next flow never reaches the host', { timeout: 15000 }, async () => {
    // Below the fs module, a socket on fd 1 would write raw bytes into the protocol stream: a
    // result for the next flow (its id is guessable) that skips that flow's actions.
    const nextId = runner.nextId + 1;
    const forged = JSON.stringify({ type: 'result', id: nextId, status: 'completed', actions: [], suspended: null }) + '\\n';
    const entry = await attempt(`
      const net = require('net');
      const outcome = [];
      const tries = {
        socket: () => new net.Socket({ fd: 1, readable: false }).write('${forged}'),
        call: () => net.Socket({ fd: 1, readable: false }).write('${forged}'),
        stream: () => new net.Stream({ fd: 1, readable: false }).write('${forged}'),
        connect: () => net.connect({ fd: 1 }).write('${forged}'),
        createConnection: () => net.createConnection({ fd: 0 }).on('data', () => {}),
        imported: async () => new (await import('node:net')).Socket({ fd: 1, readable: false }).write('${forged}'),
        constructor: () => new net.Socket.prototype.constructor({ fd: 1, readable: false }).write('${forged}'),
        subclassed: () => new (Object.getPrototypeOf(require('tls').TLSSocket))({ fd: 1, readable: false }).write('${forged}'),
        handle: () => {
          const probe = new net.Socket();
          probe.on('error', () => {});
          probe.connect({ port: 9, host: '127.0.0.1' });
          const handle = new probe._handle.constructor(0);
          probe.destroy();
          handle.open(1);
          new net.Socket({ handle, readable: false }).write('${forged}');
        },
        listen: () => new Promise((resolve, reject) => { const server = net.createServer(); server.on('error', reject); server.listen({ fd: 1 }, resolve); }),
      };
      for (const [name, attempt] of Object.entries(tries)) {
        try { await attempt(); outcome.push(name + ':done'); } catch (e) { outcome.push(name + ':' + e.code); }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      console.log(outcome.join(' '));`);
    assert.equal(entry.error, null, JSON.stringify(entry.error));
    assert.equal(entry.logs, 'socket:ERR_ACTION_FORBIDDEN call:ERR_ACTION_FORBIDDEN stream:ERR_ACTION_FORBIDDEN connect:ERR_ACTION_FORBIDDEN '
      + 'createConnection:ERR_ACTION_FORBIDDEN imported:ERR_ACTION_FORBIDDEN constructor:ERR_ACTION_FORBIDDEN '
      + 'subclassed:ERR_ACTION_FORBIDDEN handle:ERR_ACTION_FORBIDDEN listen:ERR_ACTION_FORBIDDEN\n');
    // The next flow gets its own answer, with its action's command.
    const next = await runner.flow({ actions: ["exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/ran', true); };"] });
    assert.equal(next.actions.length, 1, JSON.stringify(next));
    assert.ok(runner.lines.every((line) => line.startsWith('{"type":')));
    // Sockets of action code still work (Node's own code makes them without a descriptor).
    const fetched = await attempt("await new Promise((resolve) => require('http').get('http://127.0.0.1:9/').on('error', (e) => { console.log(e.code); resolve(); }));");
    assert.equal(fetched.logs, 'ECONNREFUSED\n');
  });
});

test('a synchronous infinite loop cannot be interrupted: the harness (Swift) kills the worker', async () => {
  const runner = await startRunner();
  const flow = runner.flow({ budget_ms: 300, actions: ['exports.onExecutePostLogin = async () => { while (true) {} };'] });
  let answered = false;
  flow.then(() => { answered = true; });
  assert.equal(await runner.ping(1500), null, 'the worker stops answering');
  assert.equal(answered, false);
  const { signal } = await runner.kill('SIGKILL');
  assert.equal(signal, 'SIGKILL');
});

test('a memory bomb under a small heap cap kills the worker with a clear exit', async () => {
  const runner = new Runner({ heapMb: 32 });
  const ready = await runner.init();
  assert.equal(ready.type, 'ready');
  runner.flow({ actions: ["exports.onExecutePostLogin = async () => { const hoard = []; for (let i = 0; ; i++) hoard.push({ i, s: 'x'.repeat(64) + i }); };"] });
  const timer = setTimeout(() => runner.kill('SIGKILL'), 20000);
  const { code, signal } = await runner.exited;
  clearTimeout(timer);
  assert.ok(signal === 'SIGABRT' || code === 134, `exit code ${code}, signal ${signal}`);
  assert.match(runner.stderr, /heap out of memory/);
});
