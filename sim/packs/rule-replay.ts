import { parseRule } from '../../src/rules/index.js';
import type { DeviceModel } from '../pack.js';

/**
 * For the packs' unit tests: steps a model in sim time and runs a pack's
 * rules over what it sends with the platform's own condition code (the
 * parser that checks rules when they are saved, the evaluators the engine
 * runs), with no server. Speed 1, so rule durations are sim durations.
 * Throws when the platform would refuse a rule.
 */

export interface Firing {
  readonly rule: string;
  /** Sim seconds when the condition started to hold. */
  readonly at: number;
  /** Sim seconds when it stopped holding (undefined: still holds). */
  until?: number;
}

export interface Replay {
  readonly firings: Firing[];
  /** Every message sent, with its sim time (undefined values: the model sent nothing). */
  readonly sent: { t: number; values: Record<string, number | boolean | string> | undefined }[];
  /** Each rule's firings. */
  of(rule: string): Firing[];
}

export function replayRules(
  rules: readonly Record<string, unknown>[],
  model: DeviceModel,
  opts: { dtS: number; untilS: number; onFire?: (rule: string, t: number) => void },
): Replay {
  const compiled = rules.map((raw) => {
    const { rule, condition, problems } = parseRule(raw);
    if (!rule || !condition) throw new Error(`${String(raw.name)}: ${JSON.stringify(problems)}`);
    return { name: rule.name, condition, state: condition.initial() as unknown, holds: false };
  });
  const firings: Firing[] = [];
  const sent: Replay['sent'] = [];
  const feed = (c: (typeof compiled)[number], t: number, answer: boolean | undefined) => {
    if (answer === undefined || answer === c.holds) return;
    c.holds = answer;
    if (answer) {
      firings.push({ rule: c.name, at: t });
      opts.onFire?.(c.name, t);
    } else {
      const open = firings.findLast((f) => f.rule === c.name && f.until === undefined);
      if (open) open.until = t;
    }
  };
  for (let t = opts.dtS; t <= opts.untilS; t += opts.dtS) {
    const ts = Math.round(t * 1000);
    const values = model.step(ts, opts.dtS);
    sent.push({ t, values });
    for (const c of compiled) {
      for (const [key, value] of Object.entries(values ?? {})) {
        feed(c, t, c.condition.step(c.state, { kind: 'point', key, ts, value }));
      }
      feed(c, t, c.condition.step(c.state, { kind: 'tick', ts }));
    }
  }
  return { firings, sent, of: (rule) => firings.filter((f) => f.rule === rule) };
}
