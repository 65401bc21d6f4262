import { newer } from './twin.js';
import { at, type Condition, isScalar, type Scalar } from './types.js';

/**
 * The `expression` condition: one formula over the device's latest values,
 * for what the other kinds cannot say, e.g.
 * `temperature - ambient > 25 && hypot(vib_x, vib_y, vib_z) > 4` or
 * `abs(temperature - desired.setpoint) > 2` (a thermostat off its twin).
 *
 * A small language parsed here into a tree and evaluated by walking it: no
 * `eval`, no property access, no loops, nothing but arithmetic, comparison,
 * logic and a few math functions, with bounded size and depth, so a rule
 * author cannot make the server run anything or hang.
 *
 * Names: a telemetry key (`temperature`, `location.lat`; a key with other
 * characters in backquotes: `` `motor-1:temp` ``), or the twin's
 * `desired.<path>` / `reported.<path>`. A name without a value yet, or a
 * value of the wrong type, makes the parts that use it unknown; the
 * condition answers only when the whole formula is true or false
 * (`&&` and `||` still answer when one side decides: `false && unknown`).
 */

export type Node =
  | { readonly t: 'lit'; readonly v: Scalar }
  | { readonly t: 'key'; readonly key: string }
  | {
      readonly t: 'twin';
      readonly ref: string;
      readonly side: 'desired' | 'reported';
      readonly path: string[];
    }
  | { readonly t: 'un'; readonly op: '!' | '-'; readonly a: Node }
  | { readonly t: 'bin'; readonly op: string; readonly a: Node; readonly b: Node }
  | { readonly t: 'call'; readonly fn: string; readonly args: Node[] };

type Kind = 'number' | 'boolean' | 'string' | 'any';

const MAX_LENGTH = 2000;
const MAX_NODES = 400;
const MAX_DEPTH = 32;
const FUNCTIONS: Record<string, { min: number; max: number; f: (...x: number[]) => number }> = {
  abs: { min: 1, max: 1, f: Math.abs },
  sqrt: { min: 1, max: 1, f: Math.sqrt },
  round: { min: 1, max: 1, f: Math.round },
  floor: { min: 1, max: 1, f: Math.floor },
  ceil: { min: 1, max: 1, f: Math.ceil },
  pow: { min: 2, max: 2, f: Math.pow },
  min: { min: 1, max: 16, f: Math.min },
  max: { min: 1, max: 16, f: Math.max },
  hypot: { min: 1, max: 16, f: Math.hypot },
};
/** Binary operators by precedence, loosest first. */
const LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

type Token =
  | { readonly k: 'num'; readonly v: number; readonly at: number }
  | { readonly k: 'str'; readonly v: string; readonly at: number }
  | { readonly k: 'name'; readonly v: string; readonly quoted: boolean; readonly at: number }
  | { readonly k: 'op'; readonly v: string; readonly at: number }
  | { readonly k: 'end'; readonly at: number };

class ExprError extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const fail = (i: number, what: string): never => {
    throw new ExprError(`${what} at character ${i + 1}`);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ k: 'num', v: Number(m[0]), at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i)) as RegExpExecArray;
      if (m[0].endsWith('.')) fail(i + m[0].length - 1, 'a name cannot end with "."');
      out.push({ k: 'name', v: m[0], quoted: false, at: i });
      i += m[0].length;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail(i, 'unclosed `');
      const key = src.slice(i + 1, end);
      if (key.length === 0) fail(i, 'empty `` name');
      out.push({ k: 'name', v: key, quoted: true, at: i });
      i = end + 1;
    } else if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail(i, `unclosed ${c}`);
      out.push({ k: 'str', v: src.slice(i + 1, end), at: i });
      i = end + 1;
    } else {
      const two = src.slice(i, i + 2);
      if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
        out.push({ k: 'op', v: two, at: i });
        i += 2;
      } else if ('+-*/%<>!(),'.includes(c)) {
        out.push({ k: 'op', v: c, at: i });
        i++;
      } else if (c === '=' || c === '&' || c === '|') {
        fail(i, `"${c}" alone is not an operator (use ${c === '=' ? '==' : c + c})`);
      } else fail(i, `unexpected "${c}"`);
    }
  }
  out.push({ k: 'end', at: src.length });
  return out;
}

/** Parses and type-checks an expression; throws ExprError with where and why. */
function parseExpr(src: string, isKey: (k: string) => boolean): Node {
  const tokens = tokenize(src);
  let pos = 0;
  let nodes = 0;
  const peek = () => tokens[pos] as Token;
  const fail = (t: Token, what: string): never => {
    throw new ExprError(`${what} at character ${t.at + 1}`);
  };
  const node = (n: Node): Node => {
    if (++nodes > MAX_NODES) throw new ExprError(`an expression has at most ${MAX_NODES} parts`);
    return n;
  };
  const isOp = (v: string) => {
    const t = peek();
    return t.k === 'op' && t.v === v;
  };

  function primary(depth: number): Node {
    if (depth > MAX_DEPTH) fail(peek(), `nested more than ${MAX_DEPTH} levels`);
    const t = peek();
    pos++;
    switch (t.k) {
      case 'num':
        return node({ t: 'lit', v: t.v });
      case 'str':
        return node({ t: 'lit', v: t.v });
      case 'name': {
        if (!t.quoted && (t.v === 'true' || t.v === 'false')) return node({ t: 'lit', v: t.v === 'true' });
        if (!t.quoted && isOp('(')) {
          const fn = FUNCTIONS[t.v];
          if (!fn) fail(t, `unknown function ${t.v} (functions: ${Object.keys(FUNCTIONS).join(', ')})`);
          pos++;
          const args: Node[] = [];
          if (!isOp(')')) {
            for (;;) {
              args.push(binary(0, depth + 1));
              if (!isOp(',')) break;
              pos++;
            }
          }
          if (!isOp(')')) fail(peek(), 'expected ")" or ","');
          pos++;
          const f = fn as (typeof FUNCTIONS)[string];
          if (args.length < f.min || args.length > f.max) {
            fail(
              t,
              `${t.v} takes ${f.min === f.max ? f.min : `${f.min} to ${f.max}`} argument${f.max === 1 ? '' : 's'}`,
            );
          }
          return node({ t: 'call', fn: t.v, args });
        }
        const side = /^(desired|reported)\.(.+)$/.exec(t.v);
        if (!t.quoted && side) {
          return node({
            t: 'twin',
            ref: t.v,
            side: side[1] as 'desired' | 'reported',
            path: (side[2] as string).split('.'),
          });
        }
        if (!isKey(t.v) || t.v === '__proto__')
          fail(t, `${t.v} is not a telemetry key (letters, digits, _ . : -; up to 128)`);
        return node({ t: 'key', key: t.v });
      }
      case 'op':
        if (t.v === '(') {
          const inner = binary(0, depth + 1);
          if (!isOp(')')) fail(peek(), 'expected ")"');
          pos++;
          return inner;
        }
        if (t.v === '!' || t.v === '-') return node({ t: 'un', op: t.v, a: primary(depth + 1) });
        return fail(t, `unexpected "${t.v}"`);
      case 'end':
        return fail(t, 'the expression ends too early');
    }
  }

  function binary(level: number, depth: number): Node {
    if (level === LEVELS.length) return primary(depth);
    let left = binary(level + 1, depth);
    for (;;) {
      const t = peek();
      if (t.k !== 'op' || !(LEVELS[level] as readonly string[]).includes(t.v)) return left;
      pos++;
      left = node({ t: 'bin', op: t.v, a: left, b: binary(level + 1, depth) });
    }
  }

  const tree = binary(0, 0);
  if (peek().k !== 'end') fail(peek(), 'expected an operator');
  const kind = check(tree);
  if (kind !== 'boolean' && kind !== 'any')
    throw new ExprError(`the expression must be true or false, not a ${kind} (add a comparison)`);
  return tree;
}

/** Static kinds: refuses `"a" * 2`, `1 && 2` and the like when the rule is saved. */
function check(n: Node): Kind {
  const need = (k: Kind, want: Kind, what: string) => {
    if (k !== 'any' && k !== want) throw new ExprError(`${what} needs ${want}s, not a ${k}`);
  };
  switch (n.t) {
    case 'lit':
      return typeof n.v as Kind;
    case 'key':
    case 'twin':
      return 'any';
    case 'un': {
      const k = check(n.a);
      need(k, n.op === '!' ? 'boolean' : 'number', `"${n.op}"`);
      return n.op === '!' ? 'boolean' : 'number';
    }
    case 'call':
      for (const a of n.args) need(check(a), 'number', `${n.fn}()`);
      return 'number';
    case 'bin': {
      const a = check(n.a);
      const b = check(n.b);
      if (n.op === '&&' || n.op === '||') {
        need(a, 'boolean', `"${n.op}"`);
        need(b, 'boolean', `"${n.op}"`);
        return 'boolean';
      }
      if (n.op === '==' || n.op === '!=') return 'boolean';
      need(a, 'number', `"${n.op}"`);
      need(b, 'number', `"${n.op}"`);
      return ['<', '<=', '>', '>='].includes(n.op) ? 'boolean' : 'number';
    }
  }
}

/** Looks names up in the device's latest values. */
export type Lookup = (n: Extract<Node, { t: 'key' | 'twin' }>) => Scalar | undefined;

/** Evaluates; undefined is "unknown" (a name without a value, a wrong type, a division by zero). */
export function evaluate(n: Node, look: Lookup): Scalar | undefined {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'key':
    case 'twin':
      return look(n);
    case 'un': {
      const a = evaluate(n.a, look);
      if (n.op === '!') return typeof a === 'boolean' ? !a : undefined;
      return typeof a === 'number' ? -a : undefined;
    }
    case 'call': {
      const args: number[] = [];
      for (const x of n.args) {
        const v = evaluate(x, look);
        if (typeof v !== 'number') return undefined;
        args.push(v);
      }
      const r = (FUNCTIONS[n.fn] as (typeof FUNCTIONS)[string]).f(...args);
      return Number.isFinite(r) ? r : undefined;
    }
    case 'bin': {
      if (n.op === '&&' || n.op === '||') {
        const decides = n.op === '||';
        const a = evaluate(n.a, look);
        if (a === decides) return decides;
        const b = evaluate(n.b, look);
        if (b === decides) return decides;
        return typeof a === 'boolean' && typeof b === 'boolean' ? !decides : undefined;
      }
      const a = evaluate(n.a, look);
      const b = evaluate(n.b, look);
      if (a === undefined || b === undefined) return undefined;
      if (n.op === '==') return a === b;
      if (n.op === '!=') return a !== b;
      if (typeof a !== 'number' || typeof b !== 'number') return undefined;
      let r: number;
      switch (n.op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '+':
          r = a + b;
          break;
        case '-':
          r = a - b;
          break;
        case '*':
          r = a * b;
          break;
        case '/':
          r = a / b;
          break;
        default:
          r = a % b;
      }
      return Number.isFinite(r) ? r : undefined;
    }
  }
}

function names(n: Node, keys: Set<string>, twin: Map<string, Extract<Node, { t: 'twin' }>>): void {
  if (n.t === 'key') keys.add(n.key);
  else if (n.t === 'twin') twin.set(n.ref, n);
  else if (n.t === 'un') names(n.a, keys, twin);
  else if (n.t === 'bin') {
    names(n.a, keys, twin);
    names(n.b, keys, twin);
  } else if (n.t === 'call') for (const a of n.args) names(a, keys, twin);
}

interface ExprState {
  /** Latest value of each key the expression reads. */
  readonly v: Record<string, Scalar>;
  /** Latest twin values it reads, by `desired.x` / `reported.x`. */
  readonly tw: Record<string, Scalar>;
  version: number;
}

/** Compiles an expression condition, or says what is wrong with it (and where). */
export function compileExpression(
  src: string,
  isKey: (k: string) => boolean,
): { condition: Condition<ExprState> } | { problem: string } {
  if (src.length === 0 || src.length > MAX_LENGTH)
    return { problem: `must be an expression of 1 to ${MAX_LENGTH} characters` };
  let tree: Node;
  try {
    tree = parseExpr(src, isKey);
  } catch (err) {
    if (err instanceof ExprError) return { problem: err.message };
    throw err;
  }
  const keys = new Set<string>();
  const twin = new Map<string, Extract<Node, { t: 'twin' }>>();
  names(tree, keys, twin);
  if (keys.size === 0 && twin.size === 0)
    return { problem: 'the expression reads no telemetry key and no twin value' };
  const look: (state: ExprState) => Lookup = (state) => (n) =>
    n.t === 'key' ? (Object.hasOwn(state.v, n.key) ? state.v[n.key] : undefined) : state.tw[n.ref];
  return {
    condition: {
      needs: { keys: [...keys], ...(twin.size > 0 ? { twin: true } : {}) },
      initial: () => ({ v: {}, tw: {}, version: -1 }),
      step(state, s) {
        if (s.kind === 'point') {
          if (!keys.has(s.key)) return undefined;
          state.v[s.key] = s.value;
        } else if (s.kind === 'twin' && twin.size > 0) {
          if (!newer(state, s)) return undefined;
          for (const [ref, n] of twin) {
            const v = at(n.side === 'desired' ? s.desired : s.reported, n.path);
            if (isScalar(v)) state.tw[ref] = v;
            else delete state.tw[ref];
          }
        } else return undefined;
        const r = evaluate(tree, look(state));
        return typeof r === 'boolean' ? r : undefined;
      },
    },
  };
}
