// A Lambda written the way the original chat function was, kept as it would be deployed: CommonJS in a `.js` file
// (here inside an ESM package, so Node would refuse it as a module), a non-async handler taking a callback it
// never calls, a new database client per call, queries fired with callbacks, and a string returned at once.
const { Client } = require('pg');

exports.handler = (incomingObject, context, callback) => {
  const client = new Client({
    host: process.env.HOST,
    port: process.env.PORT,
    user: process.env.USER,
    password: process.env.PASSWORD,
    database: process.env.DATABASE,
  });
  client.connect();
  const msgPayload = incomingObject.messages[0];
  const msgData = JSON.parse(msgPayload.data);
  if (msgPayload.name === 'chatMsg') {
    const queryText = 'INSERT INTO chat_data(username, msg_id, msg_data, client_id, created_at_timestamp) VALUES($1, $2, $3, $4, $5)';
    const queryValues = [msgData.username, msgPayload.id, msgData.content, msgPayload.clientId, msgPayload.timestamp];
    client.query(queryText, queryValues, (err, res) => {
      if (err) console.log('Error', err.message);
      client.end();
    });
    return `insert done for ${msgPayload.id}`;
  }
  client.end();
  return `nothing to do for ${msgPayload.name}`;
};
