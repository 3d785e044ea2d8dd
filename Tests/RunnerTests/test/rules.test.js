'use strict';
// Legacy Auth0 Rules (PROTOCOL.md §4.3): `function (user, context, callback)` scripts run before
// the actions of a post-login flow, sharing `user`, `context` and `global`, with `configuration`,
// `auth0` and `UnauthorizedError`; the chain's outcome comes back as post-login commands.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRunner, action, postLoginEvent, BUNDLES_DIR } = require('../harness');

const rule = (name, code, extra = {}) => action(name, code, { rule: true, ...extra });
const commandsOf = (result) => result.actions.map((a) => a.commands);
const GREETER_MODULES = path.join(BUNDLES_DIR, 'greeter-v1', 'node_modules');

test('legacy rules', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('user and context are shared along the chain: what one rule sets, the next sees, and nothing is persisted', async () => {
    const first = rule('default-role', `function (user, context, callback) {
      user.app_metadata = user.app_metadata || {};
      user.app_metadata.roles = user.app_metadata.roles || ['reader'];
      context.note = 'from rule 1';
      callback(null, user, context);
    }`);
    const second = rule('use-role', `function (user, context, callback) {
      console.log(JSON.stringify([user.app_metadata.roles, context.note]));
      callback(null, user, context);
    }`);
    const later = action('after', 'exports.onExecutePostLogin = async (event) => { console.log(JSON.stringify(event.user.app_metadata)); };');
    const result = await runner.flow({ actions: [first, second, later] });
    assert.equal(result.status, 'completed');
    assert.equal(result.actions[1].logs, '[["reader"],"from rule 1"]\n');
    assert.equal(result.actions[2].logs, '{"plan":"free"}\n', 'a rule changing user does not reach the actions');
    assert.deepEqual(commandsOf(result), [[], [], []]);
  });

  await t.test('a rule that hands the callback new objects passes those on', async () => {
    const replace = rule('replace', `function (user, context, callback) {
      callback(null, Object.assign({}, user, {nickname: 'new'}), Object.assign({}, context, {extra: 1}));
    }`);
    const read = rule('read', 'function (user, context, callback) { console.log(user.nickname, context.extra, context.clientID); callback(null, user, context); }');
    const result = await runner.flow({ actions: [replace, read] });
    assert.equal(result.actions[1].logs, 'new 1 cl_1\n');
  });

  await t.test('context has Auth0\'s Rules fields, user its profile (empty metadata left out)', async () => {
    const event = postLoginEvent({
      user: { user_id: 'auth0|u2', email: 'b@example.com', app_metadata: {}, user_metadata: {}, identities: [] },
      request: {
        ip: '198.51.100.4', hostname: 'login.acme.test', user_agent: 'UA/1', query: { a: '1' }, body: { b: '2' },
        geoip: { countryCode: 'FR', countryCode3: 'FRA', countryName: 'France', cityName: 'Paris', timeZone: 'Europe/Paris', continentCode: 'EU' },
      },
      session: { id: 'ses_1', clients: [{ client_id: 'cl_0' }] },
      authorization: { roles: ['admin'] },
      authentication: { methods: [{ name: 'pwd', timestamp: '2024-01-01T00:00:00.000Z' }] },
      client: { client_id: 'cl_1', name: 'App', metadata: { tier: 'gold' } },
    });
    const dump = rule('dump', `function (user, context, callback) {
      console.log(JSON.stringify({user: [user.user_id, 'app_metadata' in user, 'user_metadata' in user],
        context: [context.clientID, context.clientName, context.clientMetadata, context.connection, context.connectionID,
          context.connectionStrategy, context.protocol, context.sessionID, context.stats, context.tenant,
          context.request.ip, context.request.userAgent, context.request.hostname, context.request.query, context.request.body,
          context.request.geoip, context.authorization.roles, context.authentication.methods, context.sso.current_clients,
          context.idToken, context.accessToken]}));
      callback(null, user, context);
    }`);
    const result = await runner.flow({ event, actions: [dump] });
    assert.deepEqual(JSON.parse(result.actions[0].logs), {
      user: ['auth0|u2', false, false],
      context: ['cl_1', 'App', { tier: 'gold' }, 'Username-Password-Authentication', 'con_1', 'auth0', 'oidc-basic-profile', 'ses_1',
        { loginsCount: 3 }, 'acme', '198.51.100.4', 'UA/1', 'login.acme.test', { a: '1' }, { b: '2' },
        { country_code: 'FR', country_code3: 'FRA', country_name: 'France', city_name: 'Paris', time_zone: 'Europe/Paris', continent_code: 'EU' },
        ['admin'], [{ name: 'pwd', timestamp: 1704067200 }], ['cl_0'], {}, {}],
    });
  });

  await t.test('context.idToken / accessToken become claims on the last rule, scope changes, MFA, primary user', async () => {
    const event = postLoginEvent({ transaction: { id: 'tx', protocol: 'oidc-basic-profile', requested_scopes: ['openid', 'email'], metadata: {} } });
    const claims = rule('claims', `function (user, context, callback) {
      context.idToken['https://acme/roles'] = ['admin'];
      context.accessToken['https://acme/plan'] = 'pro';
      context.accessToken.scope = ['openid', 'read:things'];
      context.idToken.nothing = undefined;
      callback(null, user, context);
    }`);
    const mfa = rule('mfa', `function (user, context, callback) {
      context.multifactor = {provider: 'any', allowRememberBrowser: true};
      context.primaryUser = 'auth0|other';
      callback(null, user, context);
    }`);
    const result = await runner.flow({ event, actions: [claims, mfa] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(commandsOf(result), [[], [
      { method: 'api.idToken.setCustomClaim', args: ['https://acme/roles', ['admin']] },
      { method: 'api.accessToken.setCustomClaim', args: ['https://acme/plan', 'pro'] },
      { method: 'api.accessToken.addScope', args: ['read:things'] },
      { method: 'api.accessToken.removeScope', args: ['email'] },
      { method: 'api.multifactor.enable', args: ['any', { allowRememberBrowser: true }] },
      { method: 'api.authentication.setPrimaryUser', args: ['auth0|other'] },
    ]]);
  });

  await t.test('a claim the api refuses is left out and noted in the rule\'s log; the login goes on', async () => {
    const bad = rule('bad-claim', `function (user, context, callback) {
      context.idToken[''] = 1; context.idToken['https://ok/x'] = 2; callback(null, user, context);
    }`);
    const result = await runner.flow({ actions: [bad] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://ok/x', 2] }]);
    assert.match(result.actions[0].logs, /\[gatehouse: context\.idToken\[''\] was not added: .+\]/);
  });

  await t.test('context.redirect suspends after the last rule; on resume every rule runs again with protocol redirect-callback', async () => {
    const counter = rule('counter', "function (user, context, callback) { console.log('counter', context.protocol); callback(null, user, context); }");
    const redirect = rule('redirect', `function (user, context, callback) {
      if (context.protocol === 'redirect-callback') {
        context.idToken['https://acme/verified'] = context.request.query.ok === 'yes';
      } else {
        context.idToken['https://acme/lost'] = true;
        context.redirect = {url: 'https://verify.example/start?x=1'};
      }
      callback(null, user, context);
    }`);
    const last = rule('last', "function (user, context, callback) { console.log('last ran'); callback(null, user, context); }");
    const after = action('after', "exports.onExecutePostLogin = async () => { console.log('action ran'); };");
    const first = await runner.flow({ actions: [counter, redirect, last, after] });
    assert.equal(first.status, 'suspended');
    assert.deepEqual(first.suspended, { action_index: 2, method: 'api.redirect.sendUserTo', args: ['https://verify.example/start?x=1'] });
    assert.equal(first.actions.length, 3, 'every rule runs before the redirect; no action does');
    assert.deepEqual(first.actions[2].commands, [{ method: 'api.redirect.sendUserTo', args: ['https://verify.example/start?x=1'] }]);
    const event = { ...first.state.event, request: { ...first.state.event.request, query: { ok: 'yes', state: 's' } } };
    const resumed = await runner.flow({ handler: 'continue', event, actions: [counter, redirect, last, after] });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.actions[0].logs, 'counter redirect-callback\n');
    assert.equal(resumed.actions[3].logs, 'action ran\n');
    assert.deepEqual(resumed.actions[2].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://acme/verified', true] }]);
  });

  await t.test('UnauthorizedError denies with its message; later rules and actions do not run', async () => {
    const deny = rule('deny', "function (user, context, callback) { return callback(new UnauthorizedError('Access denied: e-mail domain not allowed')); }");
    const never = rule('never', "function (user, context, callback) { console.log('ran'); callback(null, user, context); }");
    const result = await runner.flow({ actions: [deny, never, action('a', 'exports.onExecutePostLogin = async () => {};')] });
    assert.equal(result.status, 'denied');
    assert.equal(result.actions.length, 1);
    assert.deepEqual(result.actions[0].commands, [{ method: 'api.access.deny', args: ['Access denied: e-mail domain not allowed'] }]);
  });

  await t.test('any other error fails the flow, with the rule named in the stack; so does a throw or a rejection', async () => {
    for (const [code, message] of [
      ["function (user, context, callback) { callback(new Error('upstream down')); }", 'upstream down'],
      ["function (user, context, callback) { throw new TypeError('bad'); }", 'bad'],
      ["async function (user, context, callback) { await null; throw new Error('async bad'); }", 'async bad'],
      ["function (user, context, callback) { callback('a string'); }", "Non-error value thrown: a string"],
    ]) {
      const result = await runner.flow({ actions: [rule('failing', code)] });
      assert.equal(result.status, 'failed', code);
      assert.equal(result.actions[0].error.class, 'action_error');
      assert.equal(result.actions[0].error.message, message);
    }
    const result = await runner.flow({ actions: [rule('Named Rule', "function (user, context, callback) {\n  callback(new Error('x'));\n}")] });
    assert.match(result.actions[0].error.stack, /rules\/Named_Rule\.js:2:/);
  });

  await t.test('a rule that never calls back times out within the flow budget', async () => {
    const result = await runner.flow({ budget_ms: 150, actions: [rule('silent', 'function (user, context, callback) {}')] });
    assert.equal(result.status, 'failed');
    assert.equal(result.actions[0].error.class, 'action_timeout');
    assert.equal(result.recycle, true);
  });

  await t.test('a callback called twice, or after the rule ended, changes nothing', async () => {
    const twice = rule('twice', `function (user, context, callback) {
      callback(null, user, context); callback(new UnauthorizedError('late')); setTimeout(() => callback(new Error('later')), 1);
    }`);
    const result = await runner.flow({ actions: [twice] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands, []);
  });

  await t.test('a syntax error, a script that is not a function, and a trailing semicolon', async () => {
    const broken = await runner.flow({ actions: [rule('broken', 'function (user, context, callback) {')] });
    assert.equal(broken.status, 'failed');
    assert.equal(broken.actions[0].error.name, 'SyntaxError');
    const notFunction = await runner.flow({ actions: [rule('number', '42')] });
    assert.match(notFunction.actions[0].error.message, /must be a function \(user, context, callback\)/);
    const semicolon = await runner.flow({ actions: [rule('semi', '// a comment first\nfunction (user, context, callback) { callback(null, user, context); };\n\n')] });
    assert.equal(semicolon.status, 'completed');
  });

  await t.test('configuration holds the rules\' configuration values', async () => {
    const result = await runner.flow({
      actions: [rule('config', "function (user, context, callback) { console.log(configuration.API_KEY.length, Object.keys(configuration)); callback(null, user, context); }", { secrets: { API_KEY: 'abcdef' } })],
    });
    assert.equal(result.actions[0].logs, "6 [ 'API_KEY' ]\n");
  });

  await t.test('global is one object for the rules, surviving between flows, not the actions\' globals', async () => {
    const bump = rule('bump', 'function (user, context, callback) { global.hits = (global.hits || 0) + 1; callback(null, user, context); }');
    const read = rule('read-hits', 'function (user, context, callback) { console.log(global.hits); callback(null, user, context); }');
    const act = action('peek', 'exports.onExecutePostLogin = async () => { console.log(typeof global.hits); };');
    const first = await runner.flow({ actions: [bump, read, act] });
    const second = await runner.flow({ actions: [bump, read, act] });
    const before = Number(first.actions[1].logs);
    assert.equal(Number(second.actions[1].logs), before + 1);
    assert.equal(second.actions[2].logs, 'undefined\n');
  });

  await t.test('auth0.users.update*Metadata persist: later rules\' events, the actions and api.rules.wasExecuted see it', async () => {
    const update = rule('persist', `function (user, context, callback) {
      user.app_metadata = user.app_metadata || {};
      user.app_metadata.plan = 'pro';
      auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
        .then(() => auth0.users.updateUserMetadata(user.user_id, {theme: null, lang: 'fr'}))
        .then(() => callback(null, user, context))
        .catch((err) => callback(err));
    }`);
    const act = action('reader', `exports.onExecutePostLogin = async (event, api) => {
      console.log(JSON.stringify([event.user.app_metadata, event.user.user_metadata, api.rules.wasExecuted('${update.version_id}'), api.rules.wasExecuted('rul_other')]));
    };`);
    const result = await runner.flow({ actions: [update, act] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands, [
      { method: 'api.user.setAppMetadata', args: ['plan', 'pro'] },
      { method: 'api.user.setUserMetadata', args: ['theme', null] },
      { method: 'api.user.setUserMetadata', args: ['lang', 'fr'] },
    ]);
    assert.equal(result.actions[1].logs, '[{"plan":"pro"},{"lang":"fr"},true,false]\n');
  });

  await t.test('auth0.users.updateAppMetadata of another user rejects; auth0.domain and baseUrl come from the host', async () => {
    const other = rule('other', `function (user, context, callback) {
      console.log(auth0.domain, auth0.baseUrl);
      auth0.users.updateAppMetadata('auth0|someone-else', {x: 1}, function (err) { console.log(err.message); callback(null, user, context); });
    }`);
    const result = await runner.flow({ facts: { auth0_domain: 'id.acme.test' }, actions: [other] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands, []);
    assert.equal(result.actions[0].logs, 'id.acme.test https://id.acme.test/api/v2\n'
      + 'auth0.users.updateAppMetadata: only the user logging in (auth0|u1) can be updated from a rule here\n');
  });

  await t.test('auth0.users.getUsersByEmail answers the login\'s e-mail from what the host read ahead, by callback or promise; other e-mails are refused', async () => {
    const lookup = rule('lookup', `function (user, context, callback) {
      auth0.users.getUsersByEmail('ADA@example.com', function (err, users) {
        console.log(err, users.map((u) => u.user_id).join(), Array.isArray(users));
        auth0.users.getUsersByEmail('someone@else.example').then(() => console.log('found'), (e) => {
          console.log(e.message);
          callback(null, user, context);
        });
      });
    }`);
    const users = [{ user_id: 'auth0|u1', email: 'ada@example.com' }, { user_id: 'auth0|u2', email: 'ada@example.com' }];
    const result = await runner.flow({ facts: { users_by_email: { email: 'ada@example.com', users } }, actions: [lookup] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(result.actions[0].logs, 'null auth0|u1,auth0|u2 true\n'
      + 'auth0.users.getUsersByEmail: only the e-mail of the user logging in can be looked up from a rule here\n');
  });

  await t.test("require('name@version') loads the package from the rules' node_modules; built-ins work", async () => {
    const code = `function (user, context, callback) {
      const greet = require('tiny-greeter@1.0.0');
      const crypto = require('crypto');
      console.log(greet('rules'), typeof crypto.createHash);
      callback(null, user, context);
    }`;
    const result = await runner.flow({ actions: [rule('modules', code, { node_modules: GREETER_MODULES })] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.match(result.actions[0].logs, /^hello, rules \(#\d+\) function\n$/);
    const missing = await runner.flow({ actions: [rule('missing', "function (u, c, cb) { require('left-pad@1.3.0'); cb(null, u, c); }")] });
    assert.equal(missing.actions[0].error.code, 'MODULE_NOT_FOUND');
  });

  await t.test('a rule sent without its code runs the compiled one; a worker without it answers missing_code', async () => {
    const once = rule('cached', 'function (user, context, callback) { console.log("cached"); callback(null, user, context); }');
    await runner.flow({ actions: [once] });
    const { code, ...withoutCode } = once;
    const again = await runner.flow({ actions: [withoutCode] });
    assert.equal(again.actions[0].logs, 'cached\n');
    const unknown = await runner.flow({ actions: [{ ...withoutCode, version_id: 'rul_never_sent' }] });
    assert.equal(unknown.type, 'missing_code');
  });
});
