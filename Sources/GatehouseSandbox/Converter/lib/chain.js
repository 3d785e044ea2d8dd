'use strict';
// A chain of rules → a chain of actions, in order. Rules shared one `user` and one `context`:
// a value one rule left there (and did not persist) is what a later rule read. Actions have
// private events, so such a value travels as transaction metadata: the writing action sets
// it when it finishes, the reading action puts it back on its event first.

const { convertRule } = require('./rule');

/** Do two dotted paths name overlapping data (one is the other or inside it)? */
function overlaps(a, b) {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

/** Was `path` written to the user's stored metadata by the rule (so Actions see it anyway)? */
function isPersisted(path, persisted) {
  return persisted.some((p) => path === p || path.startsWith(p + '.'));
}

/**
 * Converts `rules` (`[{name, source}]`) as one chain. Returns `{actions, warnings}` where each
 * warning names its rule.
 */
function convertRules(rules) {
  const first = rules.map(({ name, source }) => convertRule(source, name));
  const passOn = first.map(() => new Set());
  const restore = first.map(() => new Set());
  const notes = first.map(() => []);
  first.forEach((writer, i) => {
    const { writes, persisted } = writer.analysis;
    for (const write of writes) {
      if (write.selfDefault || isPersisted(write.path, persisted)) continue;
      for (let j = i + 1; j < first.length; j++) {
        const read = first[j].analysis.reads.find((r) => overlaps(r.path, write.path));
        if (read === undefined) continue;
        if (!passOn[i].has(write.path)) {
          passOn[i].add(write.path);
          notes[i].push({ line: write.line, construct: write.path, message: `read by the later rule '${first[j].name}': passed on with api.transaction.setMetadata (values must stay within 8 KB)` });
        }
        if (!restore[j].has(write.path)) {
          restore[j].add(write.path);
          notes[j].push({ line: read.line, construct: read.path, message: `left by the earlier rule '${writer.name}': read back from event.transaction.metadata` });
        }
      }
    }
  });
  // Values read from context that no earlier rule (and not this one) set: nothing can bring them.
  first.forEach((rule, j) => {
    for (const read of rule.analysis.reads) {
      if (!read.path.startsWith('context.')) continue;
      const setHere = rule.analysis.writes.some((w) => overlaps(w.path, read.path));
      const setBefore = first.slice(0, j).some((r) => r.analysis.writes.some((w) => overlaps(w.path, read.path)));
      if (!setHere && !setBefore) {
        notes[j].push({ line: read.line, construct: read.path, message: 'not an Auth0 context field and not set by an earlier rule of this chain: it is undefined here; bring the value with api.transaction.setMetadata in the action that computes it' });
      }
    }
  });
  const actions = rules.map(({ name, source }, i) => {
    const action = passOn[i].size + restore[i].size === 0 ? first[i] : convertRule(source, name, { passOn: [...passOn[i]], restore: [...restore[i]] });
    const warnings = [...action.warnings, ...notes[i]].sort((a, b) => a.line - b.line);
    return { name: action.name, code: action.code, secrets: action.secrets, dependencies: action.dependencies, warnings };
  });
  return { actions };
}

module.exports = { convertRules, overlaps };
