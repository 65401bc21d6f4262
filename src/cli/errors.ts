/**
 * Errors the CLI reports: one clear first line on stderr, optional detail
 * lines, and the exit code (1 for API/network failures, 2 for bad usage).
 */
export class CliError extends Error {
  readonly lines: readonly string[];
  readonly exitCode: number;

  constructor(lines: readonly string[], exitCode = 1) {
    super(lines[0] ?? 'Error');
    this.name = 'CliError';
    this.lines = lines;
    this.exitCode = exitCode;
  }
}

/** A mistake in how the command was called (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError([`Error: ${message}`], 2);
}

/** An RFC 9457 problem document as the Plexus API sends it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly instance?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** A non-2xx answer from the API, with the parsed problem when there was one. */
export class ApiError extends CliError {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, lines: readonly string[]) {
    super(lines, 1);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads an error body. Besides problem+json it accepts Fastify's default
 * `{error, message}` shape, so errors raised before our handler still read well.
 */
export function parseProblem(body: string): Problem | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const title = str(o.title) ?? str(o.error);
  const detail = str(o.detail) ?? str(o.message);
  if (title === undefined && detail === undefined) return undefined;
  const errors = Array.isArray(o.errors)
    ? o.errors
        .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object')
        .map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? '') }))
    : undefined;
  const code = str(o.code);
  return {
    ...(title === undefined ? {} : { title }),
    ...(detail === undefined ? {} : { detail }),
    ...(code === undefined ? {} : { code }),
    ...(typeof o.status === 'number' ? { status: o.status } : {}),
    ...(errors === undefined ? {} : { errors }),
  };
}

/** `Error: <title>: <detail> (<code>)` then one `  <path>: <message>` line per field error. */
export function problemLines(status: number, statusText: string, problem: Problem | undefined): string[] {
  if (problem === undefined) return [`Error: HTTP ${status}${statusText ? ` ${statusText}` : ''}`];
  const title = problem.title ?? `HTTP ${status}`;
  const detail = problem.detail !== undefined && problem.detail !== title ? `: ${problem.detail}` : '';
  const code = problem.code === undefined ? '' : ` (${problem.code})`;
  const fields = (problem.errors ?? []).map((e) => `  ${e.path || '(body)'}: ${e.message}`);
  return [`Error: ${title}${detail}${code}`, ...fields];
}

/** The system error code behind a failed fetch (undici wraps it in `cause`, sometimes an AggregateError). */
function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | undefined)?.cause ?? err;
  const c = cause as { code?: unknown; errors?: readonly { code?: unknown }[]; name?: unknown } | undefined;
  if (typeof c?.code === 'string') return c.code;
  const inner = c?.errors?.[0]?.code;
  if (typeof inner === 'string') return inner;
  if (c?.name === 'TimeoutError' || (err as { name?: unknown })?.name === 'TimeoutError') return 'TIMEOUT';
  return undefined;
}

/** The one line shown when the server cannot be reached at all. */
export function unreachableLine(url: string, err: unknown): string {
  const code = networkCode(err);
  if (code === 'TIMEOUT') return `Error: Plexus at ${url} did not answer in time`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `Error: cannot reach Plexus at ${url}: unknown host`;
  const why = code === undefined || code === 'ECONNREFUSED' ? '' : ` [${code}]`;
  return `Error: cannot reach Plexus at ${url}${why} (is it running? start it with: npx plexus start)`;
}
