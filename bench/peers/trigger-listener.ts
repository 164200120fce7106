import { serveParent } from '../lib/proc.js';
import { startTriggerCapture, type TriggerCaptureOptions } from './trigger-capture.js';
import { cpuMicros } from '../lib/proc.js';

/**
 * Peer for the write-path benchmark: the original connector's capture on its own (row trigger + pg_notify +
 * a LISTEN client doing the control-table lookup per notification), in a separate process as the original
 * connector ran. It publishes nowhere: the write path's cost is the trigger and the notification queue.
 */
await serveParent<TriggerCaptureOptions, { ok: true }>(async (opts) => {
  const capture = await startTriggerCapture(opts);
  return {
    ready: { ok: true },
    handlers: {
      received: () => capture.received(),
      /** CPU time this process has used (µs, user + system): what its capture costs the shared cores. */
      cpu: () => cpuMicros(),
      stop: () => capture.stop(),
    },
  };
});
