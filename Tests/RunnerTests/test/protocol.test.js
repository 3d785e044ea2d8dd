'use strict';
// The wire protocol: init/ready, framing, error frames, ordering, stdout integrity.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Runner, startRunner, action, CATALOG, RUNNER_DIR } = require('../harness');
const { compileCatalog } = require(require('node:path').join(RUNNER_DIR, 'lib', 'catalog'));

test('protocol', async (t) => {
  const runner = new Runner();
  t.after(() => runner.close());

  await t.test('a flow before init fails with a platform_error', async () => {
    const result = await runner.flow({ actions: ['exports.onExecutePostLogin = async () => {}'] });
    assert.equal(result.status, 'failed');
    assert.equal(result.error.class, 'platform_error');
  });

  await t.test('an invalid catalog is refused and the runner stays usable', async () => {
    const answer = await runner.init({ format: 99, triggers: {} });
    assert.equal(answer.type, 'error');
    assert.match(answer.message, /invalid catalog: unsupported format/);
    const broken = await runner.init({ format: 1, triggers: { x: { handlers: { execute: 'e' }, api: { 'a.b': { effect: 'explode' } } } } });
    assert.match(broken.message, /effect "explode" is unknown/);
  });

  await t.test('init answers ready with the Node version', async () => {
    const ready = await runner.init();
    assert.equal(ready.type, 'ready');
    assert.equal(ready.node, process.version);
    assert.deepEqual(ready.triggers, Object.keys(CATALOG.triggers));
  });

  await t.test('ping, unknown frames and broken JSON', async () => {
    assert.deepEqual(await runner.request({ type: 'ping' }), { type: 'pong', id: runner.nextId - 1 });
    runner.send('{not json');
    const error = await runner.next();
    assert.equal(error.type, 'error');
    assert.match(error.message, /invalid JSON frame/);
    const unknown = await runner.request({ type: 'launch-missiles' });
    assert.equal(unknown.type, 'error');
    assert.match(unknown.message, /unknown frame type/);
  });

  await t.test('malformed flow requests fail with platform_error', async () => {
    const unknownTrigger = await runner.flow({ trigger: 'post-nothing', actions: [] });
    assert.equal(unknownTrigger.error.class, 'platform_error');
    assert.match(unknownTrigger.error.message, /unknown trigger/);
    const noContinue = await runner.flow({ trigger: 'credentials-exchange', handler: 'continue', actions: [] });
    assert.match(noContinue.error.message, /no continue handler/);
    const badAction = await runner.request({ type: 'flow', trigger: 'post-login', handler: 'execute', event: {}, actions: [{ name: 'x' }] });
    assert.match(badAction.error.message, /actions\[0\]/);
  });

  await t.test('an empty flow completes', async () => {
    const result = await runner.flow({ actions: [] });
    assert.deepEqual(result.actions, []);
    assert.equal(result.status, 'completed');
    assert.equal(result.suspended, null);
  });

  await t.test('console and process.stdout/stderr writes are captured, never on stdout', async () => {
    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async () => {
        console.log('log', {a: 1}); console.error('err'); console.warn('warn'); console.info('info');
        process.stdout.write('raw out\\n'); process.stderr.write('raw err\\n');
        console.table([{x: 1}]); console.dir({deep: {er: 1}});
      };`],
    });
    assert.equal(result.status, 'completed');
    const logs = result.actions[0].logs;
    for (const text of ['log { a: 1 }', 'err', 'warn', 'info', 'raw out', 'raw err', "deep: { er: 1 }"]) {
      assert.ok(logs.includes(text), `logs should contain ${text}: ${logs}`);
    }
    assert.ok(runner.lines.every((line) => line.startsWith('{')), 'every stdout line is a frame');
  });

  await t.test('a flow waiting for a timer is announced by one waiting mark; one settled in its microtasks is not', async () => {
    const before = runner.waitingMarks;
    const linesBefore = runner.lines.length;
    await runner.flow({ actions: ['exports.onExecutePostLogin = async (event, api) => { await null; api.idToken.setCustomClaim("https://x/a", 1); };'] });
    assert.equal(runner.waitingMarks, before, 'no mark for a flow answered within its microtasks');
    const waited = await runner.flow({ actions: ['exports.onExecutePostLogin = async (event, api) => { await new Promise((r) => setTimeout(r, 20)); api.idToken.setCustomClaim("https://x/a", 2); };'] });
    assert.equal(waited.status, 'completed');
    assert.equal(runner.waitingMarks, before + 1, 'one mark for a flow that waited for a timer');
    assert.equal(runner.lines.length, linesBefore + 2, 'each flow still has exactly one result frame');
  });

  await t.test('requests are answered one at a time, in order', async () => {
    const slow = runner.flow({ actions: ['exports.onExecutePostLogin = () => new Promise(r => setTimeout(r, 50));'] });
    const fast = runner.flow({ actions: ['exports.onExecutePostLogin = async () => {}'] });
    const order = [];
    await Promise.all([slow.then(() => order.push('slow')), fast.then(() => order.push('fast'))]);
    assert.deepEqual(order, ['slow', 'fast']);
  });

  await t.test('a large request (100 KB of code, big event) goes through', async () => {
    const padding = `/*${'x'.repeat(100 * 1024)}*/`;
    const result = await runner.flow({
      event: { user: { user_id: 'u', app_metadata: { blob: 'y'.repeat(200 * 1024) }, user_metadata: {} } },
      actions: [`${padding}\nexports.onExecutePostLogin = async (event) => { console.log(event.user.app_metadata.blob.length); };`],
    });
    assert.equal(result.actions[0].logs, '204800\n');
  });

  await t.test('shutdown exits cleanly', async () => {
    runner.send({ type: 'shutdown' });
    assert.deepEqual(await runner.exited, { code: 0, signal: null });
  });
});

test('the fixture catalog describes every trigger of the brief', () => {
  const catalog = compileCatalog(CATALOG);
  const handlers = Object.fromEntries([...catalog.triggers].map(([id, plan]) => [id, plan.handlers]));
  assert.deepEqual(handlers, {
    'post-login': { execute: 'onExecutePostLogin', continue: 'onContinuePostLogin' },
    'credentials-exchange': { execute: 'onExecuteCredentialsExchange', continue: undefined },
    'pre-user-registration': { execute: 'onExecutePreUserRegistration', continue: undefined },
    'post-user-registration': { execute: 'onExecutePostUserRegistration', continue: undefined },
    'post-change-password': { execute: 'onExecutePostChangePassword', continue: undefined },
    'send-phone-message': { execute: 'onExecuteSendPhoneMessage', continue: undefined },
    'password-reset-post-challenge': { execute: 'onExecutePostChallenge', continue: 'onContinuePostChallenge' },
    'custom-email-provider': { execute: 'onExecuteCustomEmailProvider', continue: undefined },
    'custom-phone-provider': { execute: 'onExecuteCustomPhoneProvider', continue: undefined },
  });
  for (const [id, trigger] of Object.entries(CATALOG.triggers)) {
    assert.equal(typeof trigger.blocking, 'boolean', id);
    assert.ok(['cache.get', 'cache.set', 'cache.delete'].every((m) => m in trigger.api), `${id} has api.cache`);
  }
});

test('the api object exposes exactly the catalog methods of its trigger', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());
  const listing = `exports.onExecutePostUserRegistration = async (event, api) => {
    const walk = (o, p) => Object.entries(o).flatMap(([k, v]) => typeof v === 'function' ? [p + k] : walk(v, p + k + '.'));
    console.log(JSON.stringify(walk(api, '')));
  };`;
  const result = await runner.flow({ trigger: 'post-user-registration', event: { user: { user_id: 'u' } }, actions: [listing] });
  assert.deepEqual(JSON.parse(result.actions[0].logs), ['cache.get', 'cache.set', 'cache.delete']);
  const postLogin = await runner.flow({ actions: [listing.replace('PostUserRegistration', 'PostLogin')] });
  assert.deepEqual(JSON.parse(postLogin.actions[0].logs).sort(), Object.keys(CATALOG.triggers['post-login'].api).sort());
});

test('requests from a file on stdin (a runner started by hand) are read and answered', async (t) => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { spawnSync } = require('node:child_process');
  const { runnerArgs } = require('../harness');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-stdin-'));
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
  const file = path.join(directory, 'requests');
  const flow = {
    type: 'flow', id: 2, trigger: 'post-login', handler: 'execute', event: {}, cache: {}, budget_ms: 5000, now: Date.now(),
    actions: [action('from-file', "exports.onExecutePostLogin = async () => { console.log('read'); };")],
  };
  fs.writeFileSync(file, [{ type: 'ping', id: 1 }, { type: 'init', catalog: CATALOG }, flow].map((f) => JSON.stringify(f)).join('\n') + '\n');
  const run = spawnSync(process.execPath, runnerArgs(), { stdio: [fs.openSync(file, 'r'), 'pipe', 'pipe'], env: {}, timeout: 15000 });
  const frames = run.stdout.toString().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  assert.deepEqual(frames.map((f) => f.type), ['pong', 'ready', 'result'], run.stderr.toString());
  assert.equal(frames[2].actions[0].logs, 'read\n');
});
