'use strict';
// The rules → actions converter (Sources/GatehouseSandbox/Converter): what the converted code
// says, what is reported as needing a person, and that JavaScript syntax is never mistaken for
// something to rewrite.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const CONVERTER = path.join(__dirname, '..', '..', '..', 'Sources', 'GatehouseSandbox', 'Converter');
const { convertRules } = require(path.join(CONVERTER, 'lib', 'chain'));
const { convertHook } = require(path.join(CONVERTER, 'lib', 'hook'));
const { tokenize } = require(path.join(CONVERTER, 'lib', 'tokens'));

const convert = (source, name = 'rule') => convertRules([{ name, source }]).actions[0];
const rule = (body) => `function (user, context, callback) {\n${body}\n}`;

test('the tokenizer keeps every character and knows strings, templates, regexes and comments', () => {
  const source = "const a = `x ${user.email + `${b}`} y` / 2; // user.email\nconst r = /user\\.email[/]/g.test(s); 'user.email'";
  const tokens = tokenize(source);
  assert.equal(tokens.map((t) => t.value).join(''), source);
  assert.deepEqual(tokens.filter((t) => t.type === 'regex').map((t) => t.value), ['/user\\.email[/]/g']);
  assert.deepEqual(tokens.filter((t) => t.type === 'comment').map((t) => t.value), ['// user.email']);
  assert.ok(tokens.some((t) => t.type === 'templateHead' && t.value === '`x ${'));
});

test('user, context and configuration inside strings, comments and regexes are left alone; inside template code they are rewritten', () => {
  const action = convert(rule(`  // user.email stays in this comment
  const label = 'user.email and context.clientID';
  const pattern = /context\\.clientID/;
  context.idToken['https://x/who'] = \`\${user.email} via \${context.clientID}\`;
  callback(null, user, context);`));
  assert.match(action.code, /\/\/ user\.email stays in this comment/);
  assert.match(action.code, /'user\.email and context\.clientID'/);
  assert.match(action.code, /\/context\\\.clientID\//);
  assert.match(action.code, /api\.idToken\.setCustomClaim\('https:\/\/x\/who', `\$\{event\.user\.email\} via \$\{event\.client\.client_id\}`\);/);
});

test('context fields map to the event as the migration guide says', () => {
  const action = convert(rule(`  const facts = [context.clientID, context.clientName, context.clientMetadata.tier, context.connection,
    context.connectionStrategy, context.stats.loginsCount, context.request.ip, context.request.userAgent,
    context.request.geoip.country_code, context.request.query.prompt, context.authorization.roles, context.protocol,
    context.sessionID, context.tenant];
  callback(null, user, context);`));
  for (const expected of ['event.client.client_id', 'event.client.name', 'event.client.metadata.tier', 'event.connection.name',
    'event.connection.strategy', 'event.stats.logins_count', 'event.request.ip', 'event.request.user_agent',
    'event.request.geoip.countryCode', 'event.request.query.prompt', 'event.authorization.roles', 'event.transaction.protocol',
    'event.session?.id', 'event.tenant.id']) {
    assert.ok(action.code.includes(expected), `${expected} in\n${action.code}`);
  }
  assert.doesNotMatch(action.code, /context\./);
});

test('claims, MFA, deny and errors become api calls; the last callback disappears', () => {
  const action = convert(rule(`  if (!user.email_verified) return callback(new UnauthorizedError('verify first'));
  if (user.blocked) { callback(new Error('blocked')); return; }
  context.idToken.nickname = user.nickname;
  context.accessToken['https://x/plan'] = user.app_metadata.plan;
  context.multifactor = { provider: 'any', allowRememberBrowser: true };
  callback(null, user, context);`));
  assert.match(action.code, /if \(!event\.user\.email_verified\) \{ api\.access\.deny\('verify first'\); return; \}/);
  assert.match(action.code, /throw new Error\('blocked'\);/);
  assert.match(action.code, /api\.idToken\.setCustomClaim\('nickname', event\.user\.nickname\);/);
  assert.match(action.code, /api\.accessToken\.setCustomClaim\('https:\/\/x\/plan', event\.user\.app_metadata\.plan\);/);
  assert.match(action.code, /api\.multifactor\.enable\('any', \{ allowRememberBrowser: true \}\);/);
  assert.doesNotMatch(action.code, /callback|await new Promise/);
  assert.deepEqual(action.warnings, []);
});

test('metadata updates become one setter call per key; a whole object is set key by key at run time', () => {
  const literal = convert(rule(`  auth0.users.updateUserMetadata(user.user_id, { theme: 'dark', seen: true });
  callback(null, user, context);`));
  assert.match(literal.code, /api\.user\.setUserMetadata\('theme', 'dark'\);\n\s*api\.user\.setUserMetadata\('seen', true\);/);
  const whole = convert(rule(`  user.app_metadata.roles = ['admin'];
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata).then(() => callback(null, user, context)).catch(callback);`));
  assert.match(whole.code, /for \(const \[key, value\] of Object\.entries\(event\.user\.app_metadata\)\) if \(value !== undefined\) api\.user\.setAppMetadata\(key, value\);/);
  assert.match(whole.code, /Promise\.resolve\(\)\.then\(\(\) => callback\(\)\)\.catch\(callback\);/);
  assert.match(whole.code, /await new Promise\(\(resolve, reject\) => \{/, 'the callback is called later: the action awaits it');
});

test('a callback inside a nested function keeps a callback the action awaits; its own parameter named user is not the rule\'s', () => {
  const action = convert(rule(`  const admins = [{ email: 'a@x' }].filter((user) => user.email === 'a@x');
  setTimeout(function () {
    context.idToken['https://x/admins'] = admins.length;
    callback(null, user, context);
  }, 1);`));
  assert.match(action.code, /\(user\) => user\.email === 'a@x'/);
  assert.match(action.code, /const callback = \(error\) => \(error \? reject\(error\) : resolve\(\)\);/);
  assert.match(action.code, /callback\(\);/);
});

test('configuration becomes secrets and the list of secrets to create; require(name@version) a dependency', () => {
  const action = convert(rule(`  const _ = require('lodash@4.17.21');
  const crypto = require('crypto');
  const key = configuration.API_KEY + configuration['OTHER'];
  callback(null, user, context);`));
  assert.match(action.code, /require\('lodash'\)/);
  assert.match(action.code, /event\.secrets\.API_KEY \+ event\.secrets\['OTHER'\]/);
  assert.deepEqual(action.secrets, ['API_KEY', 'OTHER']);
  assert.deepEqual(action.dependencies, [{ name: 'lodash', version: '4.17.21' }]);
});

test('a redirect rule gets onContinuePostLogin; redirect-callback checks become its flag', () => {
  const action = convert(rule(`  if (context.protocol === 'redirect-callback') return callback(null, user, context);
  context.redirect = { url: 'https://x/verify?u=' + user.user_id };
  callback(null, user, context);`));
  assert.match(action.code, /exports\.onContinuePostLogin = async \(event, api\) => \{\n\s*await rule\(event, api, true\);/);
  assert.match(action.code, /if \(redirectCallback\) return;/);
  assert.match(action.code, /api\.redirect\.sendUserTo\('https:\/\/x\/verify\?u=' \+ event\.user\.user_id\);/);
});

test('what has no mechanical equivalent is kept under a TODO comment and reported with its line', () => {
  const action = convert(`function (user, context, callback) {
  global.seen = global.seen || {};
  const clients = context.sso.current_clients;
  if (context.idToken['https://x/a']) delete context.idToken['https://x/a'];
  auth0.users.getByEmail(user.email).then(() => callback(null, user, context));
}`);
  const constructs = action.warnings.map((w) => [w.line, w.construct]);
  assert.deepEqual(constructs, [
    [2, 'global.seen'], [3, 'context.sso.current_clients'], [4, "context.idToken['https://x/a']"], [5, 'auth0.users.getByEmail'],
  ]);
  assert.match(action.code, /\/\/ TODO\(gatehouse convert\): global\.seen — global is one object per action/);
  assert.match(action.code, /\/\/ TODO\(gatehouse convert\): auth0\.users\.getByEmail — Actions have no auth0 object/);
  assert.match(action.code, /global\.seen = global\.seen \|\| \{\};/, 'the construct itself is kept');
});

test('a chain passes what one rule leaves on user/context to the rules after it through transaction metadata', () => {
  const { actions } = convertRules([
    { name: 'first', source: rule("  user.app_metadata.role = 'member';\n  context.flag = true;\n  callback(null, user, context);") },
    { name: 'second', source: rule("  context.idToken.role = user.app_metadata.role;\n  context.idToken.flag = context.flag;\n  callback(null, user, context);") },
  ]);
  assert.match(actions[0].code, /api\.transaction\.setMetadata\('user\.app_metadata\.role', JSON\.stringify\(event\.user\.app_metadata\?\.role\) \?\? null\);/);
  assert.match(actions[1].code, /if \(passed\['context\.flag'\] !== undefined\) context\.flag = JSON\.parse\(passed\['context\.flag'\]\);/);
  assert.deepEqual(actions[1].warnings.map((w) => w.construct), ['user.app_metadata.role', 'context.flag']);
});

test('a script that is not a rule, or not JavaScript, is refused with its name and line', () => {
  assert.throws(() => convert('exports.onExecutePostLogin = async () => {};', 'already-an-action'), /already-an-action: the script must be a function expression/);
  assert.throws(() => convert("function (user, context, callback) {\n  const s = 'unterminated;\n}", 'broken'), /broken: line 2: unterminated string/);
});

test('hooks: arguments rebuilt from the event, the answer applied through api calls', () => {
  const cce = convertHook(`module.exports = function (client, scope, audience, context, cb) {
  const token = {};
  token['https://x/key'] = context.webtask.secrets.KEY;
  cb(null, token);
};`, 'cce', 'credentials-exchange');
  assert.match(cce.code, /exports\.onExecuteCredentialsExchange = async \(event, api\) => \{/);
  assert.match(cce.code, /token\['https:\/\/x\/key'\] = event\.secrets\.KEY;/);
  assert.match(cce.code, /api\.accessToken\.setCustomClaim\(claim, value\)/);
  assert.deepEqual(cce.secrets, ['KEY']);
  const pre = convertHook(`module.exports = function (user, context, cb) {
  cb(null, { user: { app_metadata: { plan: 'trial' } } });
};`, 'pre', 'pre-user-registration');
  assert.match(pre.code, /exports\.onExecutePreUserRegistration/);
  assert.match(pre.code, /api\.user\.setAppMetadata\(key, value\)/);
  assert.throws(() => convertHook('module.exports = function () {};', 'x', 'post-login'), /unknown hook trigger/);
});

test('the command line prints the code on stdout and the warnings on stderr; --json gives the report', () => {
  const fixtures = path.join(__dirname, '..', '..', 'Fixtures', 'convert');
  const script = path.join(CONVERTER, 'convert.js');
  const text = spawnSync(process.execPath, [script, 'rules', path.join(fixtures, 'untranslatable.js')], { encoding: 'utf8' });
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^\/\/ Converted from the rule 'untranslatable'/);
  assert.match(text.stderr, /untranslatable\.js:2: global\.seen — /);
  const json = JSON.parse(execFileSync(process.execPath, [script, 'rules', '--json', path.join(fixtures, 'configuration-secrets.js')], { encoding: 'utf8' }));
  assert.equal(json.actions[0].name, 'configuration-secrets');
  assert.deepEqual(json.actions[0].secrets, ['API_SIGNING_KEY', 'INTERNAL_CLIENT_ID']);
  assert.equal(json.actions[0].trigger, 'post-login');
  const missing = spawnSync(process.execPath, [script, 'rules', path.join(fixtures, 'no-such-rule.js')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*no-such-rule\.js/);
});
