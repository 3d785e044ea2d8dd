'use strict';
// A JavaScript tokenizer for the converter: every character of the source belongs to exactly
// one token (whitespace and comments included), so joining the tokens' texts gives the source
// back and a rewrite only touches the tokens it replaces. It knows what a rewrite must not get
// wrong: strings, template literals (their `${…}` parts are tokenized as code), regular
// expression literals (told from division by the token before them), comments, and the
// brackets' nesting. It does not validate the program; the runner compiles the result.

const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '**', '<<', '>>',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':', '=', '.', '@', '#',
];

/** Names after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_NAMES = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

const IDENTIFIER = /[\p{ID_Start}$_\\][\p{ID_Continue}$\u200c\u200d\\]*/uy;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?/y;
const WHITESPACE = /[\s\uFEFF]+/uy;

class SyntaxProblem extends Error {
  constructor(message, line) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** Is `token` neither whitespace nor a comment? */
const isCode = (token) => token.type !== 'space' && token.type !== 'comment';

/**
 * The tokens of `source`: `{type, value, start, end, line}` with type one of `space`,
 * `comment`, `name`, `number`, `string`, `template` (a whole literal without substitutions),
 * `templateHead` (`` `…${ ``), `templateMiddle` (`}…${`), `templateTail` (`` }…` ``),
 * `regex`, `punct`. Throws a `SyntaxProblem` for an unterminated string, template, comment or
 * regular expression.
 */
function tokenize(source) {
  const tokens = [];
  const braces = []; // 'block' for `{`, 'template' for `${`
  let position = 0;
  let line = 1;
  let previousCode = null;

  const push = (type, end) => {
    const value = source.slice(position, end);
    const token = { type, value, start: position, end, line };
    tokens.push(token);
    for (let i = position; i < end; i++) if (source.charCodeAt(i) === 10) line += 1;
    position = end;
    if (isCode(token)) previousCode = token;
    return token;
  };

  const regexAllowed = () => {
    if (previousCode === null) return true;
    const { type, value } = previousCode;
    if (type === 'punct') return value !== ')' && value !== ']';
    if (type === 'name') return REGEX_AFTER_NAMES.has(value);
    return type === 'templateHead' || type === 'templateMiddle';
  };

  /** From just after a backtick or `}` of a substitution: to the end of this template part. */
  const templatePart = (from, opening) => {
    let i = from;
    while (i < source.length) {
      const c = source[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '`') return { end: i + 1, type: opening ? 'template' : 'templateTail' };
      if (c === '$' && source[i + 1] === '{') {
        braces.push('template');
        return { end: i + 2, type: opening ? 'templateHead' : 'templateMiddle' };
      }
      i += 1;
    }
    throw new SyntaxProblem('unterminated template literal', line);
  };

  while (position < source.length) {
    const c = source[position];
    WHITESPACE.lastIndex = position;
    const space = WHITESPACE.exec(source);
    if (space) { push('space', position + space[0].length); continue; }
    if (c === '/' && source[position + 1] === '/') {
      const newline = source.indexOf('\n', position);
      push('comment', newline === -1 ? source.length : newline);
      continue;
    }
    if (c === '/' && source[position + 1] === '*') {
      const close = source.indexOf('*/', position + 2);
      if (close === -1) throw new SyntaxProblem('unterminated comment', line);
      push('comment', close + 2);
      continue;
    }
    if (c === '"' || c === "'") {
      let i = position + 1;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\') i += 1;
        else if (source[i] === '\n') throw new SyntaxProblem('unterminated string', line);
        i += 1;
      }
      if (i >= source.length) throw new SyntaxProblem('unterminated string', line);
      push('string', i + 1);
      continue;
    }
    if (c === '`') {
      const part = templatePart(position + 1, true);
      push(part.type, part.end);
      continue;
    }
    if (c === '}' && braces[braces.length - 1] === 'template') {
      braces.pop();
      const part = templatePart(position + 1, false);
      push(part.type, part.end);
      continue;
    }
    if (c === '/' && regexAllowed()) {
      let i = position + 1;
      let inClass = false;
      for (;;) {
        const r = source[i];
        if (r === undefined || r === '\n') throw new SyntaxProblem('unterminated regular expression', line);
        if (r === '\\') { i += 2; continue; }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i += 1;
      }
      i += 1;
      while (i < source.length && /[a-z]/i.test(source[i])) i += 1;
      push('regex', i);
      continue;
    }
    IDENTIFIER.lastIndex = position;
    const name = IDENTIFIER.exec(source);
    if (name && !/^\d/.test(name[0])) { push('name', position + name[0].length); continue; }
    NUMBER.lastIndex = position;
    const number = NUMBER.exec(source);
    if (number && number[0] !== '.') { push('number', position + number[0].length); continue; }
    const punct = PUNCTUATORS.find((p) => source.startsWith(p, position));
    if (punct === undefined) throw new SyntaxProblem(`unexpected character ${JSON.stringify(c)}`, line);
    if (punct === '{') braces.push('block');
    if (punct === '}') braces.pop();
    push('punct', position + punct.length);
  }
  return tokens;
}

module.exports = { tokenize, isCode, SyntaxProblem };
