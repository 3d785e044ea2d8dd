'use strict';
// Legacy Auth0 Hooks (PROTOCOL.md §4.4): `module.exports = function (…, cb)` scripts run before a
// trigger's actions, with Auth0's Hooks arguments and `context.webtask.secrets`; what they hand
// the callback comes back as the trigger's commands.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startRunner, action } = require('../harness');

const hook = (trigger, name, code, extra = {}) => action(name, code, { hook: trigger, ...extra });
const commandsOf = (result) => result.actions.map((a) => a.commands.map((c) => [c.method, ...c.args]));

const ceEvent = (overrides = {}) => ({
  accessToken: { customClaims: {}, scope: ['read:things', 'write:things'] },
  client: { client_id: 'm2m_1', name: 'Billing', metadata: { tier: 'gold' } },
  request: { ip: '203.0.113.9', method: 'POST', body: { grant_type: 'client_credentials' }, geoip: {} },
  resource_server: { identifier: 'https://api.example.test/' },
  tenant: { id: 'acme' },
  transaction: { requested_scopes: [] },
  ...overrides,
});

const registrationEvent = () => ({
  user: { email: 'new@example.com', username: 'newbie', app_metadata: {}, user_metadata: { lang: 'fr' } },
  connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} },
  tenant: { id: 'acme' },
  request: { ip: '198.51.100.2', method: 'POST', language: 'fr', user_agent: 'UA/2', hostname: 'login.acme.test', geoip: { countryCode: 'FR' } },
  client: { client_id: 'spa_1', name: 'Shop', metadata: { brand: 'blue' } },
  transaction: { requested_scopes: ['openid'] },
});

test('legacy hooks', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('credentials-exchange: (client, scope, audience, context, cb); scope replaces, namespaced claims added, others ignored', async () => {
    const h = hook('credentials-exchange', 'm2m', `module.exports = function (client, scope, audience, context, cb) {
      console.log(JSON.stringify([client, scope, audience, context.webtask.secrets.KEY]));
      const token = { scope: scope.concat(['extra:scope']) };
      token['https://example.test/tier'] = client.metadata.tier;
      token.plain = 'dropped';
      cb(null, token);
    };`, { secrets: { KEY: 'k-1' } });
    const after = action('after', 'exports.onExecuteCredentialsExchange = async (event) => { console.log(JSON.stringify(event.transaction.target_scopes)); };');
    const result = await runner.flow({ trigger: 'credentials-exchange', event: ceEvent(), actions: [h, after] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(
      result.actions[0].logs.split('\n')[0],
      '[{"name":"Billing","id":"m2m_1","tenant":"acme","metadata":{"tier":"gold"}},["read:things","write:things"],"https://api.example.test/","k-1"]',
    );
    assert.match(result.actions[0].logs, /'plain' was ignored: hooks add namespaced claims only/);
    assert.deepEqual(commandsOf(result)[0], [
      ['api.transaction.setTargetScopes', ['read:things', 'write:things', 'extra:scope']],
      ['api.accessToken.setCustomClaim', 'https://example.test/tier', 'gold'],
    ]);
    assert.equal(result.actions[1].logs, '["read:things","write:things","extra:scope"]\n', 'the actions after see the hook\'s scopes');
  });

  await t.test('credentials-exchange: InvalidScopeError / InvalidRequestError / ServerError deny with the RFC 6749 code; another error fails', async () => {
    for (const [klass, code] of [['InvalidScopeError', 'invalid_scope'], ['InvalidRequestError', 'invalid_request'], ['ServerError', 'server_error']]) {
      const h = hook('credentials-exchange', 'deny', `module.exports = function (client, scope, audience, context, cb) {
        cb(new ${klass}('Not for you.'));
      };`);
      const result = await runner.flow({ trigger: 'credentials-exchange', event: ceEvent(), actions: [h, action('never', 'exports.onExecuteCredentialsExchange = async () => { console.log("ran"); };')] });
      assert.equal(result.status, 'denied', klass);
      assert.deepEqual(commandsOf(result)[0], [['api.access.deny', code, 'Not for you.']]);
      assert.equal(result.actions.length, 1, 'no action runs after a deny');
    }
    const twoArgs = hook('credentials-exchange', 'deny2', "module.exports = function (c, s, a, ctx, cb) { cb(new InvalidScopeError('E42', 'Two args.')); };");
    const denied = await runner.flow({ trigger: 'credentials-exchange', event: ceEvent(), actions: [twoArgs] });
    assert.deepEqual(commandsOf(denied)[0], [['api.access.deny', 'invalid_scope', 'Two args.']]);
    const failing = hook('credentials-exchange', 'boom', "module.exports = function (c, s, a, ctx, cb) { cb(new Error('backend down')); };");
    const failed = await runner.flow({ trigger: 'credentials-exchange', event: ceEvent(), actions: [failing] });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.actions[0].error.class, 'action_error');
    assert.equal(failed.actions[0].error.message, 'backend down');
  });

  await t.test('pre-user-registration: Auth0\'s user and context; response.user metadata becomes the api\'s metadata calls', async () => {
    const h = hook('pre-user-registration', 'pre', `module.exports = function (user, context, cb) {
      console.log(JSON.stringify({ user, ctx: [context.connection, context.request.ip, context.request.language, context.clientMetadata, context.webtask.secrets.S] }));
      cb(null, { user: { app_metadata: { plan: 'trial' }, user_metadata: { lang: user.user_metadata.lang, from_hook: true } } });
    };`, { secrets: { S: 'shh-value' } });
    const after = action('after', 'exports.onExecutePreUserRegistration = async (event) => { console.log(JSON.stringify([event.user.app_metadata, event.user.user_metadata])); };');
    const result = await runner.flow({ trigger: 'pre-user-registration', event: registrationEvent(), actions: [h, after] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    const dumped = JSON.parse(result.actions[0].logs.split('\n')[0]);
    assert.deepEqual(dumped.user, {
      tenant: 'acme', username: 'newbie', email: 'new@example.com', emailVerified: false, phoneNumberVerified: false,
      user_metadata: { lang: 'fr' }, app_metadata: {},
    });
    assert.deepEqual(dumped.ctx, [{ id: 'con_1', name: 'Username-Password-Authentication', tenant: 'acme' }, '198.51.100.2', 'fr', { brand: 'blue' }, 'shh-value']);
    assert.deepEqual(commandsOf(result)[0], [
      ['api.user.setAppMetadata', 'plan', 'trial'],
      ['api.user.setUserMetadata', 'lang', 'fr'],
      ['api.user.setUserMetadata', 'from_hook', true],
    ]);
    assert.equal(result.actions[1].logs, '[{"plan":"trial"},{"lang":"fr","from_hook":true}]\n', 'the actions after see the metadata');
  });

  await t.test('pre-user-registration: PreUserRegistrationError denies with its user message; a bad metadata name fails', async () => {
    const h = hook('pre-user-registration', 'deny', `module.exports = function (user, context, cb) {
      cb(new PreUserRegistrationError('blocked domain ' + user.email, 'Sign-ups from this domain are closed.'));
    };`);
    const result = await runner.flow({ trigger: 'pre-user-registration', event: registrationEvent(), actions: [h] });
    assert.equal(result.status, 'denied');
    assert.deepEqual(commandsOf(result)[0], [['api.access.deny', 'blocked domain new@example.com', 'Sign-ups from this domain are closed.']]);
    const bad = hook('pre-user-registration', 'bad', "module.exports = function (u, c, cb) { cb(null, { user: { user_metadata: { 'a.b': 1 } } }); };");
    const failed = await runner.flow({ trigger: 'pre-user-registration', event: registrationEvent(), actions: [bad] });
    assert.equal(failed.status, 'failed');
    assert.match(failed.actions[0].error.message, /must not contain '\.'/);
  });

  await t.test('post-user-registration, post-change-password and send-phone-message get Auth0\'s arguments; an error fails the flow', async () => {
    const purEvent = {
      user: { user_id: 'auth0|abc123', email: 'a@example.com', email_verified: true, username: 'ann', app_metadata: { x: 1 }, user_metadata: {} },
      connection: { id: 'con_1', name: 'db', strategy: 'auth0' }, tenant: { id: 'acme' }, request: { ip: '192.0.2.1', language: 'en' },
    };
    const pur = hook('post-user-registration', 'pur', `module.exports = function (user, context, cb) {
      console.log(JSON.stringify([user.id, user.emailVerified, user.app_metadata, context.connection, context.requestLanguage]));
      cb();
    };`);
    const purResult = await runner.flow({ trigger: 'post-user-registration', event: purEvent, actions: [pur] });
    assert.equal(purResult.status, 'completed');
    assert.equal(purResult.actions[0].logs, '["abc123",true,{"x":1},{"id":"con_1","name":"db","tenant":"acme"},"en"]\n');

    const pcp = hook('post-change-password', 'pcp', `module.exports = function (user, context, cb) {
      console.log(JSON.stringify([user, context.connection.name]));
      cb(new Error('slack is down'));
    };`);
    const pcpEvent = {
      user: { user_id: 'auth0|abc123', email: 'a@example.com', last_password_reset: '2026-01-01T00:00:00.000Z' },
      connection: { id: 'con_1', name: 'db', strategy: 'auth0' }, tenant: { id: 'acme' }, request: { ip: '192.0.2.1' },
    };
    const pcpResult = await runner.flow({ trigger: 'post-change-password', event: pcpEvent, actions: [pcp] });
    assert.equal(pcpResult.status, 'failed');
    assert.equal(pcpResult.actions[0].logs, '[{"id":"auth0|abc123","email":"a@example.com","last_password_reset":"2026-01-01T00:00:00.000Z"},"db"]\n');

    const spm = hook('send-phone-message', 'sms', `module.exports = function (recipient, text, context, cb) {
      console.log(JSON.stringify([recipient, text, context.code, context.action, context.message_type, context.client.client_id, context.user.user_id, context.webtask.secrets.TOKEN]));
      cb(null, {});
    };`, { secrets: { TOKEN: 'twilio-token' } });
    const spmEvent = {
      message_options: { action: 'second-factor-authentication', code: '123456', message_type: 'sms', recipient: '+15550100', text: 'Your code is 123456' },
      user: { user_id: 'auth0|abc123', app_metadata: {}, user_metadata: {} }, client: { client_id: 'spa_1', name: 'Shop', metadata: {} },
      request: { ip: '192.0.2.1', language: 'en' }, tenant: { id: 'acme' }, transaction: {},
    };
    const spmResult = await runner.flow({ trigger: 'send-phone-message', event: spmEvent, actions: [spm] });
    assert.equal(spmResult.status, 'completed');
    assert.equal(spmResult.actions[0].logs, '["+15550100","Your code is 123456","123456","second-factor-authentication","sms","spa_1","auth0|abc123","twilio-token"]\n');
  });

  await t.test('a hook that is not a function, or never calls back, fails; its stack names hooks/<name>.js', async () => {
    const notFn = hook('post-user-registration', 'obj', 'module.exports = { hello: 1 };');
    const result = await runner.flow({ trigger: 'post-user-registration', event: { user: {}, tenant: { id: 't' } }, actions: [notFn] });
    assert.equal(result.status, 'failed');
    assert.match(result.actions[0].error.message, /must export a function/);
    const silent = hook('post-user-registration', 'silent', 'module.exports = function (user, context, cb) {};');
    const timedOut = await runner.flow({ trigger: 'post-user-registration', event: { user: {}, tenant: { id: 't' } }, actions: [silent], budget_ms: 200 });
    assert.equal(timedOut.status, 'failed');
    assert.equal(timedOut.actions[0].error.class, 'action_timeout');
    const thrower = hook('post-user-registration', 'thrower', "module.exports = function (user, context, cb) { throw new Error('sync'); };");
    const thrown = await runner.flow({ trigger: 'post-user-registration', event: { user: {}, tenant: { id: 't' } }, actions: [thrower] });
    assert.equal(thrown.status, 'failed');
    assert.match(thrown.actions[0].error.stack, /hooks\/thrower\.js/);
  });
});
