export { registerStartCommand } from './commands/start.js';
