import type { ServerContext, Stoppable } from './context.js';
import * as apps from './start-apps.js';
import * as rules from './start-rules.js';
import * as connector from './start-connector.js';

/** A component the server starts after the realtime core is up. */
export interface ComponentStarter {
  name: string;
  /** Whether this component needs a database with this config (the server then provides one, embedded if need be). */
  needsDatabase(config: Record<string, unknown>): boolean;
  start(ctx: ServerContext): Promise<Stoppable | undefined>;
}

const hasSection = (name: string) => (config: Record<string, unknown>) => {
  const v = config[name];
  return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
};

/**
 * The components, in start order: apps first (their migrations create the tables the others use), then rules,
 * then the change stream. They stop in reverse order. Adding a component is one line here.
 */
export const components: ComponentStarter[] = [
  { name: 'apps', needsDatabase: hasSection('apps'), start: apps.start },
  { name: 'rules', needsDatabase: hasSection('rules'), start: rules.start },
  { name: 'connector', needsDatabase: connector.needsDatabase, start: connector.start },
];
