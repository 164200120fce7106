import type { Logger } from '../ports/logger.js';

/**
 * The engine's logger, with every error line also published on `[meta]log` (through `publishLog`): what went
 * wrong where no client would otherwise hear of it, as Ably's log metachannel shows. Only the message and an
 * error's code and message go there, never a stack or the log line's other fields (they may hold secrets).
 */
export function withMetaLog(logger: Logger, publishLog: (entry: { message: string; code?: number; error?: string }) => void): Logger {
  return {
    debug: (obj, msg) => logger.debug(obj, msg),
    info: (obj, msg) => logger.info(obj, msg),
    warn: (obj, msg) => logger.warn(obj, msg),
    error(obj, msg) {
      logger.error(obj, msg);
      const err = typeof obj === 'object' ? (obj as { err?: unknown }).err : undefined;
      const entry: { message: string; code?: number; error?: string } = { message: msg ?? (typeof obj === 'string' ? obj : 'error') };
      if (err instanceof Error) entry.error = err.message;
      const code = (err as { code?: unknown } | undefined)?.code;
      if (typeof code === 'number') entry.code = code;
      publishLog(entry);
    },
  };
}
