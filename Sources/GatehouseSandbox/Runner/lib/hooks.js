'use strict';
// Legacy Auth0 Hooks (PROTOCOL.md §4.4): webtask-style `module.exports = function (…, cb)`
// scripts, one per extensibility point, run before the trigger's actions. The arguments are
// made from the trigger's event in Auth0's Hooks shapes (`context.webtask.secrets` carries the
// hook's secrets); what the hook hands its callback becomes commands of the trigger's api, so
// that the host applies them exactly as it applies an action's, and the actions after it see
// them where the api reflects them.

const { als } = require('./capture');
const { ActionError } = require('./errors');

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }
const get = (object, key) => (isObject(object) ? object[key] : undefined);
const stringOr = (value, fallback) => (typeof value === 'string' ? value : fallback);

/** `hooks/<name>.js`, the file name stacks show for a hook. */
function hookFileName(action) {
  const raw = typeof action.name === 'string' && action.name !== '' ? action.name : String(action.version_id);
  return `hooks/${raw.replace(/[^A-Za-z0-9._-]/g, '_')}.js`;
}

// The error classes Auth0 gave hooks as globals, by extensibility point, compiled in the hook's
// realm. Auth0 told them apart by `name`; so does `errorKind` (an error of the same name made by
// a required module counts too). A class takes `(message)` or, as Auth0's own did, `(code, message)`.
const GLOBALS_SOURCE = `'use strict';
class HookError extends Error {
  constructor(first, second) {
    super(typeof second === 'string' ? second : first);
    if (typeof second === 'string') this.code = first;
    this.name = new.target.name;
  }
}
class InvalidRequestError extends HookError {}
class InvalidScopeError extends HookError {}
class ServerError extends HookError {}
class PreUserRegistrationError extends Error {
  constructor(message, userMessage) {
    super(message);
    this.name = 'PreUserRegistrationError';
    this.userMessage = userMessage;
  }
}
return { InvalidRequestError, InvalidScopeError, ServerError, PreUserRegistrationError };
`;

const GLOBALS = {
  'credentials-exchange': ['InvalidRequestError', 'InvalidScopeError', 'ServerError'],
  'pre-user-registration': ['PreUserRegistrationError'],
};

/** Defines the extensibility point's error classes on the hook's realm (once per realm). */
function installGlobals(realm, trigger) {
  if (realm.hookGlobals === trigger) return;
  const classes = realm.compileFunction(GLOBALS_SOURCE, [], 'hooks-globals.generated.js')();
  for (const name of GLOBALS[trigger] || []) {
    Object.defineProperty(realm.global, name, { value: classes[name], writable: true, configurable: true, enumerable: false });
  }
  realm.hookGlobals = trigger;
}

/** What an error handed to the callback means: its `name`, read defensively. */
function errorName(error) {
  try { return typeof error.name === 'string' ? error.name : ''; } catch { return ''; }
}
function errorText(error, key) {
  try { return error[key] === undefined || error[key] === null ? '' : String(error[key]); } catch { return ''; }
}

/** `user_id` without the database prefix (`auth0|abc` → `abc`), as Auth0 gave post-user-registration hooks. */
const withoutProvider = (id) => (typeof id === 'string' && id.includes('|') ? id.slice(id.indexOf('|') + 1) : id);

const OAUTH_ERRORS = { InvalidRequestError: 'invalid_request', InvalidScopeError: 'invalid_scope', ServerError: 'server_error' };

/**
 * The extensibility points: each makes its arguments from the event (plain data, copied into
 * the hook's realm) and turns the callback's result into commands on `api`; `note` writes a
 * `[gatehouse: …]` line to the hook's logs.
 */
const POINTS = {
  'credentials-exchange': {
    args(event, webtask) {
      const client = event.client || {};
      const scope = get(event.accessToken, 'scope');
      return [
        { name: client.name, id: client.client_id, tenant: get(event.tenant, 'id'), metadata: isObject(client.metadata) ? client.metadata : {} },
        Array.isArray(scope) && scope.length > 0 ? scope.slice() : undefined,
        get(event.resource_server, 'identifier'),
        { webtask },
      ];
    },
    fail(error, api) {
      const code = OAUTH_ERRORS[errorName(error)];
      if (code === undefined) return false;
      api.access.deny(code, errorText(error, 'message'));
      return true;
    },
    succeed(result, api, note) {
      if (!isObject(result)) return;
      for (const key of Object.keys(result)) {
        const value = result[key];
        if (key === 'scope') {
          if (Array.isArray(value)) api.transaction.setTargetScopes(value.map(String));
          else if (value !== undefined) note('accessToken.scope must be an array of strings; the granted scopes were kept');
        } else if (/^https?:\/\//.test(key)) {
          if (value === undefined) continue;
          try {
            api.accessToken.setCustomClaim(key, value);
          } catch (e) {
            note(`the claim '${key}' was not added: ${e && e.message}`);
          }
        } else {
          note(`'${key}' was ignored: hooks add namespaced claims only (names that are http:// or https:// URLs)`);
        }
      }
    },
  },
  'pre-user-registration': {
    args(event, webtask) {
      const user = event.user || {};
      const request = event.request || {};
      const connection = event.connection || {};
      const tenant = get(event.tenant, 'id');
      const context = {
        requestLanguage: request.language,
        renderLanguage: request.language,
        request: { ip: request.ip, language: request.language, userAgent: request.user_agent, hostname: request.hostname, geoip: request.geoip || {} },
        connection: { id: connection.id, name: connection.name, tenant },
        webtask,
      };
      if (isObject(event.client)) {
        context.client = { id: event.client.client_id, client_id: event.client.client_id, name: event.client.name, metadata: event.client.metadata || {} };
        context.clientMetadata = event.client.metadata || {};
      }
      return [
        {
          tenant, username: user.username, email: user.email, emailVerified: false, phoneNumber: user.phone_number,
          phoneNumberVerified: false, user_metadata: user.user_metadata || {}, app_metadata: user.app_metadata || {},
        },
        context,
      ];
    },
    fail(error, api) {
      if (errorName(error) !== 'PreUserRegistrationError') return false;
      const message = errorText(error, 'message');
      const userMessage = errorText(error, 'userMessage');
      api.access.deny(message === '' ? 'Denied by the pre-user-registration hook' : message, userMessage === '' ? message : userMessage);
      return true;
    },
    succeed(result, api) {
      const user = get(result, 'user');
      if (!isObject(user)) return;
      for (const [field, method] of [['app_metadata', 'setAppMetadata'], ['user_metadata', 'setUserMetadata']]) {
        const metadata = user[field];
        if (metadata === undefined || metadata === null) continue;
        if (!isObject(metadata)) throw new TypeError(`response.user.${field} must be an object`);
        for (const key of Object.keys(metadata)) {
          if (key.includes('.') || key.startsWith('$')) {
            throw new TypeError(`response.user.${field}: property names must not contain '.' nor start with '$' ('${key}')`);
          }
          if (metadata[key] !== undefined) api.user[method](key, metadata[key]);
        }
      }
    },
  },
  'post-user-registration': {
    args(event, webtask) {
      const user = event.user || {};
      const connection = event.connection || {};
      const request = event.request || {};
      const tenant = get(event.tenant, 'id');
      return [
        {
          id: withoutProvider(user.user_id), tenant, username: user.username, email: user.email,
          emailVerified: user.email_verified === true, phoneNumber: user.phone_number, phoneNumberVerified: user.phone_verified === true,
          user_metadata: user.user_metadata || {}, app_metadata: user.app_metadata || {},
        },
        {
          requestLanguage: request.language,
          request: { ip: request.ip, language: request.language, userAgent: request.user_agent },
          connection: { id: connection.id, name: connection.name, tenant },
          webtask,
        },
      ];
    },
  },
  'post-change-password': {
    args(event, webtask) {
      const user = event.user || {};
      const connection = event.connection || {};
      return [
        { id: user.user_id, username: user.username, email: user.email, last_password_reset: user.last_password_reset },
        { connection: { id: connection.id, name: connection.name, tenant: get(event.tenant, 'id') }, webtask },
      ];
    },
  },
  'send-phone-message': {
    args(event, webtask) {
      const options = event.message_options || {};
      const request = event.request || {};
      const user = event.user || {};
      const client = event.client || {};
      return [
        options.recipient,
        options.text,
        {
          message_type: options.message_type, action: options.action, language: request.language, code: options.code,
          ip: request.ip, user_agent: request.user_agent, factor_type: 'second',
          request: { ip: request.ip, language: request.language, userAgent: request.user_agent },
          client: { client_id: client.client_id, name: client.name, client_metadata: client.metadata || {} },
          user: {
            user_id: user.user_id, name: user.name, email: user.email, phone_number: user.phone_number,
            app_metadata: user.app_metadata || {}, user_metadata: user.user_metadata || {},
          },
          webtask,
        },
      ];
    },
  },
};

/**
 * Calls the hook `module` exports for `execution` (whose event is `event`, api `api`) and
 * returns a promise of its callback: resolved by `cb(null, …)` (after the result became
 * commands) or by an error the point turns into a deny; rejected by any other error.
 */
function start(module, action, execution, event, api, realm) {
  const point = POINTS[action.hook];
  if (point === undefined) throw new ActionError(`Hooks do not run at '${action.hook}'`);
  const fn = module.exports;
  if (typeof fn !== 'function') {
    throw new ActionError('The hook must export a function: module.exports = function (…, cb) { … }');
  }
  const secrets = isObject(action.secrets) ? action.secrets : {};
  const plain = JSON.parse(JSON.stringify(event));
  const webtask = { secrets, meta: {}, headers: {}, data: Object.assign({}, secrets) };
  const args = realm.helpers.copy(point.args(plain, webtask));
  const note = (text) => execution.logs.append(`[gatehouse: ${text}]\n`);
  let settled = false;
  let resolve;
  let reject;
  const done = new Promise((res, rej) => { resolve = res; reject = rej; });
  const cb = (error, result) => {
    if (settled || execution.closed) return;
    settled = true;
    try {
      als.run(execution.token, () => {
        if (error) {
          if (point.fail === undefined || !point.fail(error, api)) { reject(error); return; }
        } else if (point.succeed !== undefined) {
          point.succeed(result, api, note);
        }
        resolve();
      });
    } catch (e) {
      reject(e);
    }
  };
  als.run(execution.token, () => {
    const returned = Reflect.apply(fn, undefined, [...args, cb]);
    // An async hook that throws before calling back fails like a callback error.
    if (returned !== null && typeof returned === 'object' && typeof returned.then === 'function') {
      returned.then(undefined, (e) => { if (!settled) { settled = true; reject(e); } });
    }
  });
  return done;
}

module.exports = { start, installGlobals, hookFileName, withoutProvider, POINTS };
