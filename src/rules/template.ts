/**
 * Action templates: text with `{{name}}` placeholders filled from the
 * firing's context (`device`, `rule`, `key`, `value`, `ts`, `severity`,
 * `alarm`, `tenant`). Substitution only: no expressions, no code, no
 * helpers, so a rule author cannot make the server run anything. Unknown
 * names are refused when the rule is saved, not at firing time.
 */
export const TEMPLATE_VARIABLES = [
  'device',
  'rule',
  'key',
  'value',
  'ts',
  'time',
  'severity',
  'alarm',
  'tenant',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Why the text is not an acceptable template, or undefined. */
export function templateProblem(text: string): string | undefined {
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      return `{{${name}}} is not a template variable (use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')})`;
    }
  }
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) return 'unbalanced {{ or }}';
  return undefined;
}

/** Fills a checked template; values are inserted as text (JSON bodies: see renderJson). */
export function render(text: string, vars: Partial<Record<TemplateVariable, unknown>>): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => {
    const v = vars[name as TemplateVariable];
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/**
 * Fills every string inside a JSON template (a webhook body). A string that
 * is exactly one placeholder takes the value with its type (`"{{value}}"`
 * → 91.5, not "91.5"); text around placeholders makes a string.
 */
export function renderJson(template: unknown, vars: Partial<Record<TemplateVariable, unknown>>): unknown {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*([a-z]+)\s*\}\}$/.exec(template);
    if (whole) return vars[whole[1] as TemplateVariable] ?? null;
    return render(template, vars);
  }
  if (Array.isArray(template)) return template.map((t) => renderJson(t, vars));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderJson(v, vars)]));
  }
  return template;
}

/** The first bad template in a JSON template, with its path below `path`. */
export function jsonTemplateProblem(
  template: unknown,
  path: string,
): { path: string; message: string } | undefined {
  if (typeof template === 'string') {
    const p = templateProblem(template);
    return p ? { path, message: p } : undefined;
  }
  if (Array.isArray(template)) {
    for (let i = 0; i < template.length; i++) {
      const p = jsonTemplateProblem(template[i], `${path}/${i}`);
      if (p) return p;
    }
  } else if (typeof template === 'object' && template !== null) {
    for (const [k, v] of Object.entries(template)) {
      const p = jsonTemplateProblem(v, `${path}/${k}`);
      if (p) return p;
    }
  }
  return undefined;
}
