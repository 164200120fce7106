import { pino, type DestinationStream, type Logger } from 'pino';

/** `pretty`: lines for a person at a terminal; `json`: pino's JSON lines; `auto`: pretty when stdout is a TTY. */
export type LogFormat = 'auto' | 'pretty' | 'json';

export interface LogSettings {
  level: string;
  format?: LogFormat;
}

/** Where pretty lines go: progress to `out`, warnings and errors to `err` (a terminal shows both). */
export interface PrettyStreams {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The server's logger. JSON lines are for machines and log collectors. Pretty output is for a person running
 * `rowcast start`: one line per start-up step (entries logged with `progress()`), plus every warning and error;
 * other info lines (periodic state, details) appear only at level debug or trace, so the terminal stays readable.
 */
export function createLogger(settings: LogSettings, streams: PrettyStreams = { out: process.stdout, err: process.stderr }): Logger {
  const format = settings.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && streams.out.isTTY === true);
  // process.stdout: pino's own fast destination on fd 1, as before; another stream (tests) is written as given.
  if (!pretty) return streams.out === process.stdout ? pino({ level: settings.level }) : pino({ level: settings.level }, streams.out);
  return pino({ level: settings.level }, prettyDestination(streams, settings.level === 'debug' || settings.level === 'trace'));
}

/** Logs one completed step of start-up or shutdown: `✓ <msg>` in pretty output, a normal info entry in JSON. */
export function progress(logger: Logger, msg: string, fields: Record<string, unknown> = {}): void {
  logger.info({ ...fields, progress: true }, msg);
}

const LEVEL_WARN = 40;
const LEVEL_INFO = 30;

/** A pino destination turning each JSON entry into one human line (or none, for unmarked info at level info). */
export function prettyDestination(streams: PrettyStreams, showDetails: boolean): DestinationStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        streams.out.write(line);
        return;
      }
      const text = formatEntry(entry, showDetails, streams);
      if (text === undefined) return;
      const level = typeof entry.level === 'number' ? entry.level : LEVEL_INFO;
      (level >= LEVEL_WARN ? streams.err : streams.out).write(`${text}\n`);
    },
  };
}

/** The human line for one pino entry, or undefined when pretty output leaves it out. */
export function formatEntry(entry: Record<string, unknown>, showDetails: boolean, streams?: PrettyStreams): string | undefined {
  const level = typeof entry.level === 'number' ? entry.level : LEVEL_INFO;
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const source = typeof entry.component === 'string' ? `${entry.component}: ` : '';
  if (level >= 50) return paint(`✗ ${source}${msg}${errorText(entry.err, true)}`, 31, streams?.err);
  if (level >= LEVEL_WARN) return paint(`⚠ ${source}${msg}${errorText(entry.err, false)}`, 33, streams?.err);
  if (entry.progress === true) return `${paint('✓', 32, streams?.out)} ${msg}`;
  if (!showDetails) return undefined;
  return paint(`  ${source}${msg}`, 2, streams?.out);
}

/** `: message` for a logged error (pino serialises Error objects; some callers log `String(err)`). */
function errorText(err: unknown, withStack: boolean): string {
  if (err === undefined || err === null) return '';
  if (typeof err === 'string') return `: ${err}`;
  if (typeof err === 'object') {
    const e = err as { message?: unknown; stack?: unknown };
    if (withStack && typeof e.stack === 'string') return `: ${e.stack}`; // its frames are indented already
    if (typeof e.message === 'string') return `: ${e.message}`;
  }
  return `: ${JSON.stringify(err)}`;
}

/** ANSI colour only when the stream is a terminal (pipes and files get plain text). */
function paint(text: string, code: number, stream: { isTTY?: boolean } | undefined): string {
  return stream?.isTTY ? `\u001b[${code}m${text}\u001b[0m` : text;
}
