// The original chat Lambda's shape (CommonJS, `exports.handler`, reading `messages[0]` and parsing its data as
// JSON): INSERT on chatMsg, UPDATE on editedMsg. Unlike the original it keeps one pool per process and awaits
// its queries, so a failure is a failed delivery (retried) instead of a log line.
const { Pool } = require('pg');

const pool = new Pool({
  host: process.env.HOST,
  port: process.env.PORT,
  user: process.env.USER,
  password: process.env.PASSWORD,
  database: process.env.DATABASE,
  max: 4,
});

exports.handler = async (incomingObject) => {
  const msgPayload = incomingObject.messages[0];
  const msgData = JSON.parse(msgPayload.data);
  if (msgPayload.name == 'chatMsg') {
    const queryText = 'INSERT INTO chat_data(username, msg_id, msg_data, client_id, created_at_timestamp) VALUES($1, $2, $3, $4, $5)';
    await pool.query(queryText, [msgData.username, msgPayload.id, msgData.content, msgPayload.clientId, msgPayload.timestamp]);
    return 'insert function done';
  } else if (msgPayload.name == 'editedMsg') {
    const queryText = 'UPDATE chat_data SET msg_data = $1, is_edited = $2 WHERE msg_id = $3';
    await pool.query(queryText, [msgData.content, true, msgData.msgIdToEdit]);
    return 'update function done';
  }
  return `nothing to do for ${msgPayload.name}`;
};
