'use strict';
// The warm-up actions a worker offers its host (PROTOCOL.md §2, ready.warm_up_actions): the
// host runs them as ordinary flows before the worker takes traffic.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Runner, CATALOG } = require('../harness');

const SAMPLES = require(path.join(__dirname, '..', '..', '..', 'Sources', 'GatehouseSandbox', 'CatalogData', 'sample-events.json'));

test('warm-up', async (t) => {
  const runner = new Runner();
  t.after(() => runner.close());
  const ready = await runner.init(CATALOG);

  await t.test('ready lists warm-up actions for post-login and credentials-exchange, with their code', () => {
    assert.equal(ready.type, 'ready');
    assert.deepEqual(Object.keys(ready.warm_up_actions).sort(), ['credentials-exchange', 'post-login']);
    for (const actions of Object.values(ready.warm_up_actions)) {
      assert.ok(actions.length > 0);
      for (const action of actions) {
        assert.deepEqual(Object.keys(action), ['name', 'version_id', 'code', 'secrets', 'node_modules']);
        assert.match(action.version_id, /^gatehouse-warm-up-/);
      }
    }
  });

  await t.test('they run as ordinary flows on the sample events, then without their code, calling the common api methods', async () => {
    for (const [trigger, actions] of Object.entries(ready.warm_up_actions)) {
      const methods = new Set();
      for (let round = 0; round < 12; round++) {
        const sent = round === 0 ? actions : actions.map(({ code, ...rest }) => rest);
        const result = await runner.request({
          type: 'flow', trigger, handler: 'execute', event: SAMPLES[trigger], actions: sent, cache: {}, facts: {},
          budget_ms: 5000, now: Date.now(),
        });
        assert.equal(result.status, 'completed', `${trigger}: ${JSON.stringify(result)}`);
        for (const action of result.actions) for (const command of action.commands) methods.add(command.method);
      }
      const expected = trigger === 'post-login'
        ? ['api.idToken.setCustomClaim', 'api.accessToken.setCustomClaim', 'api.user.setAppMetadata', 'api.user.setUserMetadata',
          'api.transaction.setMetadata', 'api.cache.set']
        : ['api.accessToken.setCustomClaim', 'api.cache.set'];
      for (const method of expected) assert.ok(methods.has(method), `${trigger} never called ${method}`);
    }
  });
});
