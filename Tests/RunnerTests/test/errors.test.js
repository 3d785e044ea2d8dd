'use strict';
// Errors, time budget and robustness: what one bad action can and cannot do to its
// flow, to later flows and to the worker.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startRunner, action } = require('../harness');

test('errors and robustness', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('a thrown Error fails the flow with action_error and a stack naming the action', async () => {
    const bad = action('Enrich Profile!', `
      function helper() { throw new Error('profile service down'); }
      exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim('https://x/lost', 1);
        console.log('before');
        helper();
      };`);
    const never = "exports.onExecutePostLogin = async () => { console.log('must not run'); };";
    const result = await runner.flow({ actions: [bad, never] });
    assert.equal(result.status, 'failed');
    assert.equal(result.actions.length, 1);
    const [entry] = result.actions;
    assert.equal(entry.logs, 'before\n');
    assert.deepEqual(entry.commands, []);
    assert.deepEqual({ ...entry.error, stack: undefined }, { name: 'Error', message: 'profile service down', class: 'action_error', stack: undefined });
    const frames = entry.error.stack.split('\n');
    assert.equal(frames[0], 'Error: profile service down');
    assert.match(frames[1], /at helper \(actions\/Enrich_Profile_\.js:2:\d+\)/);
    assert.match(frames[2], /at exports.onExecutePostLogin \(actions\/Enrich_Profile_\.js:6:\d+\)/);
    assert.equal(frames.length, 3, entry.error.stack);
  });

  await t.test('error codes are kept', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLogin = async () => { const e = new TypeError('x'); e.code = 'E_CUSTOM'; throw e; };"] });
    assert.equal(result.actions[0].error.name, 'TypeError');
    assert.equal(result.actions[0].error.code, 'E_CUSTOM');
  });

  await t.test('throwing non-Errors is handled', async () => {
    const cases = [
      ["throw 'plain string'", 'Non-error value thrown: plain string'],
      ['throw { code: 42, why: "object" }', "Non-error value thrown: { code: 42, why: 'object' }"],
      ['throw undefined', 'Non-error value thrown: undefined'],
      ['throw null', 'Non-error value thrown: null'],
      ['return Promise.reject(7)', 'Non-error value thrown: 7'],
      ['throw new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } })', null],
    ];
    for (const [statement, message] of cases) {
      const result = await runner.flow({ actions: [`exports.onExecutePostLogin = async () => { ${statement}; };`] });
      const { error } = result.actions[0];
      assert.equal(result.status, 'failed', statement);
      assert.equal(error.class, 'action_error');
      if (message !== null) assert.equal(error.message, message);
      assert.equal(typeof error.message, 'string');
    }
  });

  await t.test('a missing handler export is an action_error naming the export', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLoginn = async () => {};"] });
    assert.equal(result.actions[0].error.class, 'action_error');
    assert.equal(result.actions[0].error.message, 'The action does not export a "onExecutePostLogin" function');
    const wrongTrigger = await runner.flow({ trigger: 'credentials-exchange', event: {}, actions: ["exports.onExecutePostLogin = async () => {};"] });
    assert.match(wrongTrigger.actions[0].error.message, /onExecuteCredentialsExchange/);
    const moduleExports = await runner.flow({ actions: ['module.exports = { onExecutePostLogin: async () => { console.log("via module.exports"); } };'] });
    assert.equal(moduleExports.actions[0].logs, 'via module.exports\n');
  });

  await t.test('code that does not compile is an action_error with the syntax error', async () => {
    const result = await runner.flow({ actions: ['exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};'] });
    const { error } = result.actions[0];
    assert.equal(error.class, 'action_error');
    assert.equal(error.name, 'SyntaxError');
    assert.equal(error.message, "Unexpected token ';'");
    assert.match(error.stack, /^actions\/action-0\.js:2\n {2}const x = ;/);
    assert.doesNotMatch(error.stack, /node:|lib\/loader/);
  });

  await t.test('a top-level throw fails the action and is retried on the next flow', async () => {
    const code = "if (!globalThis.__second) { globalThis.__second = true; throw new Error('init failed'); }\nexports.onExecutePostLogin = async () => { console.log('initialised'); };";
    const broken = action('init', code);
    const first = await runner.flow({ actions: [broken] });
    assert.equal(first.actions[0].error.message, 'init failed');
    const second = await runner.flow({ actions: [broken] });
    assert.equal(second.actions[0].logs, 'initialised\n');
  });

  await t.test('errors thrown asynchronously while the action runs fail that action', async () => {
    const timer = await runner.flow({
      actions: [`exports.onExecutePostLogin = async () => {
        setTimeout(() => { throw new Error('from a timer'); }, 5);
        await new Promise((resolve) => setTimeout(resolve, 200));
      };`],
    });
    assert.equal(timer.actions[0].error.message, 'from a timer');
    assert.equal(timer.actions[0].error.class, 'action_error');
    const rejection = await runner.flow({
      actions: [`exports.onExecutePostLogin = async () => {
        Promise.reject(new RangeError('nobody handles me'));
        await new Promise((resolve) => setTimeout(resolve, 200));
      };`],
    });
    assert.equal(rejection.actions[0].error.name, 'RangeError');
    assert.equal((await runner.ping()).type, 'pong');
  });

  await t.test('a never-resolving promise ends in action_timeout at the flow budget', async () => {
    const started = Date.now();
    const result = await runner.flow({
      budget_ms: 300,
      actions: [
        "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/a', 1); };",
        "exports.onExecutePostLogin = async () => { console.log('waiting'); await new Promise(() => {}); };",
        "exports.onExecutePostLogin = async () => { console.log('must not run'); };",
      ],
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 2000, `elapsed ${elapsed}`);
    assert.equal(result.status, 'failed');
    assert.equal(result.actions.length, 2);
    assert.equal(result.actions[1].logs, 'waiting\n');
    assert.deepEqual({ ...result.actions[1].error, message: undefined }, { name: 'TimeoutError', class: 'action_timeout', stack: null, message: undefined });
    assert.match(result.actions[1].error.message, /time budget of 300 ms/);
    assert.equal(result.recycle, true);
  });

  await t.test('an async infinite loop hits the budget and its leftovers stay silent', async () => {
    const looping = action('looper', `
      exports.onExecutePostLogin = async (event, api) => {
        for (let i = 0; ; i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          console.log('tick', i);
          api.idToken.setCustomClaim('https://x/tick', i);
        }
      };`);
    const result = await runner.flow({ budget_ms: 200, actions: [looping] });
    assert.equal(result.actions[0].error.class, 'action_timeout');
    assert.match(result.actions[0].logs, /^tick 0\n/);
    assert.deepEqual(result.actions[0].commands, []);
    // The loop keeps running in the background (recycle: true tells Swift to retire
    // the worker) but nothing it does reaches later flows.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await runner.flow({ actions: ["exports.onExecutePostLogin = async () => { await new Promise((r) => setTimeout(r, 50)); console.log('clean'); };"] });
    assert.equal(next.actions[0].logs, 'clean\n');
    assert.deepEqual(next.actions[0].commands, []);
    assert.equal(next.recycle, undefined);
  });

  await t.test('work left over after a handler resolves does not leak into later logs or commands', async () => {
    const leaky = action('leaky', `
      exports.onExecutePostLogin = async (event, api) => {
        setTimeout(() => { console.log('late log'); process.stdout.write('late write\\n'); api.idToken.setCustomClaim('https://x/late', 1); }, 30);
        setTimeout(() => { throw new Error('late throw'); }, 40);
        console.log('on time');
      };`);
    const first = await runner.flow({ actions: [leaky] });
    assert.equal(first.actions[0].logs, 'on time\n');
    const second = await runner.flow({ actions: ["exports.onExecutePostLogin = async () => { await new Promise((r) => setTimeout(r, 100)); console.log('second'); };"] });
    assert.equal(second.status, 'completed');
    assert.equal(second.actions[0].logs, 'second\n');
    assert.deepEqual(second.actions[0].commands, []);
    assert.ok(runner.lines.every((line) => line.startsWith('{')));
  });

  await t.test('huge console output is bounded at 64 KiB with a truncation marker', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLogin = async () => { for (let i = 0; i < 20000; i++) console.log('line ' + i + ' ' + 'é'.repeat(20)); };"] });
    const { logs } = result.actions[0];
    assert.equal(result.status, 'completed');
    const [kept, marker] = logs.split('\n[gatehouse: log output truncated, ');
    assert.ok(Buffer.byteLength(kept) <= 64 * 1024 && Buffer.byteLength(kept) > 64 * 1024 - 4, Buffer.byteLength(kept));
    assert.match(marker, /^\d+ more bytes discarded\]\n$/);
    assert.ok(kept.startsWith('line 0 '));
  });

  await t.test('process.exit, process.kill and process.abort throw inside the action', async () => {
    for (const call of ['process.exit(1)', 'process.exit()', 'process.reallyExit(3)', 'process.kill(process.pid, "SIGTERM")', 'process.abort()']) {
      const result = await runner.flow({ actions: [`exports.onExecutePostLogin = async () => { ${call}; };`] });
      assert.equal(result.actions[0].error.class, 'action_error', call);
      assert.match(result.actions[0].error.message, /is not allowed in an Action/);
      assert.equal(result.actions[0].error.code, 'ERR_ACTION_FORBIDDEN');
    }
    assert.equal((await runner.ping()).type, 'pong');
  });

  await t.test('the worker keeps serving after all of the above', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/alive', true); };"] });
    assert.equal(result.status, 'completed');
  });
});
