// A minimal MCP server over stdio (newline-delimited JSON-RPC) with one tool, echo, that exits
// with code 3 right after answering its N-th tool call (N is the first argument, default 2).
// The tests use it to check that Myriad restarts a server that crashes.
'use strict';
const readline = require('readline');

const limit = Number(process.argv[2] || 2);
let calls = 0;

function send(message, then) {
  process.stdout.write(JSON.stringify(message) + '\n', then);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) {
    return;
  }
  const msg = JSON.parse(line);
  if (msg.id === undefined) {
    return; // a notification
  }
  const reply = (result) => ({ jsonrpc: '2.0', id: msg.id, result });
  switch (msg.method) {
    case 'initialize':
      send(reply({
        protocolVersion: msg.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'crashing', version: '1.0.0' },
      }));
      break;
    case 'ping':
      send(reply({}));
      break;
    case 'tools/list':
      send(reply({
        tools: [{
          name: 'echo',
          description: 'Answers with its text and the server process id.',
          inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        }],
      }));
      break;
    case 'tools/call': {
      calls++;
      const text = `echo ${msg.params.arguments.text} from ${process.pid}`;
      send(reply({ content: [{ type: 'text', text }] }), () => {
        if (calls >= limit) {
          process.exit(3);
        }
      });
      break;
    }
    default:
      send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `no method ${msg.method}` } });
  }
});
