import Ably from 'ably';
import { messagesOf } from './outgoing.js';
import type { Publisher, RowMessage } from './publisher.js';

/**
 * Publishes through the REST API with the `ably` SDK, so the same code works against a Rowcast instance and the
 * hosted service. The SDK keeps our explicit message ids (idempotent publishing) and enforces the size limit
 * client-side, which the batching respects. Consecutive publishes to a channel travel together in one batch
 * publish (`POST /messages`), which the server applies in order.
 */
export function restPublisher(opts: { endpoint?: string; apiKey: string; maxMessageSize: number }): Publisher {
  const rest = new Ably.Rest({
    key: opts.apiKey,
    ...(opts.endpoint ? endpointOptions(opts.endpoint) : {}), // none: the hosted service, like the original
    useBinaryProtocol: false,
    idempotentRestPublishing: true,
    maxMessageSize: opts.maxMessageSize,
    logLevel: 0,
  } as Ably.ClientOptions);
  return {
    maxMessageSize: opts.maxMessageSize,
    maxBatchBytes: opts.maxMessageSize,
    maxSeries: { count: MAX_SERIES, bytes: MAX_SERIES_BYTES },
    async publish(channel, batch) {
      await rest.channels.get(channel).publish(messagesOf(batch) as Ably.Message[]);
    },
    // One batch-publish request carries many publishes of the channel: one round trip instead of one each.
    async publishSeries(channel, batches) {
      const answers = await rest.batchPublish(batches.map((batch) => ({ channels: [channel], messages: messagesOf(batch) as Ably.Message[] })));
      let accepted = 0;
      for (const answer of answers) {
        const failure = answer.results.find((r) => 'error' in r) as Ably.BatchPublishFailureResult | undefined;
        if (failure) {
          if (accepted === 0) throw failure.error;
          break;
        }
        accepted++;
      }
      return accepted;
    },
    mutable: {
      async create(channel, message) {
        const result = await rest.channels.get(channel).publish(asJson(message));
        return result.serials[0] ?? null;
      },
      async update(channel, serial, message) {
        await rest.channels.get(channel).updateMessage({ ...asJson(message), id: undefined, serial });
      },
      async delete(channel, serial, message) {
        await rest.channels.get(channel).deleteMessage({ ...asJson(message), id: undefined, serial });
      },
      async findSerial(channel, id) {
        let page: Ably.PaginatedResult<Ably.Message> | null = await rest.channels.get(channel).history({ limit: 1000 });
        for (let pages = 0; page && pages < FIND_SERIAL_PAGES; pages++, page = page.hasNext() ? await page.next() : null) {
          const found = page.items.find((m) => m.id === id);
          if (found) return found.serial;
        }
        return undefined;
      },
    },
    async close() {},
  };
}

/** How far back a re-sent create's original is looked for: its crash window is seconds, not thousands of messages. */
const FIND_SERIAL_PAGES = 5;

/** A row message as the SDK sends it: the JSON text with `encoding: json`, so subscribers receive an object. */
function asJson(message: RowMessage): Ably.Message {
  return { id: message.id, name: message.name, data: message.data, encoding: 'json' };
}

/** Publishes per batch-publish request, within the 100 channels a Rowcast (and Ably) batch request may address. */
const MAX_SERIES = 100;
const MAX_SERIES_BYTES = 1024 * 1024;

/**
 * `http://host:port` and `https://host[:port]` set host, port and TLS; anything else is passed as Ably's
 * `endpoint` (a host name with a dot, or a routing policy such as `main` for the hosted service).
 */
export function endpointOptions(endpoint: string): Partial<Ably.ClientOptions> {
  if (!/^https?:\/\//i.test(endpoint)) return { endpoint };
  const url = new URL(endpoint);
  const tls = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // The SDK takes `endpoint` as a host only with a dot, "::" or "localhost"; a bare name ("rowcast" in a compose
  // network) would be read as a routing policy, so it goes in restHost instead.
  const verbatim = host === 'localhost' || host.includes('.') || host.includes(':');
  const where = verbatim ? { endpoint: host } : { restHost: host };
  return tls ? { ...where, tls: true, tlsPort: port } : { ...where, tls: false, port };
}
