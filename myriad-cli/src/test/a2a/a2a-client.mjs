// An A2A conversation with `myriad serve`, driven by the official JavaScript client (@a2a-js/sdk):
//   node a2a-client.mjs BASE_URL API_KEY
// BASE_URL is the node's root (http://127.0.0.1:PORT/). The node exposes two fleets: `helper`
// (answers quickly after one tool call) and `slowpoke` (its model takes a minute). The client
// discovers helper's card, sends a task and reads its result, streams a second task's progress
// to the end, reads it again with getTask, and cancels a task of slowpoke. The SDK speaks A2A
// 1.0 natively; Myriad serves A2A 0.3, which the SDK talks to through its legacy compatibility
// layer (legacyCompat), chosen from the card's protocolVersion.
// Prints one JSON line of results; exits 1 with {"error"} on a failure.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const require = createRequire(new URL('../../../../.ci/npm/package.json', import.meta.url));
const { Role, TaskState } = require('@a2a-js/sdk');
const { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } =
  require('@a2a-js/sdk/client');

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node a2a-client.mjs BASE_URL API_KEY');
  process.exit(2);
}

// Every request carries the API key, as the card's bearer security scheme asks.
const authFetch = (url, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('Authorization', `Bearer ${key}`);
  return fetch(url, { ...init, headers });
};
const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
  transports: [new JsonRpcTransportFactory({ fetchImpl: authFetch, legacyCompat: { enabled: true } })],
  cardResolver: new DefaultAgentCardResolver({ fetchImpl: authFetch, legacyCompat: { enabled: true } }),
}));

const state = s => TaskState[s] ?? String(s);
const text = parts => (parts || []).map(p => p?.content?.$case === 'text' ? p.content.value : '').join('');
const message = words => ({
  messageId: randomUUID(), role: Role.ROLE_USER, parts: [{ content: { $case: 'text', value: words } }],
});
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function until(what, f, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(200);
  }
}
const isFinal = t => ['TASK_STATE_COMPLETED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELED'].includes(state(t.status?.state));

const results = {};
try {
  const helperUrl = new URL('a2a/default/helper', base).toString();
  const raw = await (await fetch(helperUrl + '/.well-known/agent-card.json')).json();
  results.card = { name: raw.name, protocolVersion: raw.protocolVersion, preferredTransport: raw.preferredTransport,
    streaming: raw.capabilities?.streaming, skills: (raw.skills || []).map(s => s.id), scheme: raw.securitySchemes?.bearer?.scheme };
  const unauthenticated = await fetch(helperUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'x' } }) });
  results.unauthenticatedStatus = unauthenticated.status;

  const helper = await factory.createFromUrl(helperUrl + '/');
  const card = await helper.getAgentCard();
  results.clientCard = card.name;

  // 1. Send a task and come back for its result.
  const sent = await helper.sendMessage({ message: message('Summarise order 42.'), configuration: { returnImmediately: true } });
  results.sentKind = sent.status ? 'task' : 'message';
  results.sentState = state(sent.status?.state);
  const done = await until('the first task to end', async () => {
    const t = await helper.getTask({ id: sent.id });
    return isFinal(t) ? t : null;
  });
  results.first = { id: sent.id, state: state(done.status.state), artifact: text(done.artifacts?.[0]?.parts) };

  // 2. Stream a second task's progress to the end.
  const seen = [];
  let streamedId, artifact = '';
  for await (const event of helper.sendMessageStream({ message: message('Check the stock of item 7.') })) {
    const p = event.payload;
    if (p?.$case === 'task') {
      streamedId = p.value.id;
      seen.push(state(p.value.status?.state));
    } else if (p?.$case === 'statusUpdate') {
      seen.push(state(p.value.status?.state) + (text(p.value.status?.message?.parts) ? ': ' + text(p.value.status.message.parts) : ''));
    } else if (p?.$case === 'artifactUpdate') {
      artifact = text(p.value.artifact?.parts);
      seen.push('artifact');
    }
  }
  const streamed = await helper.getTask({ id: streamedId });
  results.streamed = { id: streamedId, events: seen, artifact, state: state(streamed.status.state),
    getTaskArtifact: text(streamed.artifacts?.[0]?.parts) };

  // 3. Cancel a task that is still working.
  const slow = await factory.createFromUrl(new URL('a2a/default/slowpoke/', base).toString());
  const long = await slow.sendMessage({ message: message('Reconcile the ledger.'), configuration: { returnImmediately: true } });
  await until('the slow task to work', async () => state((await slow.getTask({ id: long.id })).status?.state) === 'TASK_STATE_WORKING');
  const cancelled = await slow.cancelTask({ id: long.id });
  const after = await until('the slow task to be canceled', async () => {
    const t = await slow.getTask({ id: long.id });
    return isFinal(t) ? t : null;
  }, 20000);
  results.cancel = { id: long.id, answered: state(cancelled.status?.state), state: state(after.status.state) };
  try {
    await slow.cancelTask({ id: long.id });
    results.cancelAgain = 'accepted';
  } catch (e) {
    results.cancelAgain = String(e.message || e);
  }
  try {
    await helper.getTask({ id: long.id });
    results.otherAgentsTask = 'found';
  } catch (e) {
    results.otherAgentsTask = String(e.message || e);
  }
  console.log(JSON.stringify(results));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack || e), results }));
  process.exit(1);
}
