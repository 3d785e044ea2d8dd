'use strict';
// `gatehouse rules convert` / `gatehouse hooks convert`, the Node.js half: reads the scripts,
// converts them and prints the actions (or, with --json, the report). The Swift command runs
// this file with the configured Node.js; it can also be run by hand:
//   node convert.js rules [--json] RULE.js …
//   node convert.js hooks --trigger TRIGGER [--json] HOOK.js
// Exit status: 0 converted (warnings or not), 2 a script could not be read or converted.

const fs = require('node:fs');
const path = require('node:path');
const { convertRules } = require('./lib/chain');
const { convertHook } = require('./lib/hook');
const { SyntaxProblem } = require('./lib/tokens');
const { NotConvertible } = require('./lib/shape');
const { report, text } = require('./lib/output');

function main(argv) {
  const [kind, ...rest] = argv;
  const files = [];
  let json = false;
  let trigger;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--json') json = true;
    else if (rest[i] === '--trigger') trigger = rest[++i];
    else files.push(rest[i]);
  }
  if ((kind !== 'rules' && kind !== 'hooks') || files.length === 0) {
    process.stderr.write('usage: node convert.js rules [--json] RULE.js …\n       node convert.js hooks --trigger TRIGGER [--json] HOOK.js\n');
    return 2;
  }
  let scripts;
  try {
    scripts = files.map((file) => ({ file, name: path.basename(file).replace(/\.js$/, ''), source: fs.readFileSync(file, 'utf8') }));
  } catch (error) {
    process.stderr.write(`cannot read ${error.path || 'the script'}: ${error.message}\n`);
    return 2;
  }
  let result;
  try {
    result = kind === 'rules' ? convertRules(scripts) : { actions: scripts.map((s) => convertHook(s.source, s.name, trigger)) };
  } catch (error) {
    if (error instanceof SyntaxProblem || error instanceof NotConvertible || error instanceof RangeError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  result.actions.forEach((action, i) => { action.file = scripts[i].file; });
  if (json) process.stdout.write(JSON.stringify(report(kind, result), null, 2) + '\n');
  else {
    const { stdout, stderr } = text(kind, result);
    process.stdout.write(stdout);
    if (stderr) process.stderr.write(stderr);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
