import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createLogger, progress } from './logger.js';

/** A stream that collects what is written, optionally claiming to be a terminal. */
function capture(isTTY: boolean): PassThrough & { isTTY: boolean; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return Object.assign(stream, { text: () => text });
}

describe('createLogger', () => {
  it('auto on a terminal: progress lines, warnings and errors, no detail lines, no JSON', () => {
    const out = capture(true);
    const err = capture(true);
    const logger = createLogger({ level: 'info', format: 'auto' }, { out, err });
    progress(logger, 'rules: 1 rule (chat-writer)');
    logger.info({ lagBytes: 0 }, 'connector state');
    logger.child({ component: 'connector' }).warn({ err: 'connection refused' }, 'replication stream interrupted; reconnecting');
    logger.error({ err: new Error('boom') }, 'request failed');
    expect(out.text()).toBe('\u001b[32m✓\u001b[0m rules: 1 rule (chat-writer)\n');
    const lines = err.text().split('\n');
    expect(lines[0]).toBe('\u001b[33m⚠ connector: replication stream interrupted; reconnecting: connection refused\u001b[0m');
    expect(lines[1]).toMatch(/^\u001b\[31m✗ request failed: Error: boom$/);
    expect(lines[2]).toMatch(/^ {4}at /); // the stack follows, indented
  });

  it('auto when stdout is not a terminal: JSON lines, every info entry included', () => {
    const out = capture(false);
    const err = capture(false);
    const logger = createLogger({ level: 'info', format: 'auto' }, { out, err });
    progress(logger, 'Rowcast is ready at http://127.0.0.1:8080');
    logger.info({ lagBytes: 0 }, 'connector state');
    const entries = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e.msg, e.progress])).toEqual([
      ['Rowcast is ready at http://127.0.0.1:8080', true],
      ['connector state', undefined],
    ]);
    expect(err.text()).toBe('');
  });

  it('pretty forced into a pipe: plain text without colours; at level debug the detail lines appear too', () => {
    const out = capture(false);
    const err = capture(false);
    const logger = createLogger({ level: 'debug', format: 'pretty' }, { out, err });
    progress(logger, 'chat: web app up to date');
    logger.child({ component: 'connector' }).info('replication streaming');
    logger.warn('slow consumer: send buffer full, disconnecting');
    expect(out.text()).toBe('✓ chat: web app up to date\n  connector: replication streaming\n');
    expect(err.text()).toBe('⚠ slow consumer: send buffer full, disconnecting\n');
  });

  it('json forced on a terminal: JSON lines', () => {
    const out = capture(true);
    const logger = createLogger({ level: 'info', format: 'json' }, { out, err: capture(true) });
    progress(logger, 'keys: app1.full');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, msg: 'keys: app1.full', progress: true });
  });
});
