'use strict';
// Warm-up: synthetic flows a worker runs on itself before it reports `ready`
// (PROTOCOL.md §2, `init.warm_up`).
//
// V8 optimises the runner's hot functions (event copies, api building, argument checks,
// command and result serialisation) only after they have run a few thousand times, and
// it compiles them on a background thread. On a busy machine those compilations take
// whole milliseconds from the flows that happen to run meanwhile: without a warm-up, the
// first few thousand real logins after every worker start see a p99 of several
// milliseconds instead of a few hundred microseconds (BENCHMARKS.md). The warm-up pays
// that cost before the worker takes traffic.
//
// The actions below are the runner's own. They exercise the commonest api calls of each
// trigger on the host's sample event; runner.js discards their results and drops their
// compiled modules from the loader afterwards, so nothing of them is visible to tenant
// code.

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

/** The warm-up flow of each trigger; any other trigger gets one read-only action. */
const FLOWS = {
  'post-login': [CLAIMS, METADATA, READ_ONLY],
  'credentials-exchange': [TOKEN, TOKEN, READ_ONLY],
};

function warmUpActions(trigger, handlerName) {
  const codes = FLOWS[trigger] || [READ_ONLY];
  return codes.map((code, index) => ({
    name: `gatehouse-warm-up-${index}`,
    version_id: `gatehouse-warm-up-${trigger}-${index}`,
    code: code.replace('HANDLER', handlerName),
    secrets: { WARM_UP: 'yes' },
    node_modules: null,
  }));
}

/**
 * The warm-up's request frames: `spec.flows` per trigger of `spec.events` (trigger →
 * sample event), interleaved, as JSON lines written the way the host writes them
 * (PROTOCOL.md §4, same member order for the frame and its actions, the code of each
 * version in its first frame only), so that they take the
 * same path as real requests, JSON.parse included, and leave V8 the same object shapes to
 * optimise for. The events' own members come in the order of the init frame (sorted), which
 * real events need not share (BENCHMARKS.md, "object shapes after the warm-up"). Returns
 * `{ count, frame(index), versionIds }`; an invalid spec gives no frames: the warm-up is
 * an optimisation, never a reason for a worker not to start.
 */
function warmUpFrames(spec, catalog) {
  const valid = spec !== null && typeof spec === 'object'; // absent (undefined) too
  const flows = valid && Number.isInteger(spec.flows) && spec.flows > 0 ? Math.min(spec.flows, 100000) : 0;
  const events = valid && spec.events !== null && typeof spec.events === 'object' ? spec.events : {};
  const templates = [];
  for (const trigger of Object.keys(events)) {
    const plan = catalog.triggers.get(trigger);
    const event = events[trigger];
    if (plan === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) continue;
    const actions = warmUpActions(trigger, plan.handlers.execute);
    const tail = (list) => `,"trigger":${JSON.stringify(trigger)},"handler":"execute","event":${JSON.stringify(event)},`
      + `"actions":${JSON.stringify(list)},"cache":{},"facts":{},"budget_ms":20000,"now":`;
    templates.push({
      head: '{"type":"flow","id":',
      tail: tail(actions),
      // The host sends a version's code until the worker has it, then leaves it out (§4).
      tailWithoutCode: tail(actions.map(({ code, ...rest }) => rest)),
      actions,
    });
  }
  return {
    count: flows * templates.length,
    frame(index) {
      const template = templates[index % templates.length];
      const tail = index < templates.length ? template.tail : template.tailWithoutCode;
      return `${template.head}${index}${tail}${Date.now()}}`;
    },
    /** The warm-up's version ids, to drop from the loader afterwards. */
    versionIds: templates.flatMap((t) => t.actions.map((a) => a.version_id)),
  };
}

module.exports = { warmUpFrames };
