import * as Ably from 'ably';
import { ChatClient, type Room } from '@ably/chat';
import { serveParent } from '../lib/proc.js';
import { nowMs, sleep } from '../lib/clock.js';
import { makePayload, parsePayload } from '../lib/payload.js';

interface Args {
  port: number;
  key: string;
}

interface RunArgs {
  /** `chat`: @ably/chat `messages.send` (Chat REST API) to another client's `messages.subscribe`; `publish`: a plain channel publish to a plain subscriber. */
  path: 'chat' | 'publish';
  /** Sends in flight at once (closed loop: a send starts when one is received). */
  concurrency: number;
  durationMs: number;
  /** Messages sent in the first `warmupMs` are left out of the samples. */
  warmupMs: number;
  contentBytes: number;
}

export interface ChatLatencyResult {
  sent: number;
  received: number;
  sendErrors: number;
  /** Send call to the other client's callback, measured messages only. */
  latenciesMs: Float64Array;
  /** Measured messages received per second of the measured window. */
  perSec: number;
}

function client(args: Args, clientId: string): Ably.Realtime {
  return new Ably.Realtime({ key: args.key, clientId, endpoint: '127.0.0.1', port: args.port, tls: false, logLevel: 0 });
}

/**
 * Load generator for the Chat API: two users (real `ably` SDK clients, Node defaults: msgpack) in one room
 * through @ably/chat, one sending and the other subscribed, and for comparison the same two clients on a plain
 * channel (`publish` / `subscribe`). Closed loop: `concurrency` messages are in flight; each receipt frees a slot.
 */
await serveParent<Args, { ready: true }>(async (args) => {
  const senderRt = client(args, 'bench-sender');
  const receiverRt = client(args, 'bench-receiver');
  const sender = await new ChatClient(senderRt).rooms.get('bench-room');
  const receiver = await new ChatClient(receiverRt).rooms.get('bench-room');
  await Promise.all([sender.attach(), receiver.attach()]);
  const plainOut = senderRt.channels.get('bench-plain');
  const plainIn = receiverRt.channels.get('bench-plain');
  await plainOut.attach();

  /** Where a receipt goes: the run in progress. */
  let onReceipt: (text: string) => void = () => {};
  receiver.messages.subscribe((event) => onReceipt(event.message.text));
  await plainIn.subscribe((m) => onReceipt(typeof m.data === 'string' ? m.data : ''));

  const send = (room: Room, path: RunArgs['path'], text: string): Promise<unknown> =>
    path === 'chat' ? room.messages.send({ text }) : plainOut.publish('bench', text);

  return {
    ready: { ready: true },
    handlers: {
      async run(run: RunArgs): Promise<ChatLatencyResult> {
        const samples: number[] = [];
        let sent = 0;
        let received = 0;
        let sendErrors = 0;
        let recordFrom = Infinity;
        let measuredStart = 0;
        let measuredEnd = 0;
        const started = nowMs();
        let stopping = false;
        let inFlight = 0;
        const sendNext = () => {
          if (stopping) return;
          const now = nowMs();
          if (recordFrom === Infinity && now - started >= run.warmupMs) {
            recordFrom = sent;
            measuredStart = now;
          }
          inFlight++;
          send(sender, run.path, makePayload(sent++, run.contentBytes)).catch(() => {
            sendErrors++;
            inFlight--;
            sendNext();
          });
        };
        onReceipt = (text) => {
          const p = parsePayload(text);
          if (!p) return;
          const t = nowMs();
          inFlight--;
          if (p.seq >= recordFrom) {
            samples.push(t - p.sentAt);
            received++;
            measuredEnd = t;
          }
          sendNext();
        };
        for (let i = 0; i < run.concurrency; i++) sendNext();
        await sleep(run.durationMs);
        stopping = true;
        // let what is in flight land (not counted past the window's end for the rate)
        for (let waited = 0; inFlight > 0 && waited < 5000; waited += 50) await sleep(50);
        onReceipt = () => {};
        return {
          sent,
          received,
          sendErrors,
          latenciesMs: Float64Array.from(samples),
          perSec: measuredEnd > measuredStart ? (received / (measuredEnd - measuredStart)) * 1000 : Number.NaN,
        };
      },
      async stop() {
        senderRt.close();
        receiverRt.close();
      },
    },
  };
});
