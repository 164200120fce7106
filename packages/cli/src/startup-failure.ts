/**
 * Turns an error that stopped `rowcast start` into one readable line that says what to do: a user starting a
 * server needs the fix, not a stack trace. System errors (a port in use, a service not answering) get the fix
 * spelled out; Rowcast's own errors already say it. The stack only when asked for (ROWCAST_DEBUG=1).
 */
export function describeStartupFailure(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (env.ROWCAST_DEBUG) return e?.stack ?? String(err);
  const where = e?.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : '';
  switch (e?.code) {
    case 'EADDRINUSE':
      return `port ${e.port ?? ''} is already in use (${where}): stop what listens there, or choose another port with --port or PORT`;
    case 'EACCES':
      if (e.syscall === 'listen') return `no permission to listen on ${where}: use a port above 1023 (--port or PORT)`;
      break;
    case 'ECONNREFUSED':
      return `nothing answers at ${where}: start that service, or correct its URL (database.url / DATABASE_URL, redis.url / REDIS_URL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host ${e.hostname ?? ''}: correct database.url / DATABASE_URL or redis.url / REDIS_URL`;
    case '28P01':
    case '28000':
      return `PostgreSQL refused the login: ${e.message}; correct the user and password in database.url / DATABASE_URL`;
    case '3D000':
      return `${e.message}: create it, or name an existing database in database.url / DATABASE_URL`;
  }
  const message = err instanceof Error ? err.message : String(err);
  // Rowcast's own errors (ConfigError, ConnectorSetupError, ...) say what to do; anything else may need the stack.
  const known = err instanceof Error && /^(Config|ConnectorConfig|ConnectorSetup)Error$/.test(err.name);
  return known ? message : `${message.replace(/\n/g, ' ')} (ROWCAST_DEBUG=1 prints the stack)`;
}
