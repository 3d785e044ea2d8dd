'use strict';
// Isolation between actions of one worker (PROTOCOL.md §9, "Isolation model"): each
// attack is performed by an action through a real worker, and the victim — another
// action, a later flow, or the runner itself — must be unaffected. Every test here
// failed on the runner that ran all actions in one shared realm.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startRunner, action } = require('../harness');

const SECRET = 'sk_live_victim_secret_4242';
const VICTIM_EMAIL = 'victim-of-another-flow@example.com';

test('isolation between actions', async (t) => {
  // A fresh worker per attack: on a runner that is not isolated, one attack breaks the
  // worker for the next one.
  let runner = null;
  t.beforeEach(async () => { runner = await startRunner(); });
  t.afterEach(() => { runner.kill(); });
  const OPTIONS = { timeout: 15000 };

  /** Runs `attacker` alone, then `victims` (one flow each), then `attacker` again; returns all results. */
  async function scenario(attacker, victims) {
    const first = await runner.flow({ actions: [attacker] });
    const middle = [];
    for (const victim of victims) middle.push(await runner.flow(victim));
    const last = await runner.flow({ actions: [attacker] });
    return { first, middle, last };
  }

  /** A loopback server echoing the request's Authorization header, after `delayMs`; its URL. */
  async function echoServer(t2, delayMs = 0) {
    const server = http.createServer((req, res) => { setTimeout(() => res.end(`seen ${req.headers.authorization}`), delayMs); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    t2.after(() => server.close());
    return `http://127.0.0.1:${server.address().port}/`;
  }

  /** An action that GETs `url` with its secret as a bearer token through `getter` (an expression
   * giving http's `get`) and sets the answer as a claim. */
  function requestingVictim(name, url, getter) {
    return action(name, `exports.onExecutePostLogin = async (event, api) => {
      const get = ${getter};
      const body = await new Promise((resolve, reject) => {
        get(${JSON.stringify(url)}, { headers: { authorization: 'Bearer ' + event.secrets.API_KEY } }, (res) => {
          let text = ''; res.on('data', (d) => { text += d; }); res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      api.idToken.setCustomClaim('https://x/body', body);
    };`, { secrets: { API_KEY: SECRET } });
  }

  /** An action that leaves a timer reading the authorization headers of every request in the
   * pools of the http agent `import()` shares, and logs what it saw. */
  function poolReader(name) {
    return action(name, `
      const seen = new Set();
      let armed = false;
      exports.onExecutePostLogin = async () => {
        if (!armed) {
          armed = true;
          const agents = [(await import('node:http')).globalAgent, (await import('node:http')).default.globalAgent];
          setInterval(() => {
            for (const agent of agents) {
              for (const pool of [agent.sockets, agent.requests, agent.freeSockets]) {
                for (const list of Object.values(pool)) {
                  for (const item of list) {
                    const message = item._httpMessage ?? item;
                    try { const header = message.getHeader('authorization'); if (header) seen.add(header); } catch {}
                  }
                }
              }
            }
          }, 5).unref();
        }
        console.log('seen:' + [...seen].join('|'));
      };`);
  }

  /** The victim got its answer, and the attacker's next run logged nothing of its secret. */
  async function assertNotSpied(attacker, victim) {
    await runner.flow({ actions: [attacker] });
    const used = await runner.flow({ actions: [victim] });
    assert.deepEqual(used.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/body', `seen Bearer ${SECRET}`] }], JSON.stringify(used));
    const last = await runner.flow({ actions: [attacker] });
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
  }

  await t.test('a setter on Object.prototype cannot steal the secrets or the event of a later action', OPTIONS, async () => {
    const attacker = action('stealer', `
      const stolen = [];
      for (const key of ['API_KEY', 'secrets', 'client_secret', 'email']) {
        Object.defineProperty(Object.prototype, key, {
          set(v) { stolen.push(typeof v === 'object' ? JSON.stringify(v) : String(v)); Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true }); },
          configurable: true,
        });
      }
      exports.onExecutePostLogin = async () => { console.log('stolen:' + stolen.join('|')); };`);
    const victim = action('victim', `exports.onExecutePostLogin = async (event, api) => {
      const body = {};
      body.client_secret = event.secrets.API_KEY;
      const copy = {};
      copy.API_KEY = event.secrets.API_KEY;
      api.idToken.setCustomClaim('https://x/ok', body.client_secret === ${JSON.stringify(SECRET)} && copy.API_KEY === ${JSON.stringify(SECRET)});
    };`, { secrets: { API_KEY: SECRET } });
    const { middle, last } = await scenario(attacker, [
      { actions: [attacker, victim] },
      { event: { user: { user_id: 'auth0|v', email: VICTIM_EMAIL } }, actions: [victim] },
    ]);
    for (const result of middle) {
      assert.equal(result.status, 'completed', JSON.stringify(result));
      assert.deepEqual(result.actions.at(-1).commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/ok', true] }]);
    }
    assert.equal(last.actions[0].error, null);
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
    assert.doesNotMatch(last.actions[0].logs, new RegExp(VICTIM_EMAIL));
  });

  await t.test('a setter on the prototype of event.secrets cannot steal another action\'s secrets', OPTIONS, async () => {
    const attacker = action('proto-stealer', `
      const stolen = [];
      exports.onExecutePostLogin = async (event) => {
        const proto = Object.getPrototypeOf(event.secrets);
        if (!Object.getOwnPropertyDescriptor(proto, 'API_KEY')) {
          Object.defineProperty(proto, 'API_KEY', { set(v) { stolen.push(v); }, get() { return undefined; }, configurable: true });
          Object.getPrototypeOf(event.user).__defineSetter__('token', function (v) { stolen.push(v); });
        }
        console.log('stolen:' + stolen.join('|'));
      };`);
    const victim = action('assigner', `exports.onExecutePostLogin = async (event, api) => {
      const config = Object.assign({}, event.secrets);
      const headers = {};
      headers.token = event.secrets.API_KEY;
      api.idToken.setCustomClaim('https://x/key', config.API_KEY === ${JSON.stringify(SECRET)} && headers.token === ${JSON.stringify(SECRET)});
    };`, { secrets: { API_KEY: SECRET } });
    const { middle, last } = await scenario(attacker, [{ actions: [attacker, victim] }, { actions: [victim] }]);
    for (const result of middle) {
      assert.deepEqual(result.actions.at(-1).commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/key', true] }], JSON.stringify(result));
    }
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
  });

  await t.test('wrapping JSON.parse does not reveal the frames of other flows', OPTIONS, async () => {
    const attacker = action('parse-spy', `
      const seen = [];
      const parse = JSON.parse;
      JSON.parse = function (text, reviver) { if (typeof text === 'string') seen.push(text); return parse.call(this, text, reviver); };
      exports.onExecutePostLogin = async () => { console.log('seen:' + seen.join('\\n')); };`);
    const victim = action('innocent', "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/e', event.user.email); };",
      { secrets: { API_KEY: SECRET } });
    const { middle, last } = await scenario(attacker, [
      { event: { user: { user_id: 'auth0|v', email: VICTIM_EMAIL } }, actions: [victim] },
    ]);
    assert.equal(middle[0].status, 'completed');
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
    assert.doesNotMatch(last.actions[0].logs, new RegExp(VICTIM_EMAIL));
  });

  await t.test('patching Array.prototype.includes does not change what a later action sees', OPTIONS, async () => {
    const attacker = action('patcher', `exports.onExecutePostLogin = async () => {
      Array.prototype.includes = () => true;
      Object.prototype.isAdmin = true;
      String.prototype.startsWith = () => true;
    };`);
    const victim = action('checker', `exports.onExecutePostLogin = async (event, api) => {
      if (['admin'].includes(event.user.role) || event.user.isAdmin || 'user'.startsWith('adm')) api.access.deny('tampered');
      console.log([1, 2].includes(3), ({}).isAdmin);
    };`);
    const flow = await runner.flow({ actions: [attacker, victim] });
    assert.equal(flow.status, 'completed', JSON.stringify(flow));
    assert.equal(flow.actions[1].logs, 'false undefined\n');
    const later = await runner.flow({ actions: [victim] });
    assert.equal(later.status, 'completed');
    assert.equal(later.actions[0].logs, 'false undefined\n');
  });

  await t.test('patching a built-in module is not seen by another action', OPTIONS, async () => {
    const attacker = action('module-patcher', `exports.onExecutePostLogin = async () => {
      const attempts = [
        () => { require('https').request = function request() { throw new Error('hijacked'); }; },
        () => { require('crypto').createHash = () => ({ update() { return this; }, digest() { return 'hijacked'; } }); },
        () => { require('crypto').randomUUID = () => 'hijacked'; },
        () => { Object.getPrototypeOf(require('crypto').createHash('sha256')).digest = () => 'hijacked'; },
        () => { require('events').prototype.emit = () => false; },
        () => { Buffer.prototype.toString = () => 'hijacked'; },
        () => { URL.prototype.toString = () => 'hijacked'; },
      ];
      for (const attempt of attempts) { try { attempt(); } catch {} }
      console.log(require('crypto').randomUUID());
    };`);
    const victim = action('module-user', `exports.onExecutePostLogin = async () => {
      const crypto = require('crypto');
      const https = require('https');
      const { EventEmitter } = require('events');
      const emitter = new EventEmitter();
      let heard = false;
      emitter.on('x', () => { heard = true; });
      emitter.emit('x');
      console.log(crypto.createHash('sha256').update('x').digest('hex').slice(0, 8), https.request.name, crypto.randomUUID().length,
        heard, Buffer.from('ok').toString(), String(new URL('https://a.example/')));
    };`);
    const patched = await runner.flow({ actions: [attacker] });
    assert.equal(patched.status, 'completed', JSON.stringify(patched));
    for (const flow of [await runner.flow({ actions: [attacker, victim] }), await runner.flow({ actions: [victim] })]) {
      assert.equal(flow.status, 'completed', JSON.stringify(flow));
      assert.equal(flow.actions.at(-1).logs, '2d711642 request 36 true ok https://a.example/\n');
    }
  });

  await t.test('the constructors of api functions give the action its own Function, not the runner\'s', OPTIONS, async () => {
    const escape = action('api-escape', `exports.onExecutePostLogin = async (event, api) => {
      const paths = [
        api.idToken.setCustomClaim.constructor,
        Object.getPrototypeOf(api).constructor.constructor,
        api.cache.get.constructor,
        console.log.constructor,
        (api.cache.get('k') || {}).constructor.constructor,
      ];
      const out = [];
      for (const F of paths) {
        let p;
        try { p = F('return process')(); } catch (e) { out.push('threw ' + e.code); continue; }
        out.push([F === Function, p === process, typeof p.mainModule, typeof p._getActiveHandles, typeof p.openStdin].join(','));
        try { F('return this')().JSON.parse = () => ({}); } catch {}
      }
      console.log(out.join('\\n'));
    };`);
    const flow = await runner.flow({ cache: { k: { value: 'v', expires_at: Date.now() + 60000 } }, actions: [escape] });
    assert.equal(flow.status, 'completed', JSON.stringify(flow));
    for (const line of flow.actions[0].logs.trim().split('\n')) {
      assert.ok(line === 'true,true,undefined,undefined,undefined' || line === 'threw ERR_ACTION_FORBIDDEN', line);
    }
    // The runner still parses requests: nothing reached its JSON.parse.
    const next = await runner.flow({ actions: ["exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/u', event.user.user_id); };"] });
    assert.deepEqual(next.actions[0].commands[0].args, ['https://x/u', 'auth0|u1']);
  });

  await t.test('the prototypes of the event\'s objects lead to the action\'s own realm, not the runner\'s', OPTIONS, async () => {
    const escape = action('event-escape', `exports.onExecutePostLogin = async (event) => {
      const out = [];
      for (const value of [event, event.user, event.user.identities, event.secrets, event.user.app_metadata]) {
        const F = Object.getPrototypeOf(value).constructor.constructor;
        const p = F('return process')();
        out.push([F === Function, p === process, typeof p.mainModule, Object.getPrototypeOf(value) === (Array.isArray(value) ? Array.prototype : Object.prototype)].join(','));
      }
      console.log(out.join('\\n'));
    };`);
    const flow = await runner.flow({ actions: [escape] });
    assert.equal(flow.status, 'completed', JSON.stringify(flow));
    assert.equal(flow.actions[0].logs, 'true,true,undefined,true\n'.repeat(5));
  });

  await t.test('the runner\'s own objects cannot be reached and polluted through Node\'s objects', OPTIONS, async () => {
    // Buffer, URL, timers and the objects Node's modules return live in Node's realm,
    // the runner's: their prototypes and constructors must not be a way in.
    const attacker = action('node-realm', `
      const leaked = [];
      exports.onExecutePostLogin = async () => {
        const tries = [];
        for (const start of [Buffer.from('x'), new URL('https://a.example/'), setTimeout(() => {}, 0), require('crypto').createHash('sha256'), require('os').cpus()]) {
          let p = start;
          while (Object.getPrototypeOf(p) !== null) p = Object.getPrototypeOf(p);
          try {
            Object.defineProperty(p, 'transient', { get() { leaked.push(JSON.stringify(this)); return undefined; }, configurable: true });
            tries.push('defined');
          } catch (e) { tries.push(e.name); }
          try { p.constructor.constructor('return this')().JSON.parse = () => { throw new Error('hijacked'); }; tries.push('patched'); } catch (e) { tries.push(e.code || e.name); }
        }
        console.log('leaked:' + leaked.join('|'));
      };`);
    const victim = action('victim2', "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/e', event.user.email); };",
      { secrets: { API_KEY: SECRET } });
    const { middle, last } = await scenario(attacker, [
      { event: { user: { user_id: 'auth0|v', email: VICTIM_EMAIL } }, actions: [victim] },
    ]);
    assert.equal(middle[0].status, 'completed', JSON.stringify(middle[0]));
    assert.deepEqual(middle[0].actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/e', VICTIM_EMAIL] }]);
    assert.equal(last.status, 'completed', JSON.stringify(last));
    assert.doesNotMatch(last.actions[0].logs, new RegExp(VICTIM_EMAIL));
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
  });

  await t.test('the store Node keeps on the action\'s own promises does not lead to the runner\'s execution record', OPTIONS, async () => {
    // AsyncLocalStorage puts its store on every promise the action creates.
    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async () => {
        const p = Promise.resolve();
        const stores = Object.getOwnPropertySymbols(p).map((s) => p[s]).filter((v) => v !== null && typeof v === 'object');
        for (const store of stores) {
          try { store.commands = '{"method":"api.access.deny","args":["injected"]}'; store.commandCount = 1; } catch {}
          try { store.limits.max_commands_per_action = 1e9; } catch {}
        }
        console.log(stores.map((store) => Reflect.ownKeys(store).length).join());
      };`],
    });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.deepEqual(result.actions[0].commands, []);
    assert.equal(result.actions[0].logs, '0\n');
  });

  await t.test('the shared http agent does not show an action the requests of another', OPTIONS, async (t2) => {
    const url = await echoServer(t2);
    const attacker = action('agent-spy', `
      const http = require('http');
      const seen = [];
      const agent = http.globalAgent;
      try { agent.on('free', (socket) => socket.on('data', (d) => seen.push(String(d)))); } catch {}
      try { const add = agent.addRequest; agent.addRequest = function (req, options) { seen.push(JSON.stringify(req.getHeaders())); return add.call(this, req, options); }; } catch {}
      exports.onExecutePostLogin = async () => { console.log('seen:' + seen.join('|')); };`);
    const victim = requestingVictim('agent-user', url, "require('http').get");
    await runner.flow({ actions: [attacker] });
    const used = await runner.flow({ actions: [victim] });
    assert.deepEqual(used.actions[0].commands, [{ method: 'api.idToken.setCustomClaim', args: ['https://x/body', `seen Bearer ${SECRET}`] }], JSON.stringify(used));
    await runner.flow({ actions: [victim] });
    const last = await runner.flow({ actions: [attacker] });
    assert.doesNotMatch(last.actions[0].logs, new RegExp(SECRET));
  });

  await t.test('the agent import() shares cannot be wrapped, redefined or listened to by one action to see another\'s requests', OPTIONS, async (t2) => {
    const url = await echoServer(t2);
    const attacker = action('import-agent-spy', `
      const seen = [];
      let armed = false;
      exports.onExecutePostLogin = async () => {
        const agent = (await import('node:http')).globalAgent;
        if (!armed) {
          armed = true;
          try { const add = agent.addRequest; agent.addRequest = function (req, options) { seen.push(JSON.stringify(req.getHeaders())); return add.call(this, req, options); }; } catch {}
          try { Object.defineProperty(agent, 'addRequest', { value: function (req) { seen.push(JSON.stringify(req.getHeaders())); } }); } catch {}
          try { agent.on('free', (socket) => socket.on('data', (d) => seen.push(String(d)))); } catch {}
          try { agent._events.free = (socket) => socket.on('data', (d) => seen.push(String(d))); } catch {}
          try { agent.options.headers = { 'x-spy': '1' }; } catch {}
        }
        console.log('seen:' + seen.join('|'));
      };`);
    const victim = requestingVictim('import-agent-user', url, "(await import('node:http')).get");
    await assertNotSpied(attacker, victim);
  });

  await t.test('a timer left running cannot read, in the pools of the agent import() shares, the request another action has in flight', OPTIONS, async (t2) => {
    const url = await echoServer(t2, 300);
    const attacker = poolReader('pool-reader');
    const victim = requestingVictim('slow-request', url, "(await import('node:http')).get");
    await assertNotSpied(attacker, victim);
  });

  // The shared agent passed explicitly, and a ClientRequest built by hand (which falls back to
  // the shared agent), must not put the victim's request where the pool reader above looks.
  for (const [how, getter] of [
    ['passes the shared agent explicitly', "((h) => (u, o, cb) => h.get(u, { ...o, agent: h.globalAgent }, cb))(await import('node:http'))"],
    ['builds its ClientRequest by hand', "((h) => (u, o, cb) => { const r = new h.ClientRequest(u, o, cb); r.end(); return r; })(await import('node:http'))"],
  ]) {
    await t.test(`a timer left running cannot read the in-flight request of another action that ${how}`, OPTIONS, async (t2) => {
      const url = await echoServer(t2, 300);
      const victim = requestingVictim(`slow-${how.split(' ')[0]}`, url, getter);
      await assertNotSpied(poolReader(`pool-reader-${how.split(' ')[0]}`), victim);
    });
  }

  await t.test('the runner\'s uncaught-error handlers cannot be removed through process._events: a throw from a timer stays the action\'s error', OPTIONS, async () => {
    const result = await runner.flow({ actions: [action('handler-remover', `exports.onExecutePostLogin = async () => {
      const p = (await import('node:process')).default;
      for (const key of ['uncaughtException', 'unhandledRejection']) {
        try { p._events[key] = undefined; } catch {}
        try { delete p._events[key]; } catch {}
      }
      try { p._events = {}; } catch {}
      setTimeout(() => { throw new Error('thrown from a timer'); }, 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
    };`)] });
    assert.equal(result.actions[0].error?.message, 'thrown from a timer', JSON.stringify(result));
    assert.equal(result.actions[0].error?.class, 'action_error');
    assert.equal((await runner.ping()).type, 'pong', 'the worker is still alive');
  });

  await t.test('a timer does not lead to the timers (callbacks, arguments) of other actions', OPTIONS, async () => {
    const victim = action('timer-owner', `exports.onExecutePostLogin = async (event) => {
      setTimeout((key) => key.length, 1000, event.secrets.API_KEY);
    };`, { secrets: { API_KEY: SECRET } });
    const attacker = action('timer-walker', `exports.onExecutePostLogin = async () => {
      const found = [];
      const walk = (timer) => {
        let node = timer && timer._idleNext;
        for (let i = 0; node && node !== timer && i < 100; i++, node = node._idleNext) {
          if (node._timerArgs) found.push(JSON.stringify(node._timerArgs));
        }
      };
      const own = setTimeout(() => {}, 1000);
      walk(own);
      await new Promise((resolve) => setTimeout(function () { walk(this); resolve(); }, 1000 - 999));
      clearTimeout(own);
      console.log('found:' + found.join());
    };`);
    const result = await runner.flow({ actions: [victim, attacker] });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.doesNotMatch(result.actions[1].logs, new RegExp(SECRET));
  });

  await t.test('what action code relies on still works in a realm of its own', OPTIONS, async () => {
    const result = await runner.flow({
      actions: [`exports.onExecutePostLogin = async (event, api) => {
        const { Readable } = require('stream');
        const { EventEmitter } = require('events');
        const util = require('util');
        const checks = {};
        checks.buffer = Buffer.from('x') instanceof Uint8Array && Buffer.isBuffer(Buffer.from('x'));
        let nodeError;
        try { Buffer.alloc(-1); } catch (e) { nodeError = e; }
        checks.nodeError = nodeError instanceof Error && nodeError instanceof RangeError;
        nodeError.name = 'Renamed'; nodeError.message = 'changed';
        checks.override = nodeError.name === 'Renamed' && nodeError.message === 'changed';
        checks.promise = util.promisify(setTimeout)(1) instanceof Promise && (async () => {})() instanceof Promise;
        const clone = structuredClone({ a: [1] });
        checks.clone = clone instanceof Object && clone.a instanceof Array && Array.isArray(clone.a);
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x'));
        checks.webcrypto = digest instanceof ArrayBuffer && digest.byteLength === 32;
        function Legacy() { Readable.call(this); }
        util.inherits(Legacy, Readable);
        Legacy.prototype._read = function () { this.push('legacy'); this.push(null); };
        let read = '';
        for await (const chunk of new Legacy()) read += chunk;
        checks.inherits = read === 'legacy';
        class Emitter extends EventEmitter {}
        Emitter.prototype.emit = function () { return 'mine'; };
        checks.subclass = new Emitter().emit('x') === 'mine' && new EventEmitter().emit('x') === false;
        const order = [];
        await new Promise((resolve) => {
          setTimeout(() => { order.push('timeout'); resolve(); }, 2);
          setImmediate(() => order.push('immediate'));
          process.nextTick(() => order.push('tick'));
          queueMicrotask(() => order.push('microtask'));
        });
        checks.timers = order.slice().sort().join() === 'immediate,microtask,tick,timeout' && order[3] === 'timeout';
        const handle = setTimeout(() => { checks.cleared = false; }, 5);
        clearTimeout(handle);
        const byId = setTimeout(() => { checks.clearedById = false; }, 5);
        clearTimeout(Number(byId));
        let ticks = 0;
        await new Promise((resolve) => { const every = setInterval(() => { if (++ticks === 2) { clearInterval(every); resolve(); } }, 1); });
        await require('util').promisify(setTimeout)(1);
        await require('timers/promises').setTimeout(1);
        checks.handles = handle.hasRef() && typeof handle.unref().ref === 'function' && ticks === 2;
        await new Promise((resolve) => setTimeout(resolve, 10));
        process.env.MINE = '1';
        checks.process = typeof process.version === 'string' && process.env.MINE === '1' && global === globalThis;
        checks.vm = require('vm').runInThisContext('globalThis') === globalThis;
        checks.module = require('module').builtinModules.includes('fs') && require('node:process') === process;
        checks.url = new URL('https://a.example/b?c=d').searchParams.get('c') === 'd';
        const failed = Object.keys(checks).filter((k) => checks[k] !== true);
        console.log(failed.length === 0 ? 'all ok' : 'failed: ' + failed.join(', '));
      };`],
    });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(result.actions[0].logs, 'all ok\n');
  });

  await t.test('os.setPriority and other process-affecting calls are forbidden', OPTIONS, async () => {
    for (const call of [
      "require('os').setPriority(process.ppid, 19)",
      "require('node:os').setPriority(19)",
      "(await import('node:os')).setPriority(process.ppid, 19)",
      "(await import('node:os')).default.setPriority(process.ppid, 19)",
      "process.setUncaughtExceptionCaptureCallback(() => {})",
      "process.chdir('/')",
      "require('v8').setFlagsFromString('--allow-natives-syntax')",
      "(await import('node:process')).default.on('uncaughtException', () => {})",
      "(await import('node:process')).default._getActiveHandles()",
      "(await import('node:module')).default.createRequire('/')('x')",
      "(await import('node:vm')).default.runInThisContext('process')",
      "require('async_hooks').createHook({}).enable()",
      "require('diagnostics_channel').subscribe('undici:request:create', () => {})",
      "require('dns').setServers(['192.0.2.1'])",
    ]) {
      const result = await runner.flow({ actions: [`exports.onExecutePostLogin = async () => { ${call}; };`] });
      const { error } = result.actions[0];
      assert.ok(error, `${call} should fail`);
      assert.equal(error.class, 'action_error', call);
      assert.ok(error.code === 'ERR_ACTION_FORBIDDEN' || /is not a function/.test(error.message), `${call}: ${JSON.stringify(error)}`);
    }
    assert.equal((await runner.ping()).type, 'pong');
  });
});
