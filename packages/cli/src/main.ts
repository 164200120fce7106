import { Command } from 'commander';
import { registerStartCommand } from './commands/start.js';
import { registerConnectorCommand } from './commands/connector.js';
import { registerRulesCommand } from './commands/rules.js';
import { registerStatusCommand } from './commands/status.js';

/** The `rowcast` command line: one file per command under commands/. */
const program = new Command('rowcast').description('Rowcast: self-hosted realtime with the Ably protocol').showHelpAfterError();
registerStartCommand(program);
registerConnectorCommand(program);
registerRulesCommand(program);
registerStatusCommand(program);

await program.parseAsync(process.argv);
