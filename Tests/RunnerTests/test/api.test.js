'use strict';
// Generic api behaviour: argument rules from the catalog, return conventions,
// size limits, api.cache, canRedirect, rules.wasExecuted, unavailable methods.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startRunner, postLoginEvent } = require('../harness');

/** Runs `body` as a post-login handler and returns the single action's result. */
async function run(runner, body, fields = {}) {
  const result = await runner.flow({ ...fields, actions: [`exports.onExecutePostLogin = async (event, api) => { ${body} };`] });
  return result.actions[0];
}

/** Runs each call in its own try/catch, logging the error name/message or "ok". */
function attempts(calls) {
  return calls.map((call) => `try { ${call}; console.log('ok'); } catch (e) { console.log(e.name + ': ' + e.message); }`).join('\n');
}

test('api behaviour', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('reserved and Auth0-namespaced claim names do not throw (the server drops them); bad names do', async () => {
    const result = await run(runner, attempts([
      "api.idToken.setCustomClaim('sub', 'x')",
      "api.accessToken.setCustomClaim('permissions', [])",
      "api.idToken.setCustomClaim('x5t#S256', 'x')",
      "api.idToken.setCustomClaim('https://auth0.com/claim', 1)",
      "api.idToken.setCustomClaim('https://tenant.webtask.io/c', 1)",
      "api.idToken.setCustomClaim('urn:auth0:thing', 1)",
      "api.idToken.setCustomClaim('', 1)",
      "api.idToken.setCustomClaim(42, 1)",
      "api.idToken.setCustomClaim('https://myapp.example/roles', ['admin'])",
      "api.idToken.setCustomClaim('plain_name', 1)",
    ]));
    assert.deepEqual(result.logs.trim().split('\n'), [
      'ok', 'ok', 'ok', 'ok', 'ok', 'ok',
      'RangeError: api.idToken.setCustomClaim: key must be at least 1 characters long',
      'TypeError: api.idToken.setCustomClaim: key must be a string, got number',
      'ok',
      'ok',
    ]);
    assert.deepEqual(result.commands.map((c) => c.args[0]), [
      'sub', 'permissions', 'x5t#S256', 'https://auth0.com/claim', 'https://tenant.webtask.io/c', 'urn:auth0:thing',
      'https://myapp.example/roles', 'plain_name',
    ]);
  });

  await t.test('an uncaught validation error fails the action and drops its commands', async () => {
    const result = await run(runner, "api.idToken.setCustomClaim('https://x/ok', 1); api.idToken.setCustomClaim('', 'x');");
    assert.equal(result.error.class, 'action_error');
    assert.equal(result.error.name, 'RangeError');
    assert.match(result.error.stack, /actions\/action-0\.js:1:\d+/);
    assert.doesNotMatch(result.error.stack, /lib\/api\.js|node:internal/);
    assert.deepEqual(result.commands, []);
  });

  await t.test('metadata keys must be strings; values must be JSON', async () => {
    const result = await run(runner, attempts([
      'api.user.setAppMetadata(1, "x")',
      'api.user.setUserMetadata(undefined, "x")',
      'api.user.setAppMetadata("n", 10n)',
      'const o = {}; o.self = o; api.user.setAppMetadata("cyclic", o)',
      'api.user.setAppMetadata("fine", {nested: [1, "two", null]})',
    ]));
    const lines = result.logs.trim().split('\n');
    assert.equal(lines[0], 'TypeError: api.user.setAppMetadata: key must be a string, got number');
    assert.equal(lines[1], 'TypeError: api.user.setUserMetadata: key is required');
    assert.equal(lines[2], 'TypeError: api.user.setAppMetadata: arguments must be JSON-serialisable (Do not know how to serialize a BigInt)');
    assert.match(lines[3], /^TypeError: api.user.setAppMetadata: arguments must be JSON-serialisable \(Converting circular structure/);
    assert.equal(lines.at(-1), 'ok');
    assert.deepEqual(result.commands, [{ method: 'api.user.setAppMetadata', args: ['fine', { nested: [1, 'two', null] }] }]);
  });

  await t.test('huge arguments (over 100 KB) are rejected', async () => {
    const result = await run(runner, attempts([
      "api.idToken.setCustomClaim('https://x/big', 'x'.repeat(100 * 1024))",
      "api.idToken.setCustomClaim('https://x/fits', 'x'.repeat(90 * 1024))",
      "api.user.setAppMetadata('big', 'é'.repeat(60 * 1024))",
    ]));
    const lines = result.logs.trim().split('\n');
    assert.match(lines[0], /^RangeError: api.idToken.setCustomClaim: arguments are \d+ bytes, the limit is 102400 bytes$/);
    assert.equal(lines[1], 'ok');
    assert.match(lines[2], /^RangeError: .*limit is 102400 bytes/);
  });

  await t.test('the number and total size of commands per action are bounded', async () => {
    const result = await run(runner, "for (let i = 0; i < 1001; i++) api.accessToken.addScope('s' + i);");
    assert.equal(result.error.name, 'RangeError');
    assert.match(result.error.message, /too many api calls/);
    const bytes = await run(runner, "for (let i = 0; i < 12; i++) api.idToken.setCustomClaim('https://x/c' + i, 'x'.repeat(90 * 1024));");
    assert.equal(bytes.error.name, 'RangeError');
    assert.match(bytes.error.message, /exceed 1048576 bytes in total/);
  });

  await t.test('return conventions: chainable setters return the api, others void or a value', async () => {
    const result = await run(runner, `
      console.log(api.idToken.setCustomClaim('https://x/a', 1) === api, api.access.deny('x') === api, api.multifactor.enable('any') === api);
      console.log(api.accessToken.addScope('read'), api.transaction.setMetadata('k', 'v'), api.authentication.challengeWith({type: 'otp'}));
      console.log(typeof api.redirect.canRedirect(), typeof api.cache.get('x'), typeof api.rules.wasExecuted('rul_1'));
    `);
    assert.equal(result.logs, 'true true true\nundefined undefined undefined\nboolean undefined boolean\n');
  });

  await t.test('extra arguments are ignored and trailing undefined arguments omitted', async () => {
    const result = await run(runner, "api.access.deny('reason', 'extra'); api.idToken.setCustomClaim('https://x/u', undefined);");
    assert.deepEqual(result.commands, [
      { method: 'api.access.deny', args: ['reason'] },
      { method: 'api.idToken.setCustomClaim', args: ['https://x/u'] },
    ]);
  });

  await t.test('enums, nested object properties and array items are checked', async () => {
    const result = await run(runner, attempts([
      "api.multifactor.enable('sms')",
      "api.authentication.challengeWith({type: 'carrier-pigeon'})",
      "api.authentication.challengeWithAny([{type: 'otp'}, 'email'])",
      "api.redirect.sendUserTo('https://x.example', {query: 'a=b'})",
      "api.session.setMetadata('bad key!', 'v')",
      "api.refreshToken.setExpiresAt(2 ** 60)",
      "api.samlResponse.setAttribute('http://schemas/role', ['a', 'b'])",
    ]));
    const lines = result.logs.trim().split('\n');
    assert.match(lines[0], /^RangeError: api.multifactor.enable: provider must be one of "none", "guardian"/);
    assert.match(lines[1], /^RangeError: api.authentication.challengeWith: factor.type must be one of/);
    assert.equal(lines[2], 'TypeError: api.authentication.challengeWithAny: factors[1] must be an object, got string');
    assert.equal(lines[3], 'TypeError: api.redirect.sendUserTo: options.query must be an object, got string');
    // A session metadata key is checked by the server (Auth0 refuses the login with its own
    // message, "Failed to set session metadata: Invalid metadata: …"), not in the action.
    assert.equal(lines[4], 'ok');
    assert.match(lines[5], /^RangeError: api.refreshToken.setExpiresAt: absoluteMs must be a safe integer/);
    assert.equal(lines[6], 'ok');
  });

  await t.test('methods the server cannot serve in the sandbox throw a clear error', async () => {
    const result = await run(runner, "await api.roles.getUserEffectiveRoles();");
    assert.equal(result.error.class, 'action_error');
    assert.equal(result.error.message, 'api.roles.getUserEffectiveRoles() is not available on this server');
  });

  await t.test('rules.wasExecuted reads the facts sent with the flow', async () => {
    const result = await run(runner, "console.log(api.rules.wasExecuted('rul_1'), api.rules.wasExecuted('rul_2'));",
      { facts: { executed_rules: ['rul_1'] } });
    assert.equal(result.logs, 'true false\n');
  });

  await t.test('canRedirect is false for ROPG, refresh-token exchanges and prompt=none', async () => {
    const cases = [
      [{ protocol: 'oidc-basic-profile' }, true],
      [{ protocol: 'oauth2-resource-owner' }, false],
      [{ protocol: 'oauth2-password' }, false],
      [{ protocol: 'oauth2-refresh-token' }, false],
      [{ protocol: 'oidc-basic-profile', prompt: ['none'] }, false],
      [{ protocol: 'oidc-basic-profile', prompt: ['login'] }, true],
    ];
    for (const [transaction, expected] of cases) {
      const result = await run(runner, "event.transaction.protocol = 'oidc-basic-profile'; event.transaction.prompt = []; console.log(api.redirect.canRedirect());",
        { event: postLoginEvent({ transaction: { ...transaction, metadata: {} } }) });
      assert.equal(result.logs, `${expected}\n`, JSON.stringify(transaction));
    }
  });
});

test('api.cache', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());
  const now = 1_700_000_000_000;

  await t.test('get reads the snapshot, ignores expired entries, and sees this flow\'s writes', async () => {
    const cache = { token: { value: 'abc', expires_at: now + 60_000 }, old: { value: 'x', expires_at: now - 1 } };
    const result = await runner.flow({
      now, cache,
      actions: [
        `exports.onExecutePostLogin = async (e, api) => {
          console.log(JSON.stringify([api.cache.get('token'), api.cache.get('old'), api.cache.get('missing')]));
          console.log(JSON.stringify(api.cache.set('fresh', 'v1', {ttl: 1000})));
          console.log(JSON.stringify(api.cache.get('fresh')));
          console.log(JSON.stringify(api.cache.delete('token')));
        };`,
        "exports.onExecutePostLogin = async (e, api) => { console.log(JSON.stringify([api.cache.get('fresh'), api.cache.get('token')])); };",
      ],
    });
    const first = result.actions[0].logs.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(first[0], [{ value: 'abc', expires_at: now + 60_000 }, null, null]);
    assert.equal(first[1].type, 'success');
    assert.equal(first[1].record.value, 'v1');
    assert.ok(Math.abs(first[1].record.expires_at - (now + 1000)) < 1000);
    assert.deepEqual(first[2], first[1].record);
    assert.deepEqual(first[3], { type: 'success' });
    assert.deepEqual(JSON.parse(result.actions[1].logs), [first[1].record, null]);
    assert.deepEqual(result.actions[0].commands, [
      { method: 'api.cache.set', args: ['fresh', 'v1', { expires_at: first[1].record.expires_at }] },
      { method: 'api.cache.delete', args: ['token'] },
    ]);
  });

  await t.test('expiry rules: default 15 min, earlier of ttl/expires_at, capped at 24 h', async () => {
    const result = await runner.flow({
      now,
      actions: [`exports.onExecutePostLogin = async (e, api) => {
        const at = (r) => r.type === 'success' ? r.record.expires_at - ${now} : r.code;
        console.log(JSON.stringify([
          at(api.cache.set('a', 'v')),
          at(api.cache.set('b', 'v', {ttl: 5000, expires_at: ${now} + 60000})),
          at(api.cache.set('c', 'v', {ttl: 600000, expires_at: ${now} + 60000})),
          at(api.cache.set('d', 'v', {ttl: 7 * 24 * 3600 * 1000})),
          at(api.cache.set('e', 'v', {expires_at: ${now} - 5})),
          at(api.cache.set('f', 'v', {ttl: -1})),
          at(api.cache.set('g', 'v', {ttl: 'soon'})),
        ]));
      };`],
    });
    const values = JSON.parse(result.actions[0].logs);
    const near = (actual, expected) => Math.abs(actual - expected) < 1000;
    assert.ok(near(values[0], 900_000), values[0]);
    assert.ok(near(values[1], 5000));
    assert.ok(near(values[2], 60_000));
    assert.ok(near(values[3], 86_400_000));
    assert.deepEqual(values.slice(4), ['ItemAlreadyExpired', 'InvalidExpiry', 'InvalidExpiry']);
  });

  await t.test('size limits return the documented error codes', async () => {
    const result = await runner.flow({
      now,
      actions: [`exports.onExecutePostLogin = async (e, api) => {
        const code = (r) => r.type === 'success' ? 'success' : r.code;
        const out = [];
        out.push(code(api.cache.set('k'.repeat(65), 'v')));
        out.push(code(api.cache.set('é'.repeat(33), 'v')));
        out.push(code(api.cache.set('big', 'x'.repeat(4097))));
        out.push(code(api.cache.set('num', 42)));
        out.push(code(api.cache.delete('nope')));
        for (let i = 0; i < 20; i++) out.push(code(api.cache.set('key' + i, 'v')));
        out.push(code(api.cache.set('key20', 'v')));
        out.push(code(api.cache.set('key0', 'replacing is fine')));
        api.cache.delete('key19');
        out.push(code(api.cache.set('huge', 'x'.repeat(4000))));
        out.push(code(api.cache.set('key1', 'x'.repeat(4000))));
        out.push(code(api.cache.set('key2', 'x'.repeat(4000))));
        console.log(out.join(' '));
      };`],
    });
    const codes = result.actions[0].logs.trim().split(' ');
    assert.deepEqual(codes.slice(0, 5), ['CacheKeySizeExceeded', 'CacheKeySizeExceeded', 'CacheValueSizeExceeded', 'FailedToSetCacheRecord', 'CacheKeyDoesNotExist']);
    assert.ok(codes.slice(5, 25).every((c) => c === 'success'));
    assert.deepEqual(codes.slice(25), ['CacheSizeExceeded', 'success', 'success', 'success', 'CacheSizeExceeded']);
  });

  await t.test('writes per flow are bounded (MaxSideEffectsExceeded)', async () => {
    const result = await runner.flow({
      now,
      actions: [`exports.onExecutePostLogin = async (e, api) => {
        let last;
        for (let i = 0; i < 101; i++) last = api.cache.set('k', 'v' + i);
        console.log(last.code);
      };`],
    });
    assert.equal(result.actions[0].logs, 'MaxSideEffectsExceeded\n');
    assert.equal(result.actions[0].commands.length, 100);
  });
});
