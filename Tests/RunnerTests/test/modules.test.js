'use strict';
// Action code as CommonJS modules: compiled once per version, module state kept,
// require of built-ins and of the version's own node_modules, fetch, eval.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { startRunner, action, BUNDLES_DIR, RUNNER_DIR } = require('../harness');

const GREETER_MODULES = path.join(BUNDLES_DIR, 'greeter-v1', 'node_modules');

test('modules', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('module-level code runs once per version; its state survives between flows', async () => {
    const counter = action('counter', `
      let executions = 0;
      const bootedAt = Date.now();
      console.log('module body');
      exports.onExecutePostLogin = async () => { executions++; console.log(executions, typeof bootedAt); };`);
    const logs = [];
    for (let i = 0; i < 3; i++) logs.push((await runner.flow({ actions: [counter] })).actions[0].logs);
    assert.deepEqual(logs, ['module body\n1 number\n', '2 number\n', '3 number\n']);
    // A different version of the same action is a different module.
    const next = { ...counter, version_id: `${counter.version_id}-v2` };
    assert.equal((await runner.flow({ actions: [next] })).actions[0].logs, 'module body\n1 number\n');
    // The same version in two places of one flow shares the module.
    const twice = await runner.flow({ actions: [counter, counter] });
    assert.deepEqual(twice.actions.map((a) => a.logs), ['4 number\n', '5 number\n']);
  });

  await t.test('Node built-ins can be required, with or without the node: prefix', async () => {
    const result = await runner.flow({
      actions: [`const crypto = require('crypto'); const { URL } = require('node:url'); const util = require('node:util');
        exports.onExecutePostLogin = async (event) => {
          console.log(crypto.createHash('sha256').update('x').digest('hex').slice(0, 8), new URL('https://a.example/b').host, util.format('%s!', 'ok'));
          console.log(typeof require('node:querystring').stringify, typeof require('events'), typeof Buffer, typeof structuredClone);
        };`],
    });
    assert.equal(result.actions[0].logs, '2d711642 a.example ok!\nfunction function function function\n');
  });

  await t.test('a package from the version\'s node_modules directory can be required', async () => {
    const greeter = action('greeter', `
      const greet = require('tiny-greeter');
      exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/greeting', greet(event.user.email)); };`,
    { node_modules: GREETER_MODULES });
    const result = await runner.flow({ actions: [greeter] });
    assert.equal(result.status, 'completed', JSON.stringify(result.actions[0].error));
    assert.deepEqual(result.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/greeting', 'hello, ada@example.com (#1)'] }]);
    const resolved = await runner.flow({
      actions: [action('resolver', `exports.onExecutePostLogin = async () => { console.log(require.resolve('tiny-greeter')); };`, { node_modules: GREETER_MODULES })],
    });
    assert.equal(resolved.actions[0].logs, `${path.join(GREETER_MODULES, 'tiny-greeter', 'lib', 'greet.js')}\n`);
  });

  await t.test('a package of several files loads into the version\'s realm; each version has its own instance', async () => {
    const modules = path.join(BUNDLES_DIR, 'realm-v1', 'node_modules');
    const code = `const multi = require('multi-part');
      exports.onExecutePostLogin = async () => {
        let read = '';
        for await (const chunk of new multi.Source()) read += chunk;
        console.log(multi.describe(), read, multi.sameObjectPrototype(), require('multi-part') === multi,
          Object.keys(require.cache).filter((f) => f.includes('multi-part')).length);
      };`;
    const one = action('multi-one', code, { node_modules: modules });
    const two = action('multi-two', code, { node_modules: modules });
    const first = await runner.flow({ actions: [one, one, two] });
    assert.equal(first.status, 'completed', JSON.stringify(first.actions.map((a) => a.error)));
    assert.deepEqual(first.actions.map((a) => a.logs), ['REALM! dep 1 realm true true 4\n', 'REALM! dep 2 realm true true 4\n', 'REALM! dep 1 realm true true 4\n']);
  });

  await t.test('packages that are not declared, relative paths and absolute paths cannot be required', async () => {
    const cases = [
      ["require('tiny-greeter')", null],
      ["require('left-pad')", GREETER_MODULES],
      ["require('./lib/flow')", GREETER_MODULES],
      [`require(${JSON.stringify(path.join(RUNNER_DIR, 'lib', 'flow.js'))})`, null],
      ["require('actions:shared-module')", null],
    ];
    for (const [call, nodeModules] of cases) {
      const result = await runner.flow({ actions: [action('req', `exports.onExecutePostLogin = async () => { ${call}; };`, { node_modules: nodeModules })] });
      const { error } = result.actions[0];
      assert.equal(error.class, 'action_error', call);
      assert.equal(error.code, 'MODULE_NOT_FOUND', call);
      assert.match(error.message, /^Cannot find module '/);
    }
  });

  await t.test('fetch is available', async (t2) => {
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    t2.after(() => server.close());
    const url = `http://127.0.0.1:${server.address().port}/risk?u=1`;
    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async (event, api) => {
        const response = await fetch(${JSON.stringify(url)}, { method: 'POST', body: '{}' });
        const body = await response.json();
        api.idToken.setCustomClaim('https://x/risk', body);
      };`],
    });
    assert.equal(result.status, 'completed', JSON.stringify(result.actions[0].error));
    assert.deepEqual(result.actions[0].commands[0].args[1], { path: '/risk?u=1', method: 'POST' });
  });

  await t.test('eval, new Function and dynamic import of built-ins work (code generation is not disabled)', async () => {
    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async () => {
        const os = await import('node:os');
        console.log(eval('1 + 1'), new Function('a', 'return a * 3')(2), typeof os.cpus);
      };`],
    });
    assert.equal(result.actions[0].logs, '2 6 function\n');
  });

  await t.test('the first import() of a fresh worker puts no Node warning in the action\'s logs', async (t2) => {
    const fresh = await startRunner();
    t2.after(() => fresh.close());
    const result = await fresh.flow({
      actions: ["exports.onExecutePostLogin = async () => { const os = await import('node:os'); await new Promise((r) => setTimeout(r, 20)); console.log(typeof os.cpus); };"],
    });
    assert.equal(result.actions[0].logs, 'function\n');
  });

  await t.test('a changed code string under the same version_id is recompiled', async () => {
    const one = action('same', "exports.onExecutePostLogin = async () => { console.log('one'); };");
    const two = { ...one, code: "exports.onExecutePostLogin = async () => { console.log('two'); };" };
    assert.equal((await runner.flow({ actions: [one] })).actions[0].logs, 'one\n');
    assert.equal((await runner.flow({ actions: [two] })).actions[0].logs, 'two\n');
  });

  await t.test('once a worker has a version, the version may come without its code; module state carries on', async () => {
    const counter = action('counted', `
      let executions = 0;
      exports.onExecutePostLogin = async (event, api) => {
        executions += 1;
        api.idToken.setCustomClaim('https://example.com/n', executions);
      };`);
    const { code, ...withoutCode } = counter;
    assert.ok(code.length > 0);
    await runner.flow({ actions: [counter] });
    const result = await runner.flow({ actions: [withoutCode] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://example.com/n', 2] }]);
  });

  await t.test('a request naming a version the worker has no code for runs nothing and names the versions', async () => {
    const known = action('known', `let runs = 0;
      exports.onExecutePostLogin = async () => { runs += 1; console.log('known ran', runs); };`);
    await runner.flow({ actions: [known] });
    const { code: knownCode, ...knownWithoutCode } = known;
    const { code: unknownCode, ...unknown } = action('unknown', "exports.onExecutePostLogin = async () => {};");
    assert.ok(knownCode && unknownCode);
    const answer = await runner.flow({ actions: [knownWithoutCode, unknown] });
    assert.deepEqual(answer, { type: 'missing_code', id: answer.id, version_ids: [unknown.version_id] });
    // Nothing ran: the known action's module state did not move.
    const again = await runner.flow({ actions: [known] });
    assert.equal(again.actions[0].logs, 'known ran 2\n');
  });

  await t.test('a version whose top level threw is asked for again, and evaluated afresh', async () => {
    const flaky = action('flaky', `
      globalThis.flakyLoads = (globalThis.flakyLoads || 0) + 1;
      if (globalThis.flakyLoads === 1) throw new Error('first load fails');
      exports.onExecutePostLogin = async () => { console.log('loaded', globalThis.flakyLoads); };`);
    const { code, ...withoutCode } = flaky;
    const first = await runner.flow({ actions: [flaky] });
    assert.equal(first.actions[0].error.message, 'first load fails');
    assert.ok(code);
    const asked = await runner.flow({ actions: [withoutCode] });
    assert.deepEqual(asked.version_ids, [flaky.version_id]);
    const second = await runner.flow({ actions: [flaky] });
    assert.equal(second.status, 'completed');
    assert.equal(second.actions[0].logs, 'loaded 2\n');
  });

  await t.test('code, when present, must be a string', async () => {
    const result = await runner.flow({ actions: [action('nulled', null)] });
    assert.equal(result.status, 'failed');
    assert.match(result.error.message, /actions\[0\] must have a string name, a version_id and, if any, string code/);
  });
});
