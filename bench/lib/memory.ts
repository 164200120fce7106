import { sleep } from './clock.js';

/**
 * The process's memory after a full garbage collection (the child must run with --expose-gc; without it the
 * figure includes garbage and is noted as such). RSS is what the "memory per connection" divides.
 */
export async function settledMemory(): Promise<NodeJS.MemoryUsage & { gc: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  return { ...process.memoryUsage(), gc: Boolean(gc) };
}
