import { createHmac } from 'node:crypto';
import type { HttpTargetConfig } from '../config.js';
import { unenvelopedRequest } from '../envelope.js';
import { batchOf, DeliveryError, envelopeMeta, envelopeOf, type Delivery, type DeliveryTarget, type TargetOptions } from './target.js';

/** A signing key resolved from its name: Ably signs with the secret and names the key in `X-Ably-Key`. */
export interface SigningKey {
  name: string;
  secret: string;
}

/** Ably's webhook signature: base64 of HMAC-SHA256 over the exact body bytes, keyed with the key's secret. */
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

const ERROR_BODY_PREVIEW = 200;

/**
 * A webhook: each delivery (one item or a batch) is one POST of the envelope (or, not enveloped, the bare data with `x-ably-*`
 * headers), optionally signed. Any non-2xx status, a network error or the timeout is a failed attempt.
 */
export class HttpTarget implements DeliveryTarget {
  private readonly target: HttpTargetConfig;
  private readonly controllers = new Set<AbortController>();

  constructor(
    private readonly opts: TargetOptions,
    private readonly signingKey?: SigningKey,
  ) {
    this.target = opts.rule.target as HttpTargetConfig;
  }

  async deliver(deliveries: Delivery): Promise<void> {
    let body: Buffer;
    let headers: Record<string, string>;
    if (this.opts.rule.enveloped) {
      body = Buffer.from(JSON.stringify(envelopeOf(this.opts, deliveries)), 'utf8');
      headers = { 'content-type': 'application/json', 'x-ably-version': '1.2' };
    } else {
      // config refuses batches for non-enveloped rules, so this is one item
      const [delivery] = batchOf(deliveries);
      ({ body, headers } = unenvelopedRequest(envelopeMeta(this.opts, delivery), delivery.item));
    }
    if (this.signingKey) {
      headers['x-ably-key'] = this.signingKey.name;
      headers['x-ably-signature'] = signBody(body, this.signingKey.secret);
    }
    const request = { ...this.target.headers, ...headers };

    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(new DeliveryError(`timed out after ${this.target.timeoutMs} ms`)), this.target.timeoutMs);
    try {
      const response = await fetch(this.target.url, {
        method: 'POST',
        headers: request,
        body: new Uint8Array(body),
        redirect: 'manual',
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(`HTTP ${response.status} from ${this.target.url}: ${text.slice(0, ERROR_BODY_PREVIEW)}`);
      }
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof DeliveryError) throw reason;
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new DeliveryError(`POST ${this.target.url} failed: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }

  async close(): Promise<void> {
    for (const controller of this.controllers) controller.abort(new DeliveryError('rules stopped'));
  }
}
