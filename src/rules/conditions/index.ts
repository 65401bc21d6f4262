/** Rule conditions: the frame (types.ts), one evaluator per kind, and the parser that checks and compiles a spec. */
export { type Problem, parseCondition } from './parse.js';
export type { Condition, Needs, Scalar, Signal } from './types.js';
