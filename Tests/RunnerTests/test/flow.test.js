'use strict';
// Flow semantics: order, private event copies, what later actions can see, deny,
// suspend and resume, per-trigger handlers and api shapes.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startRunner, action, postLoginEvent } = require('../harness');

const logsOf = (result) => result.actions.map((a) => a.logs);
const commandsOf = (result) => result.actions.map((a) => a.commands);

test('flow semantics', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());

  await t.test('actions run in order and report name, version, duration, logs, commands', async () => {
    const first = action('first', "exports.onExecutePostLogin = async (e, api) => { console.log('1'); api.idToken.setCustomClaim('https://x/a', 1); };");
    const second = action('second', "exports.onExecutePostLogin = async (e, api) => { console.log('2'); api.accessToken.setCustomClaim('https://x/b', {n: [1, 2]}); };");
    const result = await runner.flow({ actions: [first, second] });
    assert.equal(result.type, 'result');
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions.map((a) => [a.name, a.version_id]), [['first', first.version_id], ['second', second.version_id]]);
    assert.deepEqual(logsOf(result), ['1\n', '2\n']);
    assert.ok(result.actions.every((a) => typeof a.duration_ms === 'number' && a.duration_ms >= 0 && a.error === null));
    assert.deepEqual(commandsOf(result), [
      [{ method: 'api.idToken.setCustomClaim', args: ['https://x/a', 1] }],
      [{ method: 'api.accessToken.setCustomClaim', args: ['https://x/b', { n: [1, 2] }] }],
    ]);
  });

  await t.test('each action gets its own copy of the event; mutations never travel', async () => {
    const mutator = `exports.onExecutePostLogin = async (event, api) => {
      event.user.app_metadata.plan = 'hacked'; event.user.email = 'evil@example.com';
      event.transaction.metadata.sneaky = true; delete event.client; event.request.ip = '0.0.0.0';
      api.user.extra = 'scratch'; api.access = null; api.idToken.setCustomClaim = () => {};
    };`;
    const reader = `exports.onExecutePostLogin = async (event, api) => {
      console.log(JSON.stringify([event.user.app_metadata.plan, event.user.email, event.transaction.metadata, event.client.client_id, event.request.ip, api.user.extra, typeof api.access.deny]));
      api.idToken.setCustomClaim('https://x/ok', true);
    };`;
    const result = await runner.flow({ actions: [mutator, reader] });
    assert.deepEqual(JSON.parse(result.actions[1].logs), ['free', 'ada@example.com', {}, 'cl_1', '203.0.113.7', null, 'function']);
    assert.deepEqual(result.actions[0].commands, []);
    assert.deepEqual(result.actions[1].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/ok', true] }]);
  });

  await t.test('user/app metadata updates are visible to later actions; null deletes; undefined is transient', async () => {
    const writer = `exports.onExecutePostLogin = async (event, api) => {
      // Chainable setters return the root api object.
      api.user.setAppMetadata('plan', 'pro').user.setAppMetadata('roles', ['a', 'b']).user.setUserMetadata('theme', null)
         .user.setUserMetadata('transient', undefined).user.setUserMetadata('when', new Date(0));
      console.log(JSON.stringify([event.user.app_metadata, event.user.user_metadata]));
    };`;
    const reader = `exports.onExecutePostLogin = async (event) => {
      console.log(JSON.stringify([event.user.app_metadata, event.user.user_metadata]), 'transient' in event.user.user_metadata);
    };`;
    const result = await runner.flow({ actions: [writer, reader] });
    // Not visible inside the writing action itself: its event is its own snapshot.
    assert.equal(result.actions[0].logs, '[{"plan":"free"},{"theme":"dark"}]\n');
    assert.equal(result.actions[1].logs, '[{"plan":"pro","roles":["a","b"]},{"when":"1970-01-01T00:00:00.000Z"}] true\n');
    assert.deepEqual(result.actions[0].commands, [
      { method: 'api.user.setAppMetadata', args: ['plan', 'pro'] },
      { method: 'api.user.setAppMetadata', args: ['roles', ['a', 'b']] },
      { method: 'api.user.setUserMetadata', args: ['theme', null] },
      { method: 'api.user.setUserMetadata', args: ['transient'] },
      { method: 'api.user.setUserMetadata', args: ['when', '1970-01-01T00:00:00.000Z'] },
    ]);
  });

  await t.test('a "__proto__" metadata key is an ordinary key, not prototype pollution', async () => {
    const event = postLoginEvent();
    event.user.app_metadata = JSON.parse('{"__proto__": {"fromEvent": true}}');
    const writer = "exports.onExecutePostLogin = async (e, api) => { api.user.setUserMetadata('__proto__', { polluted: true }); };";
    const reader = `exports.onExecutePostLogin = async (event) => {
      console.log(JSON.stringify([Object.keys(event.user.app_metadata), Object.keys(event.user.user_metadata), event.user.user_metadata.polluted, ({}).polluted, ({}).fromEvent]));
    };`;
    const result = await runner.flow({ event, actions: [writer, reader] });
    assert.equal(result.actions[1].logs, '[["__proto__"],["theme","__proto__"],null,null,null]\n');
  });

  await t.test('transaction metadata is visible immediately and to later actions, within limits', async () => {
    const writer = `exports.onExecutePostLogin = async (event, api) => {
      api.transaction.setMetadata('step', 1);
      api.transaction.setMetadata('flag', true);
      api.transaction.setMetadata('gone', 'x');
      api.transaction.setMetadata('gone', null);
      console.log(JSON.stringify(event.transaction.metadata));
      const errors = [];
      const attempt = (f) => { try { f(); errors.push('accepted'); } catch (e) { errors.push(e.name); } };
      attempt(() => api.transaction.setMetadata('k'.repeat(65), 1));
      attempt(() => api.transaction.setMetadata('obj', {a: 1}));
      attempt(() => api.transaction.setMetadata('big', 'x'.repeat(8193)));
      attempt(() => api.transaction.setMetadata('unsafe', 2 ** 53));
      attempt(() => api.transaction.setMetadata(42, 'x'));
      attempt(() => api.transaction.setMetadata('a', 'x'.repeat(8000)));
      attempt(() => api.transaction.setMetadata('b', 'x'.repeat(8000)));
      attempt(() => api.transaction.setMetadata('c', 'x'.repeat(8000)));
      console.log(errors.join(','));
    };`;
    const reader = `exports.onExecutePostLogin = async (event) => {
      console.log(JSON.stringify(Object.keys(event.transaction.metadata)));
    };`;
    const result = await runner.flow({ actions: [writer, reader] });
    const [visible, errors] = result.actions[0].logs.trim().split('\n');
    assert.equal(visible, '{"step":1,"flag":true}');
    assert.equal(errors, 'RangeError,TypeError,RangeError,RangeError,TypeError,accepted,accepted,RangeError');
    assert.equal(result.actions[1].logs, '["step","flag","a","b"]\n');
  });

  await t.test('token claims and scope changes are not visible downstream', async () => {
    const writer = `exports.onExecutePostLogin = async (event, api) => {
      api.idToken.setCustomClaim('https://x/c', 1); api.accessToken.addScope('read:x'); api.accessToken.removeScope('openid');
    };`;
    const reader = 'exports.onExecutePostLogin = async (event) => { console.log(JSON.stringify(event)); };';
    const result = await runner.flow({ actions: [writer, reader] });
    assert.deepEqual(JSON.parse(result.actions[1].logs), { ...postLoginEvent(), secrets: {} });
    assert.deepEqual(result.actions[0].commands.map((c) => c.method), [
      'api.idToken.setCustomClaim', 'api.accessToken.addScope', 'api.accessToken.removeScope']);
  });

  await t.test('secrets are per action', async () => {
    const code = 'exports.onExecutePostLogin = async (event) => { console.log(JSON.stringify(event.secrets)); event.secrets.A = "changed"; };';
    const result = await runner.flow({
      actions: [action('a', code, { secrets: { A: '1' } }), action('b', code, { secrets: { B: '2' } }), action('c', code, { secrets: null })],
    });
    assert.deepEqual(logsOf(result), ['{"A":"1"}\n', '{"B":"2"}\n', '{}\n']);
  });

  await t.test('api.access.deny and api.validation.error stop later actions', async () => {
    const deny = "exports.onExecutePostLogin = async (e, api) => { api.access.deny('Not today').user.setAppMetadata('denied_at', 1); console.log('still runs'); };";
    const never = "exports.onExecutePostLogin = async () => { console.log('must not run'); };";
    const result = await runner.flow({ actions: [deny, never] });
    assert.equal(result.status, 'denied');
    assert.equal(result.actions.length, 1);
    assert.equal(result.actions[0].logs, 'still runs\n');
    assert.deepEqual(result.actions[0].commands, [
      { method: 'api.access.deny', args: ['Not today'] },
      { method: 'api.user.setAppMetadata', args: ['denied_at', 1] },
    ]);
    const validation = await runner.flow({
      actions: ["exports.onExecutePostLogin = async (e, api) => { api.validation.error('bad_thing', 'Bad thing'); };", never],
    });
    assert.equal(validation.status, 'denied');
    assert.deepEqual(validation.actions[0].commands, [{ method: 'api.validation.error', args: ['bad_thing', 'Bad thing'] }]);
    const revoke = await runner.flow({
      actions: ["exports.onExecutePostLogin = async (e, api) => { api.session.revoke('compromised', {preserveRefreshTokens: true}); };", never],
    });
    assert.equal(revoke.status, 'denied');
  });

  await t.test('redirect, challenge, enrollment and prompts suspend after the current action', async () => {
    const never = "exports.onExecutePostLogin = async () => { console.log('must not run'); };";
    const cases = [
      ["api.redirect.sendUserTo('https://idv.example/start', {query: {lang: 'en'}})", 'api.redirect.sendUserTo', ['https://idv.example/start', { query: { lang: 'en' } }]],
      ["api.authentication.challengeWith({type: 'otp'}, {additionalFactors: [{type: 'email'}]})", 'api.authentication.challengeWith', [{ type: 'otp' }, { additionalFactors: [{ type: 'email' }] }]],
      ["api.authentication.challengeWithAny([{type: 'phone', options: {preferredMethod: 'sms'}}])", 'api.authentication.challengeWithAny', [[{ type: 'phone', options: { preferredMethod: 'sms' } }]]],
      ["api.authentication.enrollWith({type: 'webauthn-platform'})", 'api.authentication.enrollWith', [{ type: 'webauthn-platform' }]],
      ["api.authentication.enrollWithAny([{type: 'otp'}, {type: 'push'}])", 'api.authentication.enrollWithAny', [[{ type: 'otp' }, { type: 'push' }]]],
      ["api.prompt.render('ap_123', {fields: {a: 1}, vars: {b: 2}})", 'api.prompt.render', ['ap_123', { fields: { a: 1 }, vars: { b: 2 } }]],
    ];
    for (const [call, method, args] of cases) {
      const first = "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/before', 1); };";
      const suspending = `exports.onExecutePostLogin = async (e, api) => { ${call}; console.log('rest of action runs'); };`;
      const result = await runner.flow({ actions: [first, suspending, never] });
      assert.equal(result.status, 'suspended', call);
      assert.equal(result.actions.length, 2);
      assert.equal(result.actions[1].logs, 'rest of action runs\n');
      assert.deepEqual(result.suspended, { action_index: 1, method, args });
      assert.deepEqual(result.actions[1].commands, [{ method, args }]);
    }
  });

  await t.test('a deny wins over a suspension in the same action', async () => {
    const result = await runner.flow({
      actions: ["exports.onExecutePostLogin = async (e, api) => { api.redirect.sendUserTo('https://x.example'); api.access.deny('no'); };"],
    });
    assert.equal(result.status, 'denied');
    assert.equal(result.suspended, null);
  });

  await t.test('continue runs the suspended action\'s onContinue handler, then the others\' onExecute', async () => {
    const suspended = action('idv', `
      exports.onExecutePostLogin = async (e, api) => { console.log('execute must not run'); };
      exports.onContinuePostLogin = async (event, api) => {
        console.log('continue', event.request.query.state);
        api.authentication.recordMethod('https://idv.example');
        api.transaction.setMetadata('idv', 'done');
      };`);
    const next = action('next', "exports.onExecutePostLogin = async (event) => { console.log('execute', event.transaction.metadata.idv); };");
    const event = postLoginEvent({ request: { ip: '203.0.113.7', method: 'GET', query: { state: 'abc' }, body: {} } });
    const result = await runner.flow({ handler: 'continue', event, actions: [suspended, next] });
    assert.equal(result.status, 'completed');
    assert.deepEqual(logsOf(result), ['continue abc\n', 'execute done\n']);
    assert.deepEqual(result.actions[0].commands[0], { method: 'api.authentication.recordMethod', args: ['https://idv.example'] });
    const missing = await runner.flow({ handler: 'continue', actions: ['exports.onExecutePostLogin = async () => {};'] });
    assert.equal(missing.status, 'failed');
    assert.equal(missing.actions[0].error.class, 'action_error');
    assert.match(missing.actions[0].error.message, /onContinuePostLogin/);
  });

  await t.test('recordMethod is only callable from the continue handler', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLogin = async (e, api) => { api.authentication.recordMethod('https://x.example'); };"] });
    assert.equal(result.status, 'failed');
    assert.match(result.actions[0].error.message, /recordMethod\(\) can only be called from the continue handler/);
  });

  await t.test('credentials-exchange: deny(code, reason), claims and target scopes', async () => {
    const event = { client: { client_id: 'm2m' }, request: { ip: '1.1.1.1', body: {} }, resource_server: { identifier: 'https://api' },
      transaction: { requested_scopes: ['read'], target_scopes: ['read', 'write'] }, accessToken: { customClaims: {}, scope: ['read'] } };
    const scoper = `exports.onExecuteCredentialsExchange = async (event, api) => {
      api.transaction.addTargetScope('admin'); api.transaction.removeTargetScope('write');
      api.accessToken.setCustomClaim('https://x/tier', 'gold');
      console.log(typeof api.user, typeof api.idToken, typeof api.redirect);
    };`;
    const reader = `exports.onExecuteCredentialsExchange = async (event, api) => {
      console.log(JSON.stringify(event.transaction.target_scopes));
      api.access.deny('invalid_scope', 'no admin for you');
    };`;
    const result = await runner.flow({ trigger: 'credentials-exchange', event, actions: [scoper, reader] });
    assert.equal(result.status, 'denied');
    assert.deepEqual(logsOf(result), ['undefined undefined undefined\n', '["read","admin"]\n']);
    assert.deepEqual(result.actions[1].commands, [{ method: 'api.access.deny', args: ['invalid_scope', 'no admin for you'] }]);
    const wrongCode = await runner.flow({ trigger: 'credentials-exchange', event,
      actions: ["exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('nope'); };"] });
    assert.equal(wrongCode.status, 'failed');
    assert.match(wrongCode.actions[0].error.message, /code must be one of "invalid_scope", "invalid_request", "server_error"/);
  });

  await t.test('pre-user-registration: deny(reason, userMessage) and metadata for the new user', async () => {
    const event = { user: { email: 'new@example.com' }, connection: { name: 'db' }, request: { ip: '1.1.1.1' }, tenant: { id: 'acme' } };
    const result = await runner.flow({
      trigger: 'pre-user-registration', event,
      actions: [
        "exports.onExecutePreUserRegistration = async (e, api) => { api.user.setAppMetadata('source', 'import'); };",
        "exports.onExecutePreUserRegistration = async (e, api) => { console.log(JSON.stringify(e.user)); api.access.deny('blocked domain', 'Please use your work email'); };",
      ],
    });
    assert.equal(result.status, 'denied');
    assert.equal(result.actions[1].logs, '{"email":"new@example.com","app_metadata":{"source":"import"}}\n');
    assert.deepEqual(result.actions[1].commands, [{ method: 'api.access.deny', args: ['blocked domain', 'Please use your work email'] }]);
  });

  await t.test('password-reset-post-challenge suspends and resumes with its own handlers', async () => {
    const code = `
      exports.onExecutePostChallenge = async (e, api) => { api.authentication.challengeWith({type: 'otp'}); };
      exports.onContinuePostChallenge = async (e, api) => { api.transaction.setResultUrl('https://app.example/done', {query: {ok: '1'}}); };`;
    const event = postLoginEvent();
    const first = await runner.flow({ trigger: 'password-reset-post-challenge', event, actions: [action('mfa', code)] });
    assert.equal(first.status, 'suspended');
    const resumed = await runner.flow({ trigger: 'password-reset-post-challenge', handler: 'continue', event, actions: [action('mfa', code)] });
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(resumed.actions[0].commands, [{ method: 'api.transaction.setResultUrl', args: ['https://app.example/done', { query: { ok: '1' } }] }]);
  });

  await t.test('custom providers: notification.drop/retry, reason truncated to 1024 characters', async () => {
    const result = await runner.flow({
      trigger: 'custom-email-provider', event: { notification: { to: 'a@example.com' } },
      actions: ["exports.onExecuteCustomEmailProvider = async (e, api) => { api.notification.retry('busy'); api.notification.drop('x'.repeat(5000)); };"],
    });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.actions[0].commands[0], { method: 'api.notification.retry', args: ['busy'] });
    assert.equal(result.actions[0].commands[1].args[0].length, 1024);
    const phone = await runner.flow({
      trigger: 'custom-phone-provider', event: {},
      actions: ["exports.onExecuteCustomPhoneProvider = async (e, api) => { api.notification.drop('bad number'); };"],
    });
    assert.deepEqual(phone.actions[0].commands, [{ method: 'api.notification.drop', args: ['bad number'] }]);
  });

  await t.test('async and cache-only triggers run their own handler names', async () => {
    for (const [trigger, handler] of [['post-user-registration', 'onExecutePostUserRegistration'],
      ['post-change-password', 'onExecutePostChangePassword'], ['send-phone-message', 'onExecuteSendPhoneMessage']]) {
      const result = await runner.flow({
        trigger, event: { user: { user_id: 'u' } },
        actions: [`exports.${handler} = async (event, api) => { console.log(Object.keys(api).join()); api.cache.set('k', 'v'); };`],
      });
      assert.equal(result.status, 'completed', trigger);
      assert.equal(result.actions[0].logs, 'cache\n');
      assert.equal(result.actions[0].commands[0].method, 'api.cache.set');
    }
  });

  await t.test('a synchronous (non-async) handler works too', async () => {
    const result = await runner.flow({ actions: ["exports.onExecutePostLogin = function (e, api) { api.idToken.setCustomClaim('https://x/sync', this === exports); };"] });
    assert.deepEqual(result.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/sync', true] }]);
  });

  await t.test('a fail-open action that throws leaves nothing behind and the flow goes on', async () => {
    const failing = action('failing', `exports.onExecutePostLogin = async (event, api) => {
      api.user.setAppMetadata('plan', 'broken');
      api.transaction.setMetadata('step', 'failing');
      api.cache.set('k', 'from-failing');
      api.idToken.setCustomClaim('https://x/failing', true);
      throw new Error('upstream down');
    };`, { fail_open: true });
    const next = action('next', `exports.onExecutePostLogin = async (event, api) => {
      console.log(JSON.stringify([event.user.app_metadata.plan, event.transaction.metadata, api.cache.get('k')]));
      api.idToken.setCustomClaim('https://x/next', true);
    };`);
    const result = await runner.flow({ actions: [failing, next] });
    assert.equal(result.status, 'completed');
    assert.equal(result.actions[0].error.class, 'action_error');
    assert.equal(result.actions[0].error.message, 'upstream down');
    assert.deepEqual(result.actions[0].commands, []);
    assert.equal(result.actions[1].logs, '["free",{},null]\n');
    assert.deepEqual(result.actions[1].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/next', true] }]);
  });

  await t.test('without fail_open, a throwing action stops the flow', async () => {
    const failing = action('failing', "exports.onExecutePostLogin = async () => { throw new Error('boom'); };");
    const next = action('next', "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/next', 1); };");
    const result = await runner.flow({ actions: [failing, next] });
    assert.equal(result.status, 'failed');
    assert.equal(result.actions.length, 1);
  });

  await t.test('return_state hands a later part of the flow what the next action would see', async () => {
    const first = action('first', `exports.onExecutePostLogin = async (event, api) => {
      api.user.setAppMetadata('plan', 'pro');
      api.user.setUserMetadata('scratch', undefined);
      api.transaction.setMetadata('step', 1);
      api.cache.set('seen', 'yes');
    };`);
    const part1 = await runner.flow({ actions: [first], return_state: true });
    assert.equal(part1.status, 'completed');
    assert.equal(part1.state.event.user.app_metadata.plan, 'pro');
    assert.deepEqual(part1.state.transient, [{ segments: ['user', 'user_metadata'], key: 'scratch' }]);
    assert.equal(part1.state.cache.seen.value, 'yes');
    assert.equal(part1.state.event.secrets, undefined);

    const second = action('second', `exports.onExecutePostLogin = async (event, api) => {
      console.log(JSON.stringify([event.user.app_metadata.plan, 'scratch' in event.user.user_metadata,
        event.transaction.metadata.step, api.cache.get('seen')?.value]));
    };`);
    const part2 = await runner.flow({
      actions: [second], event: part1.state.event, transient: part1.state.transient, cache: part1.state.cache,
    });
    assert.equal(part2.actions[0].logs, '["pro",true,1,"yes"]\n');
    assert.equal(part2.state, undefined);
  });

  await t.test('a suspended flow returns its state; resuming runs the continue handler, then the rest', async () => {
    const redirecting = action('redirecting', `exports.onExecutePostLogin = async (event, api) => {
      api.transaction.setMetadata('asked', 'yes');
      api.user.setAppMetadata('stage', 'redirected');
      api.redirect.sendUserTo('https://idv.example/start', { query: { a: 'b' } });
    };
    exports.onContinuePostLogin = async (event, api) => {
      console.log(JSON.stringify([event.transaction.metadata.asked, event.user.app_metadata.stage]));
    };`);
    const later = action('later', "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/later', 1); };");
    const suspended = await runner.flow({ actions: [redirecting, later] });
    assert.equal(suspended.status, 'suspended');
    assert.equal(suspended.actions.length, 1);
    assert.equal(suspended.suspended.method, 'api.redirect.sendUserTo');
    assert.equal(suspended.state.event.transaction.metadata.asked, 'yes');
    assert.equal(suspended.state.event.user.app_metadata.stage, 'redirected');

    const resumed = await runner.flow({
      handler: 'continue', actions: [redirecting, later], event: suspended.state.event, transient: suspended.state.transient,
    });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.actions[0].logs, '["yes","redirected"]\n');
    assert.deepEqual(resumed.actions[1].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/later', 1] }]);
  });
});
