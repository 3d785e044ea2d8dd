'use strict';
// Legacy Auth0 Rules (PROTOCOL.md §4.3): `function (user, context, callback)` scripts that run,
// in order, before a post-login flow's actions, in one realm shared by all the rules of a
// `node_modules` set (their `global` is one object, surviving between runs, as on Auth0). The
// rules of one flow share a `user` and a `context` object: what one rule sets, the next sees.
// After the last rule, what the chain left on `context` becomes post-login commands (claims,
// MFA, redirect, primary user), recorded on the last rule's api, so that the host applies them
// exactly as it applies an action's.

const { als } = require('./capture');
const { ActionError } = require('./errors');

/** The wrapper's parameters: what Auth0 gave every rule besides `user, context, callback`. */
const PARAMETERS = ['require', 'configuration', 'auth0', 'UnauthorizedError'];

/**
 * The body compiled for a rule: the script is a function expression (Auth0 stored it so); a
 * trailing semicolon, which real scripts sometimes have, is not part of the expression. The
 * script starts on the first line, so stack line numbers are the script's own.
 */
function wrapperSource(script) {
  const expression = script.replace(/[\s;]+$/, '');
  return `return (${expression}\n);`;
}

/** `rules/<name>.js`, the file name stacks show for a rule. */
function ruleFileName(action) {
  const raw = typeof action.name === 'string' && action.name !== '' ? action.name : String(action.version_id);
  return `rules/${raw.replace(/[^A-Za-z0-9._-]/g, '_')}.js`;
}

/** `name@1.2.3` → `name`, `@scope/name@^2` → `@scope/name` (Rules named versions in require). */
function withoutVersion(id) {
  if (typeof id !== 'string') return id;
  const at = id.indexOf('@', id.startsWith('@') ? 1 : 0);
  return at > 0 ? id.slice(0, at) : id;
}

// Compiled once in each rules realm: the objects a rule touches are that realm's.
const HELPERS_SOURCE = `'use strict';
class UnauthorizedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UnauthorizedError';
    this.statusCode = 401;
  }
}
const isUnauthorized = (value) => value instanceof UnauthorizedError;
/**
 * Auth0's \`auth0\` object of rules: the users' metadata updates, \`getUsersByEmail\` (of the
 * login's e-mail, which the server read ahead: \`lookup\`), the domain.
 */
function makeAuth0(update, lookup, domain, baseUrl) {
  const settle = (work, callback) => {
    const promise = new Promise((resolve, reject) => {
      try { resolve(work()); } catch (e) { reject(e); }
    });
    if (typeof callback === 'function') promise.then((value) => callback(null, value), (e) => callback(e));
    return promise;
  };
  const method = (kind) => function (userId, metadata, callback) {
    return settle(() => { update(kind, userId, metadata); }, callback);
  };
  return {
    domain, baseUrl: typeof baseUrl === 'string' ? baseUrl : 'https://' + domain + '/api/v2',
    users: {
      updateAppMetadata: method('app'), updateUserMetadata: method('user'),
      getUsersByEmail(email, callback) { return settle(() => lookup(email), callback); },
    },
  };
}
return { UnauthorizedError, isUnauthorized, makeAuth0 };
`;

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }
const isEmptyObject = (value) => isObject(value) && Object.keys(value).length === 0;

/** Rules' `context.request.geoip` keys (snake case) from the event's camel-case ones. */
const GEOIP = [
  ['country_code', 'countryCode'], ['country_code3', 'countryCode3'], ['country_name', 'countryName'], ['city_name', 'cityName'],
  ['latitude', 'latitude'], ['longitude', 'longitude'], ['time_zone', 'timeZone'], ['continent_code', 'continentCode'],
  ['subdivision_code', 'subdivisionCode'], ['subdivision_name', 'subdivisionName'],
];

/** The rules' `user` as plain data (auth0-actions.md §6.2): metadata left out when empty, as Auth0 did. */
function userData(event) {
  const user = isObject(event.user) ? JSON.parse(JSON.stringify(event.user)) : {};
  for (const key of ['app_metadata', 'user_metadata']) if (isEmptyObject(user[key])) delete user[key];
  delete user.enrolledFactors;
  return user;
}

/** The rules' `context` as plain data (auth0-actions.md §6.3), from the post-login event. */
function contextData(event, redirectCallback) {
  const get = (object, key) => (isObject(object) ? object[key] : undefined);
  const { client, connection, request, session, transaction, authentication, authorization } = event;
  const geoip = {};
  const source = get(request, 'geoip');
  for (const [ruleKey, eventKey] of GEOIP) {
    const value = get(source, eventKey);
    if (value !== undefined && value !== null) geoip[ruleKey] = value;
  }
  const methods = Array.isArray(get(authentication, 'methods')) ? authentication.methods : [];
  const context = {
    tenant: get(event.tenant, 'id'),
    clientID: get(client, 'client_id'),
    clientName: get(client, 'name'),
    clientMetadata: isObject(get(client, 'metadata')) ? client.metadata : {},
    connection: get(connection, 'name'),
    connectionID: get(connection, 'id'),
    connectionStrategy: get(connection, 'strategy'),
    connectionMetadata: isObject(get(connection, 'metadata')) ? connection.metadata : {},
    connectionOptions: {},
    protocol: redirectCallback ? 'redirect-callback' : get(transaction, 'protocol'),
    stats: { loginsCount: get(event.stats, 'logins_count') },
    sso: {
      with_auth0: false, with_dbconn: false,
      current_clients: Array.isArray(get(session, 'clients')) ? session.clients.map((c) => get(c, 'client_id')) : [],
    },
    accessToken: {},
    idToken: {},
    samlConfiguration: {},
    request: {
      userAgent: get(request, 'user_agent'), ip: get(request, 'ip'), hostname: get(request, 'hostname'),
      query: isObject(get(request, 'query')) ? request.query : {}, body: isObject(get(request, 'body')) ? request.body : {},
      geoip,
    },
    authentication: {
      methods: methods.filter(isObject).map((m) => ({ name: m.name, timestamp: Math.floor(Date.parse(m.timestamp) / 1000) || 0 })),
    },
    authorization: { roles: Array.isArray(get(authorization, 'roles')) ? authorization.roles : [] },
  };
  const sessionID = get(session, 'id');
  if (sessionID !== undefined) context.sessionID = sessionID;
  if (isObject(event.organization)) context.organization = event.organization;
  const risk = get(authentication, 'riskAssessment');
  if (risk !== undefined) context.riskAssessment = risk;
  return JSON.parse(JSON.stringify(context));
}

/** The realm-side helpers of a rules realm (compiled once per realm). */
function helpersOf(realm) {
  if (realm.rulesHelpers === undefined) {
    realm.rulesHelpers = realm.compileFunction(HELPERS_SOURCE, [], 'rules-helpers.generated.js')();
    const load = realm.actionRequire;
    realm.rulesRequire = realm.helpers.makeRequire(
      (id) => load(withoutVersion(id)), (id, options) => load.resolve(withoutVersion(id), options), realm.cache,
    );
  }
  return realm.rulesHelpers;
}

/**
 * The rules of one flow: their shared `user` and `context`, made in the rules' realm at the
 * first rule, and the calls a rule makes.
 */
class RuleChain {
  constructor(flowRun, realm) {
    this.flowRun = flowRun;
    this.realm = realm;
    this.helpers = helpersOf(realm);
    const { base } = flowRun.flow;
    const redirectCallback = flowRun.request.handler === 'continue';
    this.userID = isObject(base.user) ? base.user.user_id : undefined;
    this.requestedScopes = isObject(base.transaction) && Array.isArray(base.transaction.requested_scopes)
      ? base.transaction.requested_scopes.filter((s) => typeof s === 'string') : [];
    this.user = realm.helpers.copy(userData(base));
    this.context = realm.helpers.copy(contextData(base, redirectCallback));
    const facts = flowRun.flow.facts;
    this.domain = typeof facts.auth0_domain === 'string' ? facts.auth0_domain : (isObject(base.request) ? base.request.hostname : undefined);
    this.baseUrl = typeof facts.auth0_base_url === 'string' ? facts.auth0_base_url : undefined;
    this.usersByEmail = isObject(facts.users_by_email) && typeof facts.users_by_email.email === 'string'
      && Array.isArray(facts.users_by_email.users) ? facts.users_by_email : null;
  }

  /**
   * `auth0.users.getUsersByEmail(email)`: the users with the e-mail of the user logging in,
   * which the server read ahead; any other e-mail is refused (a rule cannot search the users).
   */
  lookup(email) {
    const known = this.usersByEmail;
    if (typeof email !== 'string' || known === null || email.toLowerCase() !== known.email.toLowerCase()) {
      throw new Error('auth0.users.getUsersByEmail: only the e-mail of the user logging in can be looked up from a rule here');
    }
    return this.realm.helpers.copy(known.users);
  }

  /**
   * Calls the rule of `entry` for `execution` (whose api is `api`) and returns a promise of its
   * callback: resolved by `callback(null, …)` (or a deny), rejected by any other error.
   */
  start(entry, action, execution, api) {
    const { helpers, realm } = this;
    let settled = false;
    let resolve;
    let reject;
    const done = new Promise((res, rej) => { resolve = res; reject = rej; });
    const callback = (error, user, context) => {
      if (settled || execution.closed) return;
      settled = true;
      if (error) {
        let unauthorized = false;
        try { unauthorized = helpers.isUnauthorized(error); } catch { /* a hostile value: an error */ }
        if (!unauthorized) { reject(error); return; }
        let message = '';
        try { message = String(error.message || ''); } catch { /* keep the default */ }
        api.access.deny(message === '' ? 'Unauthorized' : message);
        resolve();
        return;
      }
      // Auth0 went on with what the rule handed over; a rule that hands nothing keeps the chain's.
      if (user !== null && typeof user === 'object') this.user = user;
      if (context !== null && typeof context === 'object') this.context = context;
      resolve();
    };
    const configuration = realm.helpers.copy(isObject(action.secrets) ? action.secrets : {});
    const auth0 = helpers.makeAuth0(
      (kind, userId, metadata) => this.update(api, kind, userId, metadata), (email) => this.lookup(email), this.domain, this.baseUrl);
    als.run(execution.token, () => {
      const rule = Reflect.apply(entry.fn, undefined, [realm.rulesRequire, configuration, auth0, helpers.UnauthorizedError]);
      if (typeof rule !== 'function') {
        throw new ActionError('The rule\'s script must be a function (user, context, callback) { … }');
      }
      Reflect.apply(rule, undefined, [this.user, this.context, callback]);
    });
    return done;
  }

  /**
   * `auth0.users.updateAppMetadata` / `updateUserMetadata(userId, metadata)`: a PATCH of the
   * user's metadata (each top-level key set; `null` deletes it), recorded as the post-login
   * api's metadata calls, so it is written with the login and visible to the actions after.
   */
  update(api, kind, userId, metadata) {
    const method = kind === 'app' ? 'updateAppMetadata' : 'updateUserMetadata';
    if (userId !== this.userID) {
      throw new Error(`auth0.users.${method}: only the user logging in (${this.userID}) can be updated from a rule here`);
    }
    if (!isObject(metadata)) throw new TypeError(`auth0.users.${method}: metadata must be an object`);
    const set = kind === 'app' ? api.user.setAppMetadata : api.user.setUserMetadata;
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      if (value !== undefined) Reflect.apply(set, api.user, [key, value]);
    }
  }

  /**
   * After the last rule: what the chain left on `context` (auth0-actions.md §6.3). A redirect
   * is the only outcome then (the rules run again when the browser comes back); otherwise the
   * claims (restricted names are dropped and noted in the log, as Actions' are), the scopes,
   * MFA and the primary user.
   */
  finish(execution, api) {
    const { context } = this;
    const note = (text) => execution.logs.append(`[gatehouse: ${text}]\n`);
    if (!isObject(context)) return;
    const redirect = context.redirect;
    if (isObject(redirect) && redirect.url !== undefined) {
      api.redirect.sendUserTo(String(redirect.url));
      return;
    }
    for (const [name, target] of [['idToken', api.idToken], ['accessToken', api.accessToken]]) {
      const claims = context[name];
      if (!isObject(claims)) continue;
      for (const key of Object.keys(claims)) {
        const value = claims[key];
        if (value === undefined || (name === 'accessToken' && key === 'scope')) continue;
        try {
          target.setCustomClaim(key, value);
        } catch (e) {
          note(`context.${name}['${key}'] was not added: ${e && e.message}`);
        }
      }
    }
    this.scopes(context.accessToken, api);
    const mfa = context.multifactor;
    if (isObject(mfa) && mfa.provider !== undefined) {
      api.multifactor.enable(String(mfa.provider), { allowRememberBrowser: mfa.allowRememberBrowser === true });
    }
    if (typeof context.primaryUser === 'string' && context.primaryUser !== this.userID) {
      api.authentication.setPrimaryUser(context.primaryUser);
    }
  }

  /** `context.accessToken.scope` (an array or a space-separated string) against the requested scopes. */
  scopes(accessToken, api) {
    if (!isObject(accessToken) || accessToken.scope === undefined) return;
    const raw = accessToken.scope;
    const wanted = Array.isArray(raw) ? raw.filter((s) => typeof s === 'string') : typeof raw === 'string' ? raw.split(' ').filter(Boolean) : null;
    if (wanted === null) return;
    for (const scope of wanted) if (!this.requestedScopes.includes(scope)) api.accessToken.addScope(scope);
    for (const scope of this.requestedScopes) if (!wanted.includes(scope)) api.accessToken.removeScope(scope);
  }
}

module.exports = { RuleChain, PARAMETERS, wrapperSource, ruleFileName, withoutVersion, userData, contextData };
