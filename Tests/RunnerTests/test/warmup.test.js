'use strict';
// The warm-up a worker runs before it reports ready (PROTOCOL.md §2, init.warm_up).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Runner, CATALOG } = require('../harness');

const SAMPLES = require(path.join(__dirname, '..', '..', '..', 'Sources', 'GatehouseSandbox', 'CatalogData', 'sample-events.json'));
const events = { 'post-login': SAMPLES['post-login'], 'credentials-exchange': SAMPLES['credentials-exchange'] };

test('warm-up', async (t) => {
  await t.test('runs the requested flows per trigger before ready; none of their answers reaches stdout', async () => {
    const runner = new Runner();
    t.after(() => runner.close());
    const ready = await runner.init(CATALOG, { warm_up: { flows: 40, events } });
    assert.equal(ready.type, 'ready');
    assert.equal(ready.warmed_up, 80);
    // No answer of a warm-up flow reached stdout: ready was the first line.
    assert.equal(runner.lines.length, 1);

    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim('https://example.com/seen', Object.keys(event.user.app_metadata));
      };`],
    });
    // The answer is this flow's own, not a late warm-up answer.
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions.map((a) => a.name), ['action-0']);
    assert.deepEqual(result.actions[0].commands, [
      { method: 'api.idToken.setCustomClaim', args: ['https://example.com/seen', ['plan']] },
    ]);
    assert.equal(runner.lines.length, 2);
  });

  await t.test('requests sent during the warm-up are answered after ready, in order', async () => {
    const runner = new Runner();
    t.after(() => runner.close());
    runner.send({ type: 'init', catalog: CATALOG, warm_up: { flows: 200, events } });
    const pong = runner.request({ type: 'ping' });
    const ready = await runner.next();
    assert.equal(ready.type, 'ready');
    assert.equal(ready.warmed_up, 400);
    assert.equal((await pong).type, 'pong');
  });

  await t.test('an unusable warm-up specification starts the worker without one', async () => {
    for (const warmUp of [{ flows: 'many', events }, { flows: 10, events: 5 }, { flows: 10, events: { 'post-nothing': {} } }, null, 7]) {
      const runner = new Runner();
      const ready = await runner.init(CATALOG, { warm_up: warmUp });
      assert.equal(ready.type, 'ready', JSON.stringify(warmUp));
      assert.equal(ready.warmed_up, 0, JSON.stringify(warmUp));
      const result = await runner.flow({ actions: ['exports.onExecutePostLogin = async () => {}'] });
      assert.equal(result.status, 'completed');
      await runner.close();
    }
  });
});
