'use strict';
// Every rule fixture (Tests/Fixtures/convert/checks.json) and its converted action run on the same
// event in a real runner — the rule as a legacy rule (PROTOCOL.md §4.3), the action as an
// action — and end the same way: status, deny reason, redirect, MFA, claims, scopes, metadata.
// The same comparison as `gatehouse rules convert --check` (FlowOutcome.swift).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startRunner, action } = require('../harness');

const FIXTURES = path.join(__dirname, '..', '..', 'Fixtures', 'convert');
const { convertRules } = require(path.join(__dirname, '..', '..', '..', 'Sources', 'GatehouseSandbox', 'Converter', 'lib', 'chain'));

/** What a login's user would notice of a flow's result. */
function outcome(result) {
  const out = { status: result.status, idToken: {}, accessToken: {}, app: {}, user: {}, scopes: {} };
  const failed = result.actions.find((a) => a.error);
  if (failed) out.error = `${failed.error.class}: ${failed.error.message}`;
  for (const { method, args } of result.actions.flatMap((a) => a.commands)) {
    const [first, second] = args;
    if (method === 'api.access.deny') out.deny = first;
    if (method === 'api.redirect.sendUserTo') out.redirect = args;
    if (method === 'api.multifactor.enable') out.mfa = [first, Boolean(second && second.allowRememberBrowser)];
    if (method === 'api.idToken.setCustomClaim') { if (second === null) delete out.idToken[first]; else out.idToken[first] = second; }
    if (method === 'api.accessToken.setCustomClaim') { if (second === null) delete out.accessToken[first]; else out.accessToken[first] = second; }
    if (method === 'api.accessToken.addScope') out.scopes[first] = 'added';
    if (method === 'api.accessToken.removeScope') out.scopes[first] = 'removed';
    if (method === 'api.user.setAppMetadata') out.app[first] = second;
    if (method === 'api.user.setUserMetadata') out.user[first] = second;
    if (method === 'api.authentication.setPrimaryUser') out.primaryUser = first;
  }
  return out;
}

/** The event of the way back: transaction metadata set before a redirect survives it. */
function resumed(event, result) {
  const copy = JSON.parse(JSON.stringify(event));
  copy.transaction = copy.transaction || {};
  copy.transaction.metadata = copy.transaction.metadata || {};
  for (const { method, args } of result.actions.flatMap((a) => a.commands)) {
    if (method === 'api.transaction.setMetadata') copy.transaction.metadata[args[0]] = args[1];
  }
  return copy;
}

test('each rule fixture and its converted action end the same way', async (t) => {
  const runner = await startRunner();
  t.after(() => runner.close());
  const checks = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'checks.json'), 'utf8'));
  for (const check of checks) {
    await t.test(`${check.rules.join(' → ')} on ${check.event}`, async () => {
      const event = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'events', check.event), 'utf8'));
      const secrets = check.secrets || {};
      const modules = Object.values(check.dependencies || {}).map((dir) => path.dirname(path.resolve(FIXTURES, dir)))[0] || null;
      const scripts = check.rules.map((file) => ({ name: path.basename(file, '.js'), source: fs.readFileSync(path.join(FIXTURES, file), 'utf8') }));
      const { actions } = convertRules(scripts);
      const rules = scripts.map((s) => action(s.name, s.source, { rule: true, secrets, node_modules: modules }));
      const converted = actions.map((a) => action(a.name, a.code, { secrets, node_modules: modules }));
      const ruleResult = await runner.flow({ event, actions: rules });
      const actionResult = await runner.flow({ event, actions: converted });
      assert.equal(ruleResult.status, check.status, JSON.stringify(ruleResult.actions.map((a) => a.error)));
      assert.deepEqual(outcome(actionResult), outcome(ruleResult));
      if (ruleResult.status === 'suspended') {
        const rulesBack = await runner.flow({ event, actions: rules, handler: 'continue' });
        const from = actionResult.suspended.action_index;
        const actionsBack = await runner.flow({ event: resumed(event, actionResult), actions: converted.slice(from), handler: 'continue' });
        assert.equal(rulesBack.status, 'completed');
        assert.deepEqual(outcome(actionsBack), outcome(rulesBack));
      }
    });
  }
});
