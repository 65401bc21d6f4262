import { Writable } from 'node:stream';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** `json` for machines; `pretty` for a person at a terminal; `auto` picks by TTY. */
  readonly format: 'auto' | 'json' | 'pretty';
  readonly destination?: DestinationStream;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One line per record: `12:00:01 INFO  message key=value ...`. */
export function prettyLine(record: Record<string, unknown>): string {
  const time = new Date(Number(record.time ?? Date.now())).toISOString().slice(11, 19);
  const level = (LEVELS[Number(record.level)] ?? String(record.level)).padEnd(5);
  let line = `${time} ${level} ${String(record.msg ?? '')}`;
  for (const [k, v] of Object.entries(record)) {
    if (SKIP.has(k)) continue;
    line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return `${line}\n`;
}

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text) continue;
        try {
          out.write(prettyLine(JSON.parse(text) as Record<string, unknown>));
        } catch {
          out.write(`${text}\n`);
        }
      }
      done();
    },
  });
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && process.stdout.isTTY === true);
  const dest =
    opts.destination ?? (pretty ? prettyStream(process.stdout) : pino.destination({ sync: false }));
  return pino({ level: opts.level, base: { pid: process.pid } }, dest);
}
