import { Worker } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { FunctionTargetConfig } from '../config.js';
import { decodeData } from '../envelope.js';
import { batchOf, DeliveryError, envelopeOf, type Delivery, type DeliveryTarget, type TargetOptions } from './target.js';

const WORKER_URL = new URL('./function-worker.mjs', import.meta.url);

/** After a call times out, the worker must answer a ping within this time or it is replaced (a busy loop). */
const LIVENESS_TIMEOUT_MS = 1_000;

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'load-failed'; error: { name: string; message: string; stack?: string } }
  | { type: 'pong'; id: number }
  | { type: 'result'; id: number; ok: boolean; error?: { name: string; message: string; stack?: string } };

interface PendingCall {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One worker thread running the function module. Everything the function does (a throw, a hang, a busy loop, an
 * unhandled rejection) stays inside it: a timed-out call is a failed attempt, and a worker that no longer answers
 * is terminated and replaced by a fresh one on the next call.
 */
class FunctionWorker {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly calls = new Map<number, PendingCall>();
  private readonly pings = new Map<number, () => void>();
  private nextId = 1;
  dead = false;
  /** Set while a timed-out worker is being checked; new calls wait for the verdict. */
  health?: Promise<boolean>;

  constructor(
    modulePath: string,
    private readonly config: FunctionTargetConfig,
    functionName: string,
    env: Record<string, string | undefined>,
    private readonly logger: Logger,
    transaction: WorkerTransaction | undefined,
  ) {
    this.worker = new Worker(WORKER_URL, {
      workerData: { modulePath, handlerName: config.handler, functionName, transaction },
      env,
      stdout: true,
      stderr: true,
      // a function that runs out of memory kills its worker (ERR_WORKER_OUT_OF_MEMORY), not the server
      resourceLimits: { maxOldGenerationSizeMb: config.memoryMb },
    });
    this.worker.unref();
    // The function's console output goes to the server's log, tagged with the rule, like Lambda's to CloudWatch.
    this.pipeLines(this.worker.stdout, 'info');
    this.pipeLines(this.worker.stderr, 'warn');

    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'load-failed') {
          reject(new DeliveryError(`cannot load function ${modulePath}: ${message.error.message}`));
          void this.terminate('load failed');
        } else if (message.type === 'pong') this.pings.get(message.id)?.();
        else if (message.type === 'result') this.settle(message);
      });
      this.worker.on('error', (err) => {
        reject(err);
        this.fail(new DeliveryError(`function worker crashed: ${err.message}`));
      });
      this.worker.on('exit', (code) => {
        reject(new DeliveryError(`function worker exited with code ${code} before loading`));
        this.fail(new DeliveryError(`function worker exited with code ${code}`));
      });
    });
    this.ready.catch(() => {});
  }

  /** `seqs`: the batch's queue items, which a transactional call removes in its transaction. */
  call(event: unknown, deliveryId: string, attempt: number, seqs: number[]): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new DeliveryError(`function timed out after ${this.config.timeoutMs} ms`));
        this.health ??= this.checkAlive();
      }, this.config.timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      this.worker.postMessage({ type: 'invoke', id, event, deliveryId, attempt, seqs, timeoutMs: this.config.timeoutMs });
    });
  }

  async terminate(reason: string): Promise<void> {
    if (this.dead) return;
    this.fail(new DeliveryError(`function worker stopped: ${reason}`));
    await this.worker.terminate();
  }

  private settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const call = this.calls.get(message.id);
    if (!call) return; // it timed out already; the late result is dropped
    this.calls.delete(message.id);
    clearTimeout(call.timer);
    if (message.ok) call.resolve();
    else {
      const err = new DeliveryError(`function threw ${message.error?.name ?? 'Error'}: ${message.error?.message ?? 'unknown error'}`);
      call.reject(err);
    }
  }

  /**
   * A worker stuck in synchronous code cannot answer a ping: it is terminated so later calls go to a fresh one
   * instead of queueing behind the busy loop. Resolves true when the worker answered.
   */
  private async checkAlive(): Promise<boolean> {
    if (this.dead) return false;
    const id = this.nextId++;
    const alive = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), LIVENESS_TIMEOUT_MS);
      this.pings.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.worker.postMessage({ type: 'ping', id });
    });
    this.pings.delete(id);
    this.health = undefined;
    if (!alive) {
      this.logger.warn('function worker does not respond after a timeout; replacing it');
      await this.terminate('unresponsive after a timeout');
    }
    return alive;
  }

  private fail(err: Error): void {
    this.dead = true;
    for (const call of this.calls.values()) {
      clearTimeout(call.timer);
      call.reject(err);
    }
    this.calls.clear();
  }

  private pipeLines(stream: Readable, level: 'info' | 'warn'): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.logger[level]({ fn: 'output' }, line));
  }
}

/** Where a transactional function's calls remove their items (see FunctionTargetConfig.transaction). */
export interface WorkerTransaction {
  databaseUrl: string;
  queueTable: string;
  /**
   * Longest a transaction may sit idle, or a statement run, before PostgreSQL ends it: twice the call's timeout,
   * so only a call given up on long ago loses its transaction (and the lane is not held by its locks).
   */
  openForMs: number;
}

/**
 * A Lambda-style function target: `handler(event, context)` from an ESM or CommonJS module, loaded once in a
 * worker thread. With `enveloped` the event is Ably's envelope, otherwise the message's decoded data. With
 * `transaction`, each call and the removal of its items from the queue are one transaction (function-worker.mjs).
 */
export class FunctionTarget implements DeliveryTarget {
  private readonly config: FunctionTargetConfig;
  private worker?: FunctionWorker;
  private closed = false;

  constructor(
    private readonly opts: TargetOptions,
    private readonly modulePath: string,
    private readonly env: Record<string, string | undefined>,
    /** The queue's database and table, for a rule with `transaction: true`. */
    private readonly queue?: { databaseUrl: string; table: string },
  ) {
    this.config = opts.rule.target as FunctionTargetConfig;
  }

  /** Loads the module now, so a missing file or a syntax error stops the server at start with a clear message. */
  async start(): Promise<void> {
    await this.current().ready;
  }

  async deliver(deliveries: Delivery, attempt: number): Promise<void> {
    const batch = batchOf(deliveries);
    if (this.closed) throw new DeliveryError('rules stopped');
    let worker = this.current();
    if (worker.health) {
      await worker.health;
      worker = this.current();
    }
    await worker.ready;
    // non-enveloped rules are never batched (config), so their event is the one item's data
    const event = this.opts.rule.enveloped ? envelopeOf(this.opts, batch) : decodeData(batch[0].item);
    // context.awsRequestId: the first item's id, stable across the attempts of a batch
    // a transactional call removes its items itself, so the lane hands it stored items only (RuleLane)
    const seqs = batch.flatMap((item) => (item.seq === undefined ? [] : [item.seq]));
    if (this.queue && seqs.length < batch.length) throw new DeliveryError('a transactional call needs stored items');
    await worker.call(event, batch[0].deliveryId, attempt, seqs);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate('rules stopped');
  }

  private current(): FunctionWorker {
    if (!this.worker || this.worker.dead) {
      const transaction =
        this.config.transaction && this.queue
          ? { databaseUrl: this.queue.databaseUrl, queueTable: this.queue.table, openForMs: 2 * this.config.timeoutMs }
          : undefined;
      this.worker = new FunctionWorker(this.modulePath, this.config, this.opts.rule.id, this.env, this.opts.logger, transaction);
    }
    return this.worker;
  }
}
