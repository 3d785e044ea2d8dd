'use strict';
// api.cache for one flow: reads the snapshot shipped with the request, applies this
// flow's writes on top (so later cache.get calls in the same flow see them) and
// returns Auth0's result objects. Writes are reported back as commands by the caller.

function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

class FlowCache {
  /** `snapshot`: {key: {value, expires_at}}; `limits`: catalog limits.cache; `now()`: epoch ms. */
  constructor(snapshot, limits, now) {
    this.limits = limits;
    this.now = now;
    this.entries = new Map();
    this.writes = 0;
    if (isObject(snapshot)) {
      for (const key of Object.keys(snapshot)) {
        const entry = snapshot[key];
        if (isObject(entry) && typeof entry.value === 'string' && Number.isFinite(entry.expires_at)) {
          this.entries.set(key, { value: entry.value, expires_at: entry.expires_at });
        }
      }
    }
  }

  /** The state to go back to when a fail-open action fails (see flow.js). */
  checkpoint() { return { entries: new Map(this.entries), writes: this.writes }; }

  restore(checkpoint) {
    this.entries = checkpoint.entries;
    this.writes = checkpoint.writes;
  }

  live(key, at) {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expires_at > at ? entry : undefined;
  }

  get(key) {
    if (typeof key !== 'string') return undefined;
    const entry = this.live(key, this.now());
    return entry === undefined ? undefined : { value: entry.value, expires_at: entry.expires_at };
  }

  /** Returns { result, command } where command is the args to record, or null. */
  set(key, value, options) {
    const limits = this.limits;
    const error = (code) => ({ result: { type: 'error', code }, command: null });
    if (this.writes >= limits.max_writes_per_flow) return error('MaxSideEffectsExceeded');
    if (typeof key !== 'string' || key === '' || Buffer.byteLength(key) > limits.max_key_bytes) return error('CacheKeySizeExceeded');
    if (typeof value !== 'string') return error('FailedToSetCacheRecord');
    if (Buffer.byteLength(value) > limits.max_value_bytes) return error('CacheValueSizeExceeded');
    const now = this.now();
    let expiresAt = now + limits.default_ttl_ms;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') return error('InvalidExpiry');
      const { ttl, expires_at: absolute } = options;
      if (ttl !== undefined || absolute !== undefined) {
        let candidate = Infinity;
        if (ttl !== undefined) {
          if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) return error('InvalidExpiry');
          candidate = now + ttl;
        }
        if (absolute !== undefined) {
          if (typeof absolute !== 'number' || !Number.isFinite(absolute)) return error('InvalidExpiry');
          if (absolute <= now) return error('ItemAlreadyExpired');
          candidate = Math.min(candidate, absolute);
        }
        expiresAt = candidate;
      }
    }
    expiresAt = Math.floor(Math.min(expiresAt, now + limits.max_ttl_ms));
    // Capacity, counting only live entries and this write.
    let count = 0;
    let total = 0;
    for (const [k, entry] of this.entries) {
      if (k === key || entry.expires_at <= now) continue;
      count++;
      total += Buffer.byteLength(k) + Buffer.byteLength(entry.value);
    }
    if (count + 1 > limits.max_entries) return error('CacheSizeExceeded');
    if (total + Buffer.byteLength(key) + Buffer.byteLength(value) > limits.max_total_bytes) return error('CacheSizeExceeded');
    this.writes++;
    this.entries.set(key, { value, expires_at: expiresAt });
    return {
      result: { type: 'success', record: { value, expires_at: expiresAt } },
      command: [key, value, { expires_at: expiresAt }],
    };
  }

  delete(key) {
    if (this.writes >= this.limits.max_writes_per_flow) return { result: { type: 'error', code: 'MaxSideEffectsExceeded' }, command: null };
    if (typeof key !== 'string' || this.live(key, this.now()) === undefined) {
      return { result: { type: 'error', code: 'CacheKeyDoesNotExist' }, command: null };
    }
    this.writes++;
    this.entries.delete(key);
    return { result: { type: 'success' }, command: [key] };
  }
}

module.exports = { FlowCache };
