// The real `openai` npm client (installed into .refs by scripts/reference_tools.sh) against a
// spawned `parley serve`: chat completions whole and streamed, models list, error mapping.
// Environment: PARLEY_BINARY (the parley executable), PARLEY_TEST_MODEL (a GGUF chat model),
// PARLEY_REFS_DIR (.refs/node_modules). Exit 0 = passed, 77 = skipped, anything else = failed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const SKIP = 77;
const binary = process.env.PARLEY_BINARY;
const model = process.env.PARLEY_TEST_MODEL;
const refs = process.env.PARLEY_REFS_DIR;
const openaiEntry = refs ? `${refs}/openai/index.mjs` : '';
if (!binary || !existsSync(binary)) { console.log(`skipped: parley binary not found (${binary})`); process.exit(SKIP); }
if (!model || !existsSync(model)) { console.log(`skipped: test model not found (${model})`); process.exit(SKIP); }
if (!openaiEntry || !existsSync(openaiEntry)) {
  console.log(`skipped: the openai package is not in ${refs} (run scripts/reference_tools.sh)`);
  process.exit(SKIP);
}
const { default: OpenAI } = await import(pathToFileURL(openaiEntry).href);

const apiKey = 'test-key-' + process.pid;
const server = spawn(binary, ['serve', '--port', '0', '--api-key', apiKey, '--llm', model,
                              '--threads-per-worker', '1', '--model-id', 'parley-test'],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('parley serve did not become ready:\n' + log)), 60000);
  const onData = (data) => {
    log += data.toString();
    const match = log.match(/ready: http:\/\/127\.0\.0\.1:(\d+)/);
    if (match) { clearTimeout(timer); resolve(Number(match[1])); }
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);
  server.on('exit', (code) => reject(new Error(`parley serve exited with ${code}:\n${log}`)));
});

let failed = false;
try {
  const client = new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });

  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id).includes('parley-test'), true);

  const request = {
    model: 'parley-test',
    messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Tell me a story.' }],
    max_tokens: 16, seed: 42, temperature: 0.7,
  };
  const whole = await client.chat.completions.create(request);
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.choices.length, 1);
  assert.equal(whole.choices[0].message.role, 'assistant');
  assert.equal(typeof whole.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(whole.choices[0].finish_reason));
  assert.ok(whole.usage.prompt_tokens > 0);
  assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + whole.usage.completion_tokens);
  assert.ok(whole.usage.completion_tokens <= 16);

  const again = await client.chat.completions.create(request);
  assert.equal(again.choices[0].message.content, whole.choices[0].message.content, 'same seed, same reply');

  const stream = await client.chat.completions.create({ ...request, stream: true,
                                                        stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length === 0) continue;
    text += chunk.choices[0].delta.content ?? '';
    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  }
  assert.ok(chunks >= 2);
  assert.equal(text, whole.choices[0].message.content, 'streamed text equals the whole reply');
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);

  // Errors come back as the client's typed errors.
  await assert.rejects(client.chat.completions.create({ ...request, model: 'gpt-nope' }),
                       (e) => e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(client.chat.completions.create({ ...request, messages: [] }),
                       (e) => e.status === 400 && e.param === 'messages');
  const wrongKey = new OpenAI({ apiKey: 'wrong', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  await assert.rejects(wrongKey.models.list(), (e) => e.status === 401);
  console.log(`openai client: ok (port ${port}, reply ${JSON.stringify(whole.choices[0].message.content)})`);
} catch (error) {
  failed = true;
  console.error(error);
  console.error('server log:\n' + log);
} finally {
  server.kill('SIGTERM');
  const code = await new Promise((resolve) => server.on('exit', (c) => resolve(c)));
  if (code !== 0) { console.error(`parley serve exited with ${code} after SIGTERM`); failed = true; }
}
process.exit(failed ? 1 : 0);
