import { z } from 'zod';

/**
 * The `apps` section of rowcast.config.json: applications that plug into Rowcast the way any user's app would -
 * SQL migrations, HTTP routes and static files. Relative paths resolve against the config file's directory.
 */
export const appConfigSchema = z
  .object({
    /** Short name: used in logs, the migrations table and the app's data directory. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    /** Directory of `.sql` files applied once each, in file-name order, and recorded in `rowcast_app_migrations`. */
    migrations: z.string().min(1).optional(),
    /** Module exporting `register(app: AppContext)`, which adds the app's HTTP routes. */
    routes: z.string().min(1).optional(),
    /** Name of the API key the app signs TokenRequests with; defaults to the server's first key. */
    keyName: z.string().min(1).optional(),
    /** Free-form settings handed to `register` as `app.settings`. */
    settings: z.record(z.string(), z.unknown()).default({}),
    static: z
      .object({
        /** URL prefix the files are served under, e.g. `/` or `/chat/`. */
        prefix: z.string().startsWith('/').default('/'),
        dir: z.string().min(1),
        /** Serve index.html for unknown paths (client-side routing). */
        spa: z.boolean().default(false),
        /** Build step run at start when `dir` is missing or older than `inputs` (content hash). */
        build: z
          .object({
            /** Command and arguments, run without a shell in `cwd`, e.g. ["npm", "run", "build"]. */
            command: z.array(z.string().min(1)).min(1),
            cwd: z.string().min(1),
            /** Files and directories (relative to `cwd`) whose content decides whether the build is stale. */
            inputs: z.array(z.string().min(1)).min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const appsConfigSchema = z.array(appConfigSchema).default([]);

export type AppConfig = z.infer<typeof appConfigSchema>;
