/**
 * The activation expression language → IR.
 *
 *   program   := (name '=' expr ';')* expr
 *   expr      := term (('+' | '-') term)*
 *   term      := unary (('*' | '/') unary)*
 *   unary     := '-' unary | power
 *   power     := primary (('^' | '**') unary)?
 *   primary   := number | name | name '(' args ')' | '(' expr ')'
 *
 * `x` is the input. Names resolve, in order, to: let-bound names, the definition's constants, `pi`,
 * and trainable parameters. A parameter is a single letter with an optional digit (a, b1) or a Greek
 * letter name (alpha … omega); undeclared ones are per-channel and initialised to 1 (PANGAEA's rule).
 * Anything else is an error naming the position and the closest valid names.
 * `/` is the safe division of PANGAEA (0 where the divisor is 0), `^` the safe power (0 for base ≤ 0).
 *
 * Validation that needs a position happens here (rules in validate.ts): numbers must be finite in
 * float32, operator attributes in their domain, and nesting and size within LIMITS — checked as the
 * parser descends, so no input can overflow the stack here or in the recursive IR walks downstream.
 */
import { ActbenchError, closeMatches, ExpressionError } from '../errors.js';
import { call, constant, input, param, type Expr } from './ir.js';
import { lookupOp, opNamesAndAliases } from './ops.js';
import { attrIssue, LIMITS, nonFiniteReason } from './validate.js';

const GREEK = [
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu',
  'xi', 'omicron', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'chi', 'psi', 'omega',
];
const PARAM_NAME = new RegExp(`^(?:[a-wyzA-Z][0-9]?|(?:${GREEK.join('|')})[0-9]?)$`);

export function isParamName(name: string): boolean {
  return PARAM_NAME.test(name) && name !== 'x';
}

export interface ParseOptions {
  /** named constants of the definition (e.g. LayerAct's alpha) */
  constants?: Readonly<Record<string, number>>;
  /** names bound to fixed expressions (macro arguments y, z) */
  bindings?: Readonly<Record<string, Expr>>;
  /** false: free names are errors instead of parameters */
  allowParams?: boolean;
}

export interface ParseResult {
  expr: Expr;
  /** let-bound sub-expressions by name (e.g. VeLU's A, whose statistics feed the auxiliary loss) */
  lets: Record<string, Expr>;
  params: string[];
}

type TokenKind = 'num' | 'name' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/^(),;=])/y;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExpressionError('EXPR_BAD_CHAR', `unexpected character '${src[pos]}'`, src, pos);
    if (m[1] !== undefined) tokens.push({ kind: 'num', text: m[1], pos });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', text: m[2], pos });
    else if (m[3] !== undefined) tokens.push({ kind: 'op', text: m[3], pos });
    pos = re.lastIndex;
  }
  tokens.push({ kind: 'end', text: '', pos: src.length });
  return tokens;
}

/** Fold arithmetic on constants at parse time, so attributes such as clip(x, -1, 1/6) are constants. */
function arith(op: string, a: Expr, b?: Expr): Expr {
  if (a.kind === 'const' && (b === undefined || b.kind === 'const')) {
    const x = a.value;
    const y = b?.kind === 'const' ? b.value : 0;
    switch (op) {
      case 'neg':
        return constant(-x);
      case 'add':
        return constant(x + y);
      case 'sub':
        return constant(x - y);
      case 'mul':
        return constant(x * y);
      case 'div':
        return constant(y === 0 ? 0 : x / y);
      case 'pow':
        return constant(x > 0 ? x ** y : 0);
    }
  }
  return call(op, b === undefined ? [a] : [a, b]);
}

class Parser {
  private i = 0;
  private readonly tokens: Token[];
  readonly lets: Record<string, Expr> = {};
  readonly params = new Set<string>();
  /** nesting depth of every node the parser built (bound macro arguments count as 1) */
  private readonly depths = new Map<Expr, number>();
  private nodes = 0;
  /** current recursion depth of the descent (every nesting level passes through unary()) */
  private nesting = 0;

  constructor(
    private readonly src: string,
    private readonly opts: ParseOptions,
  ) {
    if (src.length > LIMITS.sourceChars) {
      throw new ActbenchError('ACT_TOO_LARGE', `the expression is ${src.length} characters long (limit ${LIMITS.sourceChars})`, { field: 'expression' });
    }
    this.tokens = tokenize(src);
  }

  /** Record a node the parser built: depth and size limits, and float32-finite folded constants. */
  private track(e: Expr, tok: Token): Expr {
    if (this.depths.has(e)) return e;
    if (e.kind === 'const') {
      const why = nonFiniteReason(e.value);
      if (why) this.fail('ACT_CONSTANT_NONFINITE', `this constant cannot be represented: ${why}`, tok);
    }
    const d = e.kind === 'call' ? 1 + Math.max(0, ...e.args.map((a) => this.depths.get(a) ?? 1)) : 1;
    if (d > LIMITS.depth) {
      this.fail('ACT_TOO_DEEP', `the expression nests deeper than ${LIMITS.depth} operations here (a chain of + or * counts one level per term)`, tok);
    }
    if (++this.nodes > LIMITS.nodes) this.fail('ACT_TOO_LARGE', `the expression has more than ${LIMITS.nodes} operations`, tok);
    this.depths.set(e, d);
    return e;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private fail(code: string, message: string, tok: Token = this.peek()): never {
    throw new ExpressionError(code, message, this.src, tok.pos);
  }
  private expect(text: string): Token {
    const t = this.peek();
    if (t.text !== text || t.kind !== 'op') {
      this.fail('EXPR_SYNTAX', t.kind === 'end' ? `expected '${text}' but the expression ended` : `expected '${text}' but found '${t.text}'`);
    }
    return this.next();
  }

  program(): Expr {
    if (this.peek().kind === 'end') this.fail('EXPR_EMPTY', 'empty expression');
    // let statements: name '=' expr ';'
    while (this.peek().kind === 'name' && this.tokens[this.i + 1]?.text === '=') {
      const nameTok = this.next();
      this.next();
      if (nameTok.text === 'x' || lookupOp(nameTok.text)) {
        this.fail('EXPR_BAD_LET', `'${nameTok.text}' cannot be assigned: it is the input or an operator name`, nameTok);
      }
      this.lets[nameTok.text] = this.expr();
      this.expect(';');
    }
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') {
      this.fail('EXPR_SYNTAX', t.text === ';' ? `a ';' must follow an assignment 'name = expr'` : `unexpected '${t.text}'`);
    }
    return e;
  }

  private expr(): Expr {
    let left = this.term();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.next();
        left = this.track(arith(t.text === '+' ? 'add' : 'sub', left, this.term()), t);
      } else return left;
    }
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '*' || t.text === '/')) {
        this.next();
        left = this.track(arith(t.text === '*' ? 'mul' : 'div', left, this.unary()), t);
      } else return left;
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (++this.nesting > LIMITS.depth) {
      this.fail('ACT_TOO_DEEP', `the expression nests deeper than ${LIMITS.depth} levels here (parentheses, calls and signs)`, t);
    }
    try {
      if (t.kind === 'op' && t.text === '-') {
        this.next();
        return this.track(arith('neg', this.unary()), t);
      }
      if (t.kind === 'op' && t.text === '+') {
        this.next();
        return this.unary();
      }
      return this.power();
    } finally {
      this.nesting--;
    }
  }

  private power(): Expr {
    const base = this.primary();
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '^' || t.text === '**')) {
      this.next();
      return this.track(arith('pow', base, this.unary()), t);
    }
    return base;
  }

  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'num') return this.track(constant(Number(t.text)), t);
    if (t.kind === 'op' && t.text === '(') {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.kind === 'name') {
      if (this.peek().kind === 'op' && this.peek().text === '(') return this.call(t);
      return this.name(t);
    }
    if (t.kind === 'end') this.fail('EXPR_SYNTAX', 'the expression ended where a value was expected', t);
    return this.fail('EXPR_SYNTAX', `unexpected '${t.text}' where a value was expected`, t);
  }

  private name(t: Token): Expr {
    const name = t.text;
    if (name === 'x') return this.opts.bindings?.x ?? input;
    if (name in this.lets) return this.lets[name];
    if (this.opts.bindings && name in this.opts.bindings) return this.opts.bindings[name];
    if (this.opts.constants && name in this.opts.constants) {
      const why = nonFiniteReason(this.opts.constants[name]);
      if (why) this.fail('ACT_CONSTANT_NONFINITE', `constant '${name}': ${why}`, t);
      return this.track(constant(this.opts.constants[name]), t);
    }
    if (name === 'pi') return this.track(constant(Math.PI), t);
    if (/^(?:inf|infinity|nan)$/i.test(name)) {
      this.fail('ACT_CONSTANT_NONFINITE', `'${name}' is not a number an activation can compute with: constants must be finite in float32`, t);
    }
    if (lookupOp(name)) this.fail('EXPR_NOT_A_VALUE', `'${name}' is an operator: call it as ${name}(x)`, t);
    if (this.opts.allowParams !== false && isParamName(name)) {
      this.params.add(name);
      return this.track(param(name), t);
    }
    const known = ['x', 'pi', ...Object.keys(this.lets), ...Object.keys(this.opts.constants ?? {})];
    const close = closeMatches(name, [...known, ...opNamesAndAliases()]);
    const hint = close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : '';
    return this.fail(
      'EXPR_UNKNOWN_NAME',
      `unknown name '${name}'${hint}; parameters are one letter with an optional digit (a, b1) or a Greek letter name`,
      t,
    );
  }

  private call(nameTok: Token): Expr {
    const def = lookupOp(nameTok.text);
    if (!def) {
      const close = closeMatches(nameTok.text, opNamesAndAliases());
      const hint = close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : '';
      this.fail('EXPR_UNKNOWN_FUNCTION', `unknown function '${nameTok.text}'${hint}`, nameTok);
    }
    this.expect('(');
    const args: { e: Expr; tok: Token }[] = [];
    if (!(this.peek().kind === 'op' && this.peek().text === ')')) {
      for (;;) {
        const tok = this.peek();
        args.push({ e: this.expr(), tok });
        if (this.peek().kind === 'op' && this.peek().text === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(')');
    const attrDefs = def.attrs ?? [];
    const required = attrDefs.filter((a) => a.default === undefined).length;
    const minArgs = def.arity + required;
    const maxArgs = def.arity + attrDefs.length;
    if (args.length < minArgs || args.length > maxArgs) {
      const sig = [...['x', 'y', 'z'].slice(0, def.arity), ...attrDefs.map((a) => (a.default === undefined ? a.name : `${a.name}=${a.default}`))];
      this.fail(
        'EXPR_ARITY',
        `${def.name}(${sig.join(', ')}) takes ${minArgs === maxArgs ? minArgs : `${minArgs} to ${maxArgs}`} argument${maxArgs === 1 ? '' : 's'}, got ${args.length}`,
        nameTok,
      );
    }
    const attrs = attrDefs.map((a, k) => {
      const arg = args[def.arity + k];
      if (!arg) return a.default as number;
      if (arg.e.kind !== 'const') {
        this.fail('EXPR_ATTR_NOT_CONST', `argument '${a.name}' of ${def.name} must be a constant number`, arg.tok);
      }
      return arg.e.value;
    });
    const issue = attrIssue(def, attrs);
    if (issue) this.fail(issue.code, issue.message, issue.index !== undefined ? (args[def.arity + issue.index]?.tok ?? nameTok) : nameTok);
    return this.track(call(def.name, args.slice(0, def.arity).map((a) => a.e), attrs), nameTok);
  }
}

/** Parse an expression; throws ExpressionError pointing at the offending character. */
export function parseExpression(src: string, opts: ParseOptions = {}): ParseResult {
  const p = new Parser(src, opts);
  const expr = p.program();
  return { expr, lets: p.lets, params: [...p.params].sort() };
}
