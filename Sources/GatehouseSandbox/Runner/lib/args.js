'use strict';
// Generic argument checking driven by the catalog's value specs (PROTOCOL.md,
// "Value specs"). A spec is compiled once at init into a checker function
//   check(value, label) -> value (possibly truncated) or throws TypeError/RangeError.

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'any']);
const SPEC_KEYS = new Set([
  'name', 'ref', 'type', 'optional', 'enum', 'min_length', 'max_length', 'truncate', 'max_bytes',
  'pattern', 'not_in', 'not_matching', 'safe_integer', 'items', 'properties', 'description',
  // Applied by the server to the recorded commands, not here (e.g. restricted claim names,
  // which Auth0 drops silently instead of failing the action).
  'dropped_if_in', 'dropped_if_matching',
]);

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function jsonBytes(value) {
  if (typeof value === 'string') return Buffer.byteLength(value);
  const json = JSON.stringify(value);
  return json === undefined ? 0 : Buffer.byteLength(json);
}

/**
 * True when Object.prototype has enumerable properties. Until something adds one,
 * for-in over a plain object visits exactly its own enumerable keys, in the same order
 * as Object.keys, without allocating the key array.
 */
function prototypeHasEnumerables() {
  for (const key in Object.prototype) if (key !== undefined) return true;
  return false;
}

function matchesType(value, type) {
  switch (type) {
    case 'any': return true;
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'integer': return Number.isInteger(value);
    case 'boolean': return typeof value === 'boolean';
    case 'null': return value === null;
    case 'array': return Array.isArray(value);
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
    default: return false;
  }
}

/** A predicate for "the value is one of `types`", specialised at compile time. */
function typeTest(types) {
  if (types.includes('any')) return () => true;
  if (types.length === 1) {
    switch (types[0]) {
      case 'string': return (value) => typeof value === 'string';
      case 'number': return (value) => typeof value === 'number' && Number.isFinite(value);
      case 'integer': return (value) => Number.isInteger(value);
      case 'boolean': return (value) => typeof value === 'boolean';
      case 'null': return (value) => value === null;
      case 'array': return (value) => Array.isArray(value);
      case 'object': return (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
      default: return () => false;
    }
  }
  return (value) => {
    for (let i = 0; i < types.length; i++) if (matchesType(value, types[i])) return true;
    return false;
  };
}

function describeTypes(types) {
  const words = types.map((t) => (t === 'integer' ? 'an integer' : t === 'array' ? 'an array'
    : t === 'object' ? 'an object' : t === 'null' ? 'null' : `a ${t}`));
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Resolves `ref` against the catalog's definitions (local keys override). */
function resolve(spec, definitions, where) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new Error(`${where}: a value spec must be an object`);
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new Error(`${where}: unknown spec key "${key}"`);
  }
  if (spec.ref === undefined) return spec;
  const base = definitions[spec.ref];
  if (base === undefined) throw new Error(`${where}: unknown definition "${spec.ref}"`);
  const merged = { ...resolve(base, definitions, `definitions.${spec.ref}`), ...spec };
  delete merged.ref;
  return merged;
}

/** Compiles a spec into a checker. Throws (at init) when the spec itself is malformed. */
function compile(rawSpec, definitions, where) {
  const spec = resolve(rawSpec, definitions, where);
  const types = spec.type === undefined ? ['any'] : Array.isArray(spec.type) ? spec.type : [spec.type];
  for (const t of types) if (!TYPES.has(t)) throw new Error(`${where}: unknown type "${t}"`);
  const optional = spec.optional === true;
  const enumSet = Array.isArray(spec.enum) ? new Set(spec.enum) : null;
  const notIn = Array.isArray(spec.not_in) ? new Set(spec.not_in) : null;
  const pattern = typeof spec.pattern === 'string' ? new RegExp(spec.pattern) : null;
  const notMatching = Array.isArray(spec.not_matching) ? spec.not_matching.map((p) => new RegExp(p)) : [];
  const items = spec.items !== undefined ? compile(spec.items, definitions, `${where}.items`) : null;
  const properties = [];
  if (spec.properties !== undefined) {
    for (const [key, propSpec] of Object.entries(spec.properties)) {
      properties.push([key, compile(propSpec, definitions, `${where}.properties.${key}`)]);
    }
  }
  const { min_length: minLength, max_length: maxLength, max_bytes: maxBytes } = spec;
  const truncate = spec.truncate === true;
  const safeInteger = spec.safe_integer === true;
  const expected = describeTypes(types);
  const typeMatches = typeTest(types);

  return function check(value, label) {
    if (value === undefined) {
      if (optional) return undefined;
      throw new TypeError(`${label} is required`);
    }
    if (!typeMatches(value)) {
      throw new TypeError(`${label} must be ${expected}, got ${typeOf(value)}`);
    }
    if (enumSet !== null && !enumSet.has(value)) {
      throw new RangeError(`${label} must be one of ${[...enumSet].map((v) => JSON.stringify(v)).join(', ')}`);
    }
    if (typeof value === 'string') {
      if (minLength !== undefined && value.length < minLength) {
        throw new RangeError(`${label} must be at least ${minLength} characters long`);
      }
      if (maxLength !== undefined && value.length > maxLength) {
        if (truncate) value = value.slice(0, maxLength);
        else throw new RangeError(`${label} must be at most ${maxLength} characters long`);
      }
      if (pattern !== null && !pattern.test(value)) {
        throw new RangeError(`${label} has an invalid format (${JSON.stringify(value)})`);
      }
      if (notIn !== null && notIn.has(value)) {
        throw new RangeError(`${label} ${JSON.stringify(value)} is reserved and cannot be used`);
      }
      for (let i = 0; i < notMatching.length; i++) {
        if (notMatching[i].test(value)) throw new RangeError(`${label} ${JSON.stringify(value)} is not allowed`);
      }
    }
    if (safeInteger && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new RangeError(`${label} must be a safe integer (|n| ≤ 2^53 - 1)`);
    }
    if (items !== null && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) items(value[i], `${label}[${i}]`);
    }
    if (properties.length > 0 && typeOf(value) === 'object') {
      for (let i = 0; i < properties.length; i++) {
        const [key, checkProp] = properties[i];
        checkProp(value[key], `${label}.${key}`);
      }
    }
    if (maxBytes !== undefined && jsonBytes(value) > maxBytes) {
      throw new RangeError(`${label} must be at most ${maxBytes} bytes`);
    }
    return value;
  };
}

module.exports = { compile, jsonBytes, prototypeHasEnumerables };
