import { WebSocket } from 'ws';

/**
 * A connection to a child process's V8 inspector (started with `--inspect=127.0.0.1:0`): lets a test run a full
 * garbage collection in the server before measuring its memory, so that what is measured is what is kept, not
 * garbage the collector has not got to yet.
 */
export interface InspectorSession {
  /** Runs a full garbage collection in the inspected process. */
  collectGarbage(): Promise<void>;
  /** Evaluates an expression in the inspected process and returns its value (JSON-serialisable results only). */
  evaluate<T>(expression: string): Promise<T>;
  close(): void;
}

/** Connects to the inspector whose `Debugger listening on ws://...` line is in `output`. */
export async function connectInspector(output: string): Promise<InspectorSession> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (!url) throw new Error('the process printed no inspector address');
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((ok) => {
      const id = nextId++;
      pending.set(id, ok);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async collectGarbage() {
      await call('HeapProfiler.collectGarbage');
    },
    async evaluate<T>(expression: string) {
      const result = (await call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: T } };
      return result.result.value;
    },
    close: () => ws.close(),
  };
}
