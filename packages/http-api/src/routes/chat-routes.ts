import type { RouteHandler } from '../route.js';
import { chatHistory, chatMessageVersions, deleteChatMessage, getChatMessage, sendChatMessage, updateChatMessage } from './chat-messages.js';
import { chatOccupancy } from './chat-occupancy.js';
import { clientReactions, deleteMessageReaction, sendMessageReaction } from './chat-reactions.js';

const ROOM = ['chat', 'v4', 'rooms', '*'];
const MESSAGE = [...ROOM, 'messages', '*'];

/** Ably's Chat REST API v4, the paths @ably/chat 1.4 calls (`*`: the room, then the message serial). */
export const CHAT_ROUTES: Array<{ method: string; pattern: string[]; handler: RouteHandler }> = [
  { method: 'POST', pattern: [...ROOM, 'messages'], handler: sendChatMessage },
  { method: 'GET', pattern: [...ROOM, 'messages'], handler: chatHistory },
  { method: 'GET', pattern: MESSAGE, handler: getChatMessage },
  { method: 'PUT', pattern: MESSAGE, handler: updateChatMessage },
  { method: 'POST', pattern: [...MESSAGE, 'delete'], handler: deleteChatMessage },
  { method: 'GET', pattern: [...MESSAGE, 'versions'], handler: chatMessageVersions },
  { method: 'POST', pattern: [...MESSAGE, 'reactions'], handler: sendMessageReaction },
  { method: 'DELETE', pattern: [...MESSAGE, 'reactions'], handler: deleteMessageReaction },
  { method: 'GET', pattern: [...MESSAGE, 'client-reactions'], handler: clientReactions },
  { method: 'GET', pattern: [...ROOM, 'occupancy'], handler: chatOccupancy },
];
