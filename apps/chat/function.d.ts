/**
 * The chat's rule function (function.js), a Lambda-style handler: it applies an enveloped batch of chat actions
 * (chatMsg, editedMsg, deletedMsg) to `chat_data` and answers with one result per message.
 */
export declare function handler(event: unknown): Promise<{ results: string[] }>;
