'use strict';
// HS256 JWTs for api.redirect.encodeToken / validateToken (reference §7), with
// node:crypto only. Identity claims come from the flow's original event, never from
// the action's (mutable) copy.

const crypto = require('node:crypto');

const PREFIX = 'The session token is invalid: ';

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

function b64url(input) { return Buffer.from(input).toString('base64url'); }

function sign(signingInput, secret) {
  return crypto.createHmac('sha256', secret).update(signingInput).digest();
}

function requireSecret(options, method) {
  if (!isObject(options)) throw new TypeError(`${method}: expected an options object`);
  if (typeof options.secret !== 'string' || options.secret === '') {
    throw new TypeError(`${method}: options.secret must be a non-empty string`);
  }
  return options.secret;
}

/** encodeToken({secret, payload, expiresInSeconds = 900}) → compact JWS. */
function encode(options, event, nowMs, defaults) {
  const method = 'api.redirect.encodeToken';
  const secret = requireSecret(options, method);
  const payload = options.payload === undefined ? {} : options.payload;
  if (!isObject(payload)) throw new TypeError(`${method}: options.payload must be an object`);
  let lifetime = options.expiresInSeconds;
  if (lifetime === undefined) lifetime = defaults.default_expires_in_seconds || 900;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0) {
    throw new RangeError(`${method}: options.expiresInSeconds must be a positive number`);
  }
  const iat = Math.floor(nowMs / 1000);
  const request = isObject(event.request) ? event.request : {};
  const user = isObject(event.user) ? event.user : {};
  const claims = {
    ...payload,
    iss: request.hostname,
    sub: user.user_id,
    ip: request.ip,
    iat,
    exp: iat + Math.floor(lifetime),
  };
  const signingInput = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${sign(signingInput, secret).toString('base64url')}`;
}

function parameter(request, name) {
  if (!isObject(request)) return undefined;
  if (isObject(request.body) && request.body[name] !== undefined) return request.body[name];
  if (isObject(request.query) && request.query[name] !== undefined) return request.query[name];
  return undefined;
}

function parseJson(segment) {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * validateToken({secret, tokenParameterName = 'session_token'}) → the token's claims.
 * The token is read from the /continue request (event.request.body, then .query); its
 * `state` claim must equal that request's `state` parameter (body, then query), its
 * `sub` must equal event.user.user_id when the event has a user, and it must not be expired.
 */
function validate(options, event, nowMs, defaults) {
  const method = 'api.redirect.validateToken';
  const secret = requireSecret(options, method);
  const name = options.tokenParameterName === undefined
    ? (defaults.default_parameter || 'session_token') : options.tokenParameterName;
  if (typeof name !== 'string' || name === '') throw new TypeError(`${method}: options.tokenParameterName must be a non-empty string`);
  const invalid = (reason) => new Error(PREFIX + reason);

  const token = parameter(event.request, name);
  if (typeof token !== 'string' || token === '') throw invalid(`the "${name}" parameter is missing from the /continue request.`);
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('it is not a compact JWS.');
  const header = parseJson(parts[0]);
  if (header === null || header.alg !== 'HS256') throw invalid('the token must be signed with HS256.');
  const expected = sign(`${parts[0]}.${parts[1]}`, secret);
  const actual = Buffer.from(parts[2], 'base64url');
  if (actual.length !== expected.length || !crypto.timingSafeEqual(actual, expected)) throw invalid('the signature does not match.');
  const claims = parseJson(parts[1]);
  if (claims === null) throw invalid('the payload is not a JSON object.');
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number') throw invalid('the token has no "exp" claim.');
  if (claims.exp <= now) throw invalid('the token has expired.');
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw invalid('the token is not valid yet.');
  const state = parameter(event.request, 'state');
  if (typeof state !== 'string' || claims.state !== state) {
    throw invalid('State in the token does not match the /continue state.');
  }
  if (isObject(event.user) && typeof event.user.user_id === 'string' && claims.sub !== event.user.user_id) {
    throw invalid('Subject in the token does not match the current user.');
  }
  return claims;
}

module.exports = { encode, validate };
