'use strict';
// The warm-up's actions: what a host runs on a new worker before it takes traffic
// (PROTOCOL.md §2, `ready.warm_up_actions`).
//
// V8 optimises the runner's hot functions (event copies, api building, argument checks,
// command and result serialisation, the socket read and the answer's write) only after
// they have run a few thousand times, and it compiles them on a background thread. On a
// busy machine those compilations take whole milliseconds from the flows that happen to
// run meanwhile: without a warm-up, the first few thousand real logins after every worker
// start see a p99 of several milliseconds instead of a few hundred microseconds
// (BENCHMARKS.md). The host therefore sends each new worker a few thousand flows of these
// actions on sample events, as ordinary `flow` requests over the worker's stdin, and drops
// the answers. An earlier version ran such flows inside the runner, from generated
// request lines: that left a score of functions unoptimised (the socket read path, the
// answer's write, the api methods, which the warm-up's optimised actions had inlined) and
// the first 5,000 real flows 10–15 µs slower at p50 (BENCHMARKS.md, "The first flows
// after a start").
//
// The actions stay compiled like any other version (their modules are never reachable
// from tenant code; their version ids are the runner's own).

// Names and values vary from one flow to the next (module state counts them), as they
// do across real actions: optimised code specialised on one property name or one
// argument type would be thrown away at the first real flow.
const CLAIMS = `let n = 0;
exports.HANDLER = async (event, api) => {
  n += 1;
  const roles = (event.authorization && event.authorization.roles) || [];
  api.idToken.setCustomClaim('https://gatehouse.invalid/claim' + (n % 7), n % 3 === 0 ? roles : n);
  api.accessToken.setCustomClaim('https://gatehouse.invalid/plan' + (n % 5), String(event.user && event.user.user_id));
};`;
const METADATA = `let n = 0;
exports.HANDLER = async (event, api) => {
  n += 1;
  api.user.setAppMetadata('warm' + (n % 6), n % 2 === 0 ? event.request && event.request.ip : { at: n });
  api.user.setUserMetadata('warm' + (n % 4), n % 3 === 0 ? null : 'value' + n);
  api.transaction.setMetadata('warm' + (n % 5), n % 2 === 0 ? n : 'value');
  if (api.cache.get('warm' + (n % 3)) === undefined) api.cache.set('warm' + (n % 3), 'up');
  if (n % 4 === 0) console.log('warm-up', event.user && event.user.email, n);
};`;
const TOKEN = `let n = 0;
exports.HANDLER = async (event, api) => {
  n += 1;
  api.accessToken.setCustomClaim('https://gatehouse.invalid/client' + (n % 7), n % 2 === 0 ? n : event.client && event.client.client_id);
  if (api.cache.get('warm' + (n % 3)) === undefined) api.cache.set('warm' + (n % 3), 'up');
  if (n % 4 === 0) console.log('warm-up', event.client && event.client.name);
};`;
const READ_ONLY = `exports.HANDLER = (event) => { if (Object.keys(event).length === 0) console.log('empty'); };`;

/** The warm-up flow of each trigger that has one. */
const FLOWS = {
  'post-login': [CLAIMS, METADATA, READ_ONLY],
  'credentials-exchange': [TOKEN, TOKEN, READ_ONLY],
};

/**
 * The warm-up actions of each trigger of `catalog` that has a warm-up flow: trigger →
 * actions, in the request's member order (PROTOCOL.md §4), each with its code.
 */
function warmUpActions(catalog) {
  const actions = {};
  for (const [trigger, codes] of Object.entries(FLOWS)) {
    const plan = catalog.triggers.get(trigger);
    if (plan === undefined) continue;
    actions[trigger] = codes.map((code, index) => ({
      name: `gatehouse-warm-up-${index}`,
      version_id: `gatehouse-warm-up-${trigger}-${index}`,
      code: code.replace('HANDLER', plan.handlers.execute),
      secrets: { WARM_UP: 'yes' },
      node_modules: null,
    }));
  }
  return actions;
}

module.exports = { warmUpActions };
