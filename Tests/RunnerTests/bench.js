'use strict';
// Round-trip benchmark: a 3-action post-login flow sent over the pipe to a runner
// started as in production, one flow at a time (latency) and pipelined (throughput).
// Usage: node Tests/RunnerTests/bench.js [flows=20000]

const { Runner, action, postLoginEvent } = require('./harness');

const FLOWS = Number(process.argv[2]) || 20000;
const WARMUP = 2000;

const actions = [
  action('add-roles', `exports.onExecutePostLogin = async (event, api) => {
    const roles = (event.authorization && event.authorization.roles) || [];
    api.idToken.setCustomClaim('https://acme.test/roles', roles);
    api.accessToken.setCustomClaim('https://acme.test/roles', roles);
  };`),
  action('profile', `exports.onExecutePostLogin = async (event, api) => {
    if (!event.user.app_metadata.onboarded) api.user.setAppMetadata('onboarded', true);
    api.transaction.setMetadata('tier', event.user.app_metadata.plan);
  };`),
  action('gate', `exports.onExecutePostLogin = async (event, api) => {
    if (event.user.email_verified !== true) api.access.deny('Please verify your email');
    console.log('login', event.user.user_id, event.transaction.metadata.tier);
  };`),
];

function frame(id) {
  return `${JSON.stringify({
    type: 'flow', id, trigger: 'post-login', handler: 'execute',
    event: postLoginEvent({ authorization: { roles: ['admin', 'billing'] } }),
    actions, cache: {}, budget_ms: 20000, now: Date.now(),
  })}\n`;
}

/** CPU time (user + system, µs) used so far by a process, from /proc (Linux only). */
function cpuMicros(pid) {
  try {
    const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]; }

async function main() {
  const runner = new Runner({ heapMb: 128 });
  const ready = await runner.init();
  if (ready.type !== 'ready') throw new Error(JSON.stringify(ready));
  const { stdin, stdout } = runner.child;
  stdout.removeAllListeners('data');

  // Latency: one flow in flight at a time; the next is written as soon as the
  // previous answer's line is complete.
  const requests = Array.from({ length: WARMUP + FLOWS + 1 }, (_, i) => frame(i));
  const first = await new Promise((resolve) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      if (text.includes('\n')) { stdout.off('data', onData); resolve(text.slice(0, text.indexOf('\n'))); }
    };
    stdout.on('data', onData);
    stdin.write(requests[0]);
  });
  const check = JSON.parse(first);
  if (check.status !== 'completed' || check.actions.some((a) => a.error)) throw new Error(first);
  console.log(`request ${requests[0].length} bytes, response ${first.length} bytes, node ${ready.node}`);

  const samples = new Float64Array(FLOWS);
  await new Promise((resolve) => {
    let i = 1;
    let started = 0n;
    let partial = '';
    const send = () => { started = process.hrtime.bigint(); stdin.write(requests[i]); };
    stdout.on('data', (chunk) => {
      partial += chunk;
      if (partial.charCodeAt(partial.length - 1) !== 10) return; // answer not complete yet
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if (partial.charCodeAt(0) !== 123) throw new Error(partial);
      partial = '';
      if (i > WARMUP) samples[i - WARMUP - 1] = elapsed;
      i += 1;
      if (i > WARMUP + FLOWS) { stdout.removeAllListeners('data'); resolve(); } else send();
    });
    send();
  });
  samples.sort();
  const total = samples.reduce((a, b) => a + b, 0);
  console.log(`sequential: ${FLOWS} flows, p50 ${percentile(samples, 0.5).toFixed(0)} µs, p90 ${percentile(samples, 0.9).toFixed(0)} µs, `
    + `p99 ${percentile(samples, 0.99).toFixed(0)} µs, max ${samples[samples.length - 1].toFixed(0)} µs, ${(FLOWS / (total / 1e6)).toFixed(0)} flows/s`);

  // Throughput: all flows written up front, answers counted as they arrive.
  stdout.removeAllListeners('data');
  let received = 0;
  const done = new Promise((resolve) => {
    stdout.on('data', (chunk) => {
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) received++;
      if (received === FLOWS) resolve();
    });
  });
  const cpuBefore = cpuMicros(runner.child.pid);
  const started = process.hrtime.bigint();
  for (let i = 0; i < FLOWS; i++) stdin.write(requests[i + 1]);
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuPerFlow = (cpuMicros(runner.child.pid) - cpuBefore) / FLOWS;
  console.log(`pipelined: ${FLOWS} flows in ${seconds.toFixed(2)} s, ${(FLOWS / seconds).toFixed(0)} flows/s, `
    + `runner CPU ${Number.isNaN(cpuPerFlow) ? 'n/a' : `${cpuPerFlow.toFixed(0)} µs/flow`}`);
  await runner.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
