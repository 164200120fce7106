/**
 * The logging surface the engine uses: a subset of pino's, so a pino logger can be passed as is.
 * Each method takes either a message or a context object followed by a message.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything (tests and embedded use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
