'use strict';
// api.redirect.encodeToken / validateToken: HS256 JWTs (reference §7).

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startRunner, action, postLoginEvent } = require('../harness');

const SECRET = 'shared-secret-of-the-redirect-app';
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function sign(claims, { secret = SECRET, header = { alg: 'HS256', typ: 'JWT' } } = {}) {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function decode(token) {
  const [header, payload, signature] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url')), claims: JSON.parse(Buffer.from(payload, 'base64url')), signature, input: `${header}.${payload}` };
}

test('redirect tokens', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());
  const now = Date.UTC(2030, 0, 1);
  const nowSec = now / 1000;

  await t.test('encodeToken produces an HS256 JWT with sub, iss, ip, iat, exp and the payload', async () => {
    const code = `exports.onExecutePostLogin = async (event, api) => {
      event.user.user_id = 'someone-else'; // the action's copy; the token uses the real user
      const token = api.redirect.encodeToken({ secret: event.secrets.REDIRECT_SECRET, payload: { externalId: 'abc-100', sub: 'spoof' } });
      const short = api.redirect.encodeToken({ secret: 's', payload: {}, expiresInSeconds: 60 });
      api.redirect.sendUserTo('https://idv.example/start', { query: { session_token: token } });
      console.log(JSON.stringify([token, short]));
    };`;
    const result = await runner.flow({ now, actions: [action('idv', code, { secrets: { REDIRECT_SECRET: SECRET } })] });
    assert.equal(result.status, 'suspended');
    const [token, short] = JSON.parse(result.actions[0].logs);
    const { header, claims, signature, input } = decode(token);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(signature, crypto.createHmac('sha256', SECRET).update(input).digest('base64url'));
    assert.deepEqual(claims, { externalId: 'abc-100', sub: 'auth0|u1', iss: 'login.acme.test', ip: '203.0.113.7', iat: nowSec, exp: nowSec + 900 });
    assert.equal(decode(short).claims.exp, nowSec + 60);
    assert.deepEqual(result.suspended.args[1], { query: { session_token: token } });
  });

  await t.test('encodeToken checks its options', async () => {
    const result = await runner.flow({
      now,
      actions: [`exports.onExecutePostLogin = async (e, api) => {
        for (const o of [undefined, {}, {secret: ''}, {secret: 's', payload: 'x'}, {secret: 's', expiresInSeconds: -1}]) {
          try { api.redirect.encodeToken(o); console.log('ok'); } catch (err) { console.log(err.name); }
        }
      };`],
    });
    assert.equal(result.actions[0].logs, 'TypeError\nTypeError\nTypeError\nTypeError\nRangeError\n');
  });

  /** Runs validateToken in onContinuePostLogin against a /continue request. */
  async function validate(request, options = `{ secret: '${SECRET}' }`) {
    const code = `exports.onContinuePostLogin = async (event, api) => {
      try { console.log(JSON.stringify(api.redirect.validateToken(${options}))); }
      catch (e) { console.log(e.message); }
    };`;
    const event = postLoginEvent({ request: { ip: '203.0.113.9', method: 'POST', query: {}, body: {}, ...request } });
    const result = await runner.flow({ now, handler: 'continue', event, actions: [action('idv', code)] });
    return result.actions[0].logs.trim();
  }

  const good = { sub: 'auth0|u1', iss: 'idv.example', exp: nowSec + 60, state: 'st_123', verified: true };

  await t.test('validateToken accepts a good token from the body or the query and returns its claims', async () => {
    assert.deepEqual(JSON.parse(await validate({ body: { state: 'st_123', session_token: sign(good) } })), good);
    assert.deepEqual(JSON.parse(await validate({ query: { state: 'st_123', session_token: sign(good) } })), good);
    assert.deepEqual(JSON.parse(await validate({ query: { state: 'st_123', my_token: sign(good) } },
      `{ secret: '${SECRET}', tokenParameterName: 'my_token' }`)), good);
  });

  await t.test('validateToken rejects bad tokens', async () => {
    const prefix = 'The session token is invalid: ';
    const cases = [
      [{ body: { state: 'st_123' } }, 'the "session_token" parameter is missing from the /continue request.'],
      [{ body: { state: 'st_123', session_token: 'not-a-jwt' } }, 'it is not a compact JWS.'],
      [{ body: { state: 'st_123', session_token: sign(good, { secret: 'wrong' }) } }, 'the signature does not match.'],
      [{ body: { state: 'st_123', session_token: sign(good, { header: { alg: 'none' } }) } }, 'the token must be signed with HS256.'],
      [{ body: { state: 'st_123', session_token: sign({ ...good, exp: nowSec - 1 }) } }, 'the token has expired.'],
      [{ body: { state: 'st_123', session_token: sign({ ...good, exp: undefined }) } }, 'the token has no "exp" claim.'],
      [{ body: { state: 'other', session_token: sign(good) } }, 'State in the token does not match the /continue state.'],
      [{ body: { session_token: sign(good) } }, 'State in the token does not match the /continue state.'],
      [{ body: { state: 'st_123', session_token: sign({ ...good, sub: 'auth0|other' }) } }, 'Subject in the token does not match the current user.'],
    ];
    for (const [request, reason] of cases) {
      assert.equal(await validate(request), prefix + reason, reason);
    }
  });

  await t.test('a token made by encodeToken round-trips once the app adds the state', async () => {
    const encoded = await runner.flow({
      now,
      actions: [`exports.onExecutePostLogin = async (e, api) => { console.log(api.redirect.encodeToken({ secret: '${SECRET}', payload: { a: 1 } })); };`],
    });
    const outbound = decode(encoded.actions[0].logs.trim()).claims;
    const inbound = sign({ ...outbound, state: 'st_9', exp: nowSec + 30 });
    assert.deepEqual(JSON.parse(await validate({ body: { state: 'st_9', session_token: inbound } })), { ...outbound, state: 'st_9', exp: nowSec + 30 });
  });
});
