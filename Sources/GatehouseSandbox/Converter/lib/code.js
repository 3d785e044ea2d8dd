'use strict';
// The structure the rewrites need on top of the tokens: the code tokens alone (no whitespace or
// comments), which bracket closes which, which braces are function bodies, where an expression
// ends (automatic semicolon insertion included), and source edits applied all at once.

const { tokenize, isCode } = require('./tokens');

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
const NOT_FUNCTION_HEADS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'await', 'void', 'in', 'of']);
/** Names that are operators or start a statement: an expression cannot end with them. */
const KEYWORDS = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'export', 'extends',
  'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'return', 'switch', 'throw', 'try', 'typeof',
  'var', 'void', 'while', 'with', 'yield', 'let', 'await', 'async',
]);
/** Punctuators that go on with the expression on the next line (no semicolon is inserted before them). */
const CONTINUING = new Set([
  '.', '?.', '(', '[', '=>', '=', '+=', '-=', '*=', '/=', '%=', '**=', '<<=', '>>=', '>>>=', '&=', '|=', '^=', '&&=', '||=',
  '??=', '==', '!=', '===', '!==', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '**', '<<', '>>', '>>>', '&', '|', '^',
  '&&', '||', '??', '?', ':', ',',
]);

class Code {
  constructor(source) {
    this.source = source;
    this.all = tokenize(source);
    /** The code tokens, each with `newline` (a line break between it and the code token before). */
    this.t = [];
    let sawNewline = false;
    for (const token of this.all) {
      if (!isCode(token)) {
        if (token.value.includes('\n')) sawNewline = true;
        continue;
      }
      token.newline = sawNewline;
      sawNewline = false;
      this.t.push(token);
    }
    this.match = this.matchBrackets();
    this.functions = this.functionRanges();
  }

  /** `match[k]`: the index of the bracket (or template part) that closes or opens `t[k]`. */
  matchBrackets() {
    const match = new Array(this.t.length).fill(-1);
    const stack = [];
    this.t.forEach((token, k) => {
      const { type, value } = token;
      const closes = (type === 'punct' && CLOSERS.has(value)) || type === 'templateMiddle' || type === 'templateTail';
      const opens = (type === 'punct' && OPENERS.has(value)) || type === 'templateHead' || type === 'templateMiddle';
      if (closes && stack.length > 0) {
        const open = stack.pop();
        match[open] = k;
        match[k] = open;
      }
      if (opens) stack.push(k);
    });
    return match;
  }

  /** Function bodies: `[from, to]` code-token indices, braces included, or an arrow's expression body. */
  functionRanges() {
    const ranges = [];
    this.t.forEach((token, k) => {
      if (this.is(k, '{') && this.isFunctionBody(k)) ranges.push([k, this.match[k]]);
      if (this.is(k, '=>') && !this.is(k + 1, '{')) ranges.push([k + 1, this.expressionEnd(k + 1) - 1]);
    });
    return ranges;
  }

  /** Is the `{` at `k` the body of a function, an arrow or a method? */
  isFunctionBody(k) {
    if (this.is(k - 1, '=>')) return true;
    if (!this.is(k - 1, ')')) return false;
    const open = this.match[k - 1];
    const head = this.t[open - 1];
    return head !== undefined && head.type === 'name' && !NOT_FUNCTION_HEADS.has(head.value);
  }

  /** How many function bodies around `k` begin after `outer` (the index of an enclosing body's `{`). */
  functionDepth(k, outer = -1) {
    let depth = 0;
    for (const [from, to] of this.functions) if (from > outer && from < k && k <= to) depth += 1;
    return depth;
  }

  is(k, value) {
    const token = this.t[k];
    return token !== undefined && (token.type === 'punct' || token.type === 'name') && token.value === value;
  }

  isName(k, value) {
    const token = this.t[k];
    return token !== undefined && token.type === 'name' && (value === undefined || token.value === value);
  }

  /** May an expression end with `t[k]`? */
  canEnd(k) {
    const token = this.t[k];
    if (token === undefined) return false;
    if (token.type === 'name') return !KEYWORDS.has(token.value) || token.value === 'this';
    if (token.type === 'punct') return [')', ']', '}', '++', '--'].includes(token.value);
    return token.type !== 'templateHead' && token.type !== 'templateMiddle';
  }

  /** Does `t[k]`, first on its line, go on with the expression of the line before? */
  continues(k) {
    const token = this.t[k];
    if (token.type === 'punct') return CONTINUING.has(token.value);
    if (token.type === 'name') return token.value === 'in' || token.value === 'instanceof';
    return token.type === 'template' || token.type === 'templateHead';
  }

  /**
   * The index just after the expression that starts at `k` (an assignment's right-hand side, an
   * argument): it ends before a `;` or `,` of its own level, before a bracket that closes an
   * outer one, before `:` when no `?` of its own is open, or at a line break where JavaScript
   * would insert a semicolon.
   */
  expressionEnd(k) {
    let j = k;
    let questions = 0;
    while (j < this.t.length) {
      const token = this.t[j];
      if (j > k && token.newline && this.canEnd(j - 1) && !this.continues(j)) return j;
      if (token.type === 'punct') {
        const v = token.value;
        if (v === ';' || v === ',' || CLOSERS.has(v)) return j;
        if (v === ':') {
          if (questions === 0) return j;
          questions -= 1;
        }
        if (v === '?') questions += 1;
        if (OPENERS.has(v)) { j = this.match[j] === -1 ? this.t.length : this.match[j] + 1; continue; }
      }
      if (token.type === 'templateMiddle' || token.type === 'templateTail') return j;
      if (token.type === 'templateHead') {
        let part = j;
        while (part !== -1 && this.t[part].type !== 'templateTail') part = this.match[part];
        j = part === -1 ? this.t.length : part + 1;
        continue;
      }
      j += 1;
    }
    return j;
  }

  /** Is the `{` at `k` a block or a function body rather than an object literal? */
  isBlock(k) {
    if (this.isFunctionBody(k)) return true;
    const previous = this.t[k - 1];
    if (previous === undefined) return true;
    if (previous.type === 'name') return ['else', 'try', 'finally', 'do'].includes(previous.value);
    if (previous.value === ')') return true; // if (…) {, for (…) {, catch (e) {
    return [';', '{', '}'].includes(previous.value);
  }

  /** Does a statement start at `t[k]`? */
  isStatementStart(k) {
    if (k === 0) return true;
    const previous = this.t[k - 1];
    if (previous.type === 'punct') {
      const v = previous.value;
      if (v === ';' || v === '}') return true;
      if (v === '{') return this.isBlock(k - 1);
      if (v === ')') {
        const head = this.t[this.match[k - 1] - 1];
        if (head !== undefined && head.type === 'name' && ['if', 'for', 'while', 'with'].includes(head.value)) return true;
      }
      if (v === ':') {
        // `case x:` / `default:` — the label's statement starts after the colon
        let j = k - 2;
        while (j >= 0 && !(this.t[j].type === 'punct' && [';', '{', '}', ':'].includes(this.t[j].value))) j -= 1;
        return this.isName(j + 1, 'case') || this.isName(j + 1, 'default');
      }
    }
    if (this.isName(k - 1, 'else') || this.isName(k - 1, 'do')) return true;
    return this.t[k].newline && this.canEnd(k - 1) && !this.continues(k);
  }

  /** Where the statement holding `k` starts, or -1 when `k` is inside brackets of an expression first. */
  statementStart(k) {
    let j = k;
    while (!this.isStatementStart(j)) {
      const previous = this.t[j - 1];
      if (previous.type === 'punct' && (previous.value === ')' || previous.value === ']')) {
        j = this.match[j - 1];
        if (j === -1) return -1;
        continue;
      }
      if (previous.type === 'templateTail') {
        let part = j - 1;
        while (part > 0 && this.t[part].type !== 'templateHead') part = this.match[part];
        j = part;
        continue;
      }
      if (previous.type === 'punct' && ['(', '[', '{'].includes(previous.value)) return -1;
      if (previous.type === 'templateHead' || previous.type === 'templateMiddle') return -1;
      j -= 1;
    }
    return j;
  }

  /** The index just after the statement that starts at `k` (its `;` included, when it has one). */
  statementEnd(k) {
    const end = this.expressionEnd(k);
    return this.is(end, ';') ? end + 1 : end;
  }

  /** The source text of code tokens `from` up to (not including) `to`, comments and spacing included. */
  text(from, to) {
    if (to <= from) return '';
    return this.source.slice(this.t[from].start, this.t[to - 1].end);
  }

  /** The 1-based line of code token `k`. */
  line(k) {
    return this.t[Math.min(k, this.t.length - 1)].line;
  }
}

/**
 * `source` with `edits` (`{start, end, text}` offsets into it) applied. Edits must not
 * overlap; two at the same offset apply in the order given.
 */
function applyEdits(source, edits) {
  const sorted = edits.map((edit, order) => ({ ...edit, order })).sort((a, b) => a.start - b.start || a.end - b.end || a.order - b.order);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) continue; // overlapped by an earlier edit: the outer rewrite wins
    out += source.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + source.slice(at);
}

module.exports = { Code, applyEdits, KEYWORDS };
