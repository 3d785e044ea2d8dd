'use strict';
// The Rules → Actions correspondence of `auth0-actions.md` §6.3: each Rules `context` path and
// the post-login `event` expression it becomes. The longest listed prefix of a path wins; the
// rest of the path follows unchanged.

const CONTEXT_PATHS = new Map([
  ['tenant', 'event.tenant.id'],
  ['clientID', 'event.client.client_id'],
  ['clientName', 'event.client.name'],
  ['clientMetadata', 'event.client.metadata'],
  ['connection', 'event.connection.name'],
  ['connectionID', 'event.connection.id'],
  ['connectionStrategy', 'event.connection.strategy'],
  ['connectionMetadata', 'event.connection.metadata'],
  ['protocol', 'event.transaction.protocol'],
  ['sessionID', 'event.session.id'],
  ['stats.loginsCount', 'event.stats.logins_count'],
  ['request.ip', 'event.request.ip'],
  ['request.userAgent', 'event.request.user_agent'],
  ['request.hostname', 'event.request.hostname'],
  ['request.query', 'event.request.query'],
  ['request.body', 'event.request.body'],
  ['request.language', 'event.request.language'],
  ['request.geoip', 'event.request.geoip'],
  ['request.geoip.country_code', 'event.request.geoip.countryCode'],
  ['request.geoip.country_code3', 'event.request.geoip.countryCode3'],
  ['request.geoip.country_name', 'event.request.geoip.countryName'],
  ['request.geoip.city_name', 'event.request.geoip.cityName'],
  ['request.geoip.latitude', 'event.request.geoip.latitude'],
  ['request.geoip.longitude', 'event.request.geoip.longitude'],
  ['request.geoip.time_zone', 'event.request.geoip.timeZone'],
  ['request.geoip.continent_code', 'event.request.geoip.continentCode'],
  ['request.geoip.subdivision_code', 'event.request.geoip.subdivisionCode'],
  ['request.geoip.subdivision_name', 'event.request.geoip.subdivisionName'],
  ['authorization.roles', 'event.authorization.roles'],
  ['authorization', 'event.authorization'],
  ['authentication.methods', 'event.authentication.methods'],
  ['authentication', 'event.authentication'],
  ['riskAssessment', 'event.authentication.riskAssessment'],
  ['organization', 'event.organization'],
]);

/** Context paths that set something rather than describe the login (rewritten where they are assigned). */
const CONTEXT_OUTCOMES = new Set(['idToken', 'accessToken', 'multifactor', 'redirect', 'primaryUser']);

/** Context paths Actions have nothing for (`auth0-actions.md` §6.3, "no equivalent"). */
const CONTEXT_UNSUPPORTED = new Map([
  ['connectionOptions', 'Actions have no connection options (tenant_domain, domain_aliases)'],
  ['samlConfiguration', 'SAML settings are api.samlResponse.set…() calls in Actions; map each field by hand'],
  ['sso', 'Actions have no context.sso; event.session.clients lists the session\'s clients as {client_id} objects'],
  ['stats', 'only stats.loginsCount has an Actions equivalent (event.stats.logins_count)'],
  ['request', 'the request\'s fields have other names in Actions (user_agent, geoip in camel case)'],
  ['jwtConfiguration', 'token lifetimes are not set from Actions'],
]);

/** Rules' `context.request.geoip` key (snake case) → the event's (camel case). */
const GEOIP_KEYS = new Map(
  [...CONTEXT_PATHS].filter(([path]) => path.startsWith('request.geoip.')).map(([path, target]) => [path.slice(14), target.slice(21)]),
);

/** The handler export of each hook's trigger (`auth0-actions.md` §6.4). */
const HOOK_TRIGGERS = new Map([
  ['credentials-exchange', 'onExecuteCredentialsExchange'],
  ['pre-user-registration', 'onExecutePreUserRegistration'],
  ['post-user-registration', 'onExecutePostUserRegistration'],
  ['post-change-password', 'onExecutePostChangePassword'],
  ['send-phone-message', 'onExecuteSendPhoneMessage'],
]);

/** The longest mapped prefix of `segments` (names): `{length, target}` or null. */
function contextTarget(segments) {
  for (let n = segments.length; n > 0; n--) {
    const target = CONTEXT_PATHS.get(segments.slice(0, n).join('.'));
    if (target !== undefined) return { length: n, target };
  }
  return null;
}

module.exports = { CONTEXT_PATHS, CONTEXT_OUTCOMES, CONTEXT_UNSUPPORTED, GEOIP_KEYS, HOOK_TRIGGERS, contextTarget };
