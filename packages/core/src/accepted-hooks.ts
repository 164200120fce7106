import type { AcceptedEvent, AcceptedHook } from './node-api.js';

/** The hooks run between a publish's acceptance and its acknowledgement (rules), in registration order. */
export class AcceptedHooks {
  private readonly hooks: AcceptedHook[] = [];

  add(hook: AcceptedHook): void {
    this.hooks.push(hook);
  }

  async run(event: AcceptedEvent): Promise<void> {
    for (const hook of this.hooks) await hook(event);
  }
}
