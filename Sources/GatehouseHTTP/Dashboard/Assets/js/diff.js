// A line diff (longest common subsequence) of two texts, for a version against the draft.
export function lineDiff(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 4_000_000) return [{ kind: 'note', text: 'The texts are too long to compare here.' }];
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { out.push({ kind: 'same', text: a[i], left: i + 1, right: j + 1 }); i += 1; j += 1; }
    else if (j < b.length && (i === a.length || lengths[i][j + 1] >= lengths[i + 1][j])) { out.push({ kind: 'added', text: b[j], right: j + 1 }); j += 1; }
    else { out.push({ kind: 'removed', text: a[i], left: i + 1 }); i += 1; }
  }
  return out;
}
