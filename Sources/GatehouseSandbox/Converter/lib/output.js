'use strict';
// What the command prints: the actions' code on stdout, the list of what needs a person on
// stderr; or, with --json, one report with everything.

/** The machine-readable report: `{kind, actions: [{name, file, trigger, code, secrets, dependencies, warnings}], warnings}`. */
function report(kind, result) {
  const actions = result.actions.map((a) => ({
    name: a.name,
    file: a.file,
    trigger: a.trigger || 'post-login',
    code: a.code,
    secrets: a.secrets,
    dependencies: a.dependencies,
    warnings: a.warnings,
  }));
  const warnings = actions.flatMap((a) => a.warnings.map((w) => ({ file: a.file, action: a.name, ...w })));
  return { kind, actions, warnings };
}

/** The human form: the code of each action (a separator line between several), and stderr's list. */
function text(kind, result) {
  const many = result.actions.length > 1;
  let stdout = '';
  let stderr = '';
  result.actions.forEach((action, i) => {
    if (many) stdout += `${i === 0 ? '' : '\n'}// ===== action ${i + 1} of ${result.actions.length}: ${action.name} (from ${action.file}) =====\n`;
    stdout += action.code;
    for (const w of action.warnings) stderr += `${action.file}:${w.line}: ${w.construct} — ${w.message}\n`;
    if (action.secrets.length > 0) stderr += `${action.file}: secrets to create for the action '${action.name}': ${action.secrets.join(', ')}\n`;
    if (action.dependencies.length > 0) {
      stderr += `${action.file}: dependencies of the action '${action.name}': ${action.dependencies.map((d) => `${d.name}@${d.version}`).join(', ')}\n`;
    }
  });
  return { stdout, stderr };
}

module.exports = { report, text };
