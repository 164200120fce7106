export * from './ws-transport.js';
export * from './params.js';
export { WsLink } from './ws-link.js';
