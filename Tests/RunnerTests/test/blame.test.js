'use strict';
// The blame record (PROTOCOL.md §9, "Blame"): the runner writes which action version runs to
// its descriptor 3, behind a nonce from the `init` frame; the server trusts nothing else
// when a worker dies. Action code can neither read it, nor erase it, nor write one.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startRunner, action, RUNNER_DIR } = require('../harness');

const NONCE = '0123456789abcdef0123456789abcdef';

test('blame record', async (t) => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-blame-'));
  const file = path.join(directory, 'record');
  const descriptor = fs.openSync(file, 'w'); // write-only, as the server hands it over
  const runner = await startRunner({ blameRecord: descriptor, blameNonce: NONCE });
  fs.closeSync(descriptor);
  t.after(async () => { await runner.close(); fs.rmSync(directory, { recursive: true, force: true }); });
  const recorded = () => fs.readFileSync(file, 'utf8').split('\n')[0];

  await t.test('names the version whose code runs: the last action started', async () => {
    const first = action('first', 'exports.onExecutePostLogin = async () => {};');
    const second = action('second', 'exports.onExecutePostLogin = async () => {};');
    const result = await runner.flow({ actions: [first, second] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(recorded(), `${NONCE} ${second.version_id}`);
  });

  await t.test('action code cannot read, erase or rewrite it to frame another action', async () => {
    const victim = action('victim', 'exports.onExecutePostLogin = async () => {};');
    const attacker = action('framer', `exports.onExecutePostLogin = async () => {
      const fs = require('fs');
      const net = require('net');
      const forged = Buffer.from('${'f'.repeat(32)} ${victim.version_id}\\n');
      const written = (stream) => new Promise((resolve, reject) => {
        stream.on('error', reject);
        stream.write(forged, (e) => (e ? reject(e) : resolve()));
      });
      const tries = {
        writeSync: () => fs.writeSync(3, forged, 0, forged.length, 0),
        write: () => new Promise((resolve, reject) => fs.write(3, forged, 0, forged.length, 0, (e) => (e ? reject(e) : resolve()))),
        ftruncateSync: () => fs.ftruncateSync(3, 0),
        closeSync: () => fs.closeSync(3),
        socket: () => written(new net.Socket({ fd: 3, readable: false })),
        readSync: () => fs.readSync(3, Buffer.alloc(256), 0, 256, 0),
        procfs: () => fs.readFileSync('/proc/self/fd/3'),
      };
      const outcome = [];
      for (const [name, attempt] of Object.entries(tries)) {
        try { await attempt(); outcome.push(name + ':done'); } catch (e) { outcome.push(name + ':' + (e.code || e.name)); }
      }
      console.log(outcome.join(' '));
    };`);
    const result = await runner.flow({ actions: [victim, attacker] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    const outcome = result.actions[1].logs.trim().split(' ');
    assert.equal(outcome.length, 7, result.actions[1].logs);
    for (const entry of outcome) assert.doesNotMatch(entry, /:done$/, result.actions[1].logs);
    assert.equal(recorded(), `${NONCE} ${attacker.version_id}`);
    // A write stream on the descriptor writes from Node's internals, where the refusal ends
    // the action.
    const streamer = action('stream-framer', `exports.onExecutePostLogin = async () => {
      const stream = require('fs').createWriteStream(null, { fd: 3, start: 0, autoClose: false });
      await new Promise((resolve, reject) => { stream.on('error', reject); stream.write('${'f'.repeat(32)} ${victim.version_id}\\n', (e) => (e ? reject(e) : resolve())); });
    };`);
    const streamed = await runner.flow({ actions: [victim, streamer] });
    assert.equal(streamed.actions[1].error?.code, 'ERR_ACTION_FORBIDDEN', JSON.stringify(streamed));
    assert.equal(recorded(), `${NONCE} ${streamer.version_id}`);
    // The runner still records: the next flow is named.
    const next = action('next', 'exports.onExecutePostLogin = async () => {};');
    await runner.flow({ actions: [next] });
    assert.equal(recorded(), `${NONCE} ${next.version_id}`);
  });

  await t.test('work an action left running (an I/O callback, a promise continuation) is recorded as its own when it runs', async () => {
    // Reads a file again and again for 150 ms after its flow ended: I/O callbacks and promise
    // continuations, no timer.
    const leaver = action('leaver', `exports.onExecutePostLogin = async () => {
      const fs = require('fs');
      const end = Date.now() + 150;
      const again = () => fs.readFile(${JSON.stringify(`${RUNNER_DIR}/runner.js`)}, () => Promise.resolve().then(() => { if (Date.now() < end) again(); }));
      again();
    };`);
    const next = action('next-flow', 'exports.onExecutePostLogin = async () => {};');
    await runner.flow({ actions: [leaver] });
    await runner.flow({ actions: [next] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(recorded(), `${NONCE} ${leaver.version_id}`);
  });

  await t.test('a timer left running is recorded as its own version\'s, and the record names the running action again when its code resumes', async () => {
    const planter = action('planter', `exports.onExecutePostLogin = async () => {
      setTimeout(() => { const end = Date.now() + 1; while (Date.now() < end) {} }, 50);
    };`);
    const waiter = action('waiter', `exports.onExecutePostLogin = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
    };`);
    await runner.flow({ actions: [planter] });
    const result = await runner.flow({ actions: [waiter] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(recorded(), `${NONCE} ${waiter.version_id}`);
  });
});
