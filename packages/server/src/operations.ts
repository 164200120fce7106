import type { RulesEngine } from '@rowcast/rules';
import type { ConnectorState } from '@rowcast/connector-postgres';

/**
 * What the running components expose to the operator views (/metrics, /admin/api, `rowcast status`): each
 * component puts its handle here when it starts. Absent: that component is not configured.
 */
export interface Operations {
  connector?: { state(): ConnectorState };
  rules?: RulesEngine;
  /** The Redis engine of a cluster member: a round trip, and how many times its connection was re-established. */
  redis?: { pingMs(): Promise<number>; reconnects(): number };
}
