// The real `openai` npm client against the audio routes of a running server: speech (wav, pcm,
// flac, opus), transcription (json, text, verbose_json with words and segments, srt, vtt) of the
// speech it just received, and the error objects the client turns into typed errors.
// Environment: PARLEY_TEST_PORT (a server on 127.0.0.1 with an ASR model and a voice loaded),
// PARLEY_REFS_DIR (.refs/node_modules). Exit 0 = passed, 77 = skipped, anything else = failed.
// Run by tests/server/audio_routes_test.cc (AudioHttp.RealOpenAiClient) against its in-process
// server.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const SKIP = 77;
const port = Number(process.env.PARLEY_TEST_PORT);
const refs = process.env.PARLEY_REFS_DIR;
const openaiEntry = refs ? `${refs}/openai/index.mjs` : '';
if (!port) { console.log('skipped: PARLEY_TEST_PORT is not set'); process.exit(SKIP); }
if (!openaiEntry || !existsSync(openaiEntry)) {
  console.log(`skipped: the openai package is not in ${refs} (run scripts/reference_tools.sh)`);
  process.exit(SKIP);
}
const { default: OpenAI, toFile } = await import(pathToFileURL(openaiEntry).href);

const client = new OpenAI({ apiKey: 'unused', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });

function wavInfo(bytes) {
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WAVE');
  return { rate: bytes.readUInt32LE(24), channels: bytes.readUInt16LE(22), bits: bytes.readUInt16LE(34),
           samples: (bytes.length - 44) / 2 };
}

try {
  const input = 'Hello from Parley. The kitchen timer is set for ten minutes.';
  const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input,
                                                    response_format: 'wav' });
  const wav = Buffer.from(await speech.arrayBuffer());
  const info = wavInfo(wav);
  assert.equal(info.channels, 1);
  assert.equal(info.bits, 16);
  const seconds = info.samples / info.rate;
  assert.ok(seconds > 1 && seconds < 20, `speech lasts ${seconds} s`);

  const pcm = Buffer.from(await (await client.audio.speech.create(
      { model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' })).arrayBuffer());
  assert.ok(Math.abs(pcm.length / 2 - info.samples) < 50, 'pcm is the wav without its header');
  const flac = Buffer.from(await (await client.audio.speech.create(
      { model: 'tts-1', voice: 'nova', input, response_format: 'flac' })).arrayBuffer());
  assert.equal(flac.subarray(0, 4).toString('latin1'), 'fLaC');
  const opus = Buffer.from(await (await client.audio.speech.create(
      { model: 'tts-1', voice: 'nova', input, response_format: 'opus', speed: 1.5 })).arrayBuffer());
  assert.equal(opus.subarray(0, 4).toString('latin1'), 'OggS');

  const file = () => toFile(wav, 'speech.wav', { type: 'audio/wav' });
  const json = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
  assert.equal(typeof json.text, 'string');
  const verbose = await client.audio.transcriptions.create({
    file: await file(), model: 'whisper-1', response_format: 'verbose_json',
    timestamp_granularities: ['word', 'segment'] });
  assert.equal(verbose.task, 'transcribe');
  assert.ok(Math.abs(verbose.duration - seconds) < 0.01, `duration ${verbose.duration} vs ${seconds}`);
  assert.equal(verbose.text, json.text);
  assert.ok(Array.isArray(verbose.segments) && Array.isArray(verbose.words));
  for (const s of verbose.segments) assert.ok(s.start <= s.end && s.end <= verbose.duration + 0.001);
  const text = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1',
                                                         response_format: 'text' });
  assert.equal(String(text).trim(), json.text);
  const vtt = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1',
                                                        response_format: 'vtt' });
  assert.ok(String(vtt).startsWith('WEBVTT'));
  const srt = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1',
                                                        response_format: 'srt' });
  assert.equal(typeof srt, 'string');

  // Errors arrive as the client's typed errors, with the OpenAI error object's fields.
  await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '' }),
                       (e) => e.status === 400 && e.param === 'input');
  await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, speed: 9 }),
                       (e) => e.status === 400 && e.param === 'speed');
  await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'nobody', input }),
                       (e) => e.status === 400 && e.code === 'unknown_voice');
  await assert.rejects(client.audio.transcriptions.create(
                           { file: await toFile(Buffer.from('not audio'), 'x.wav'), model: 'whisper-1' }),
                       (e) => e.status === 400 && e.param === 'file' && /x\.wav/.test(e.message));
  console.log(`openai audio client: ok (${seconds.toFixed(2)} s of speech, transcript ` +
              `${JSON.stringify(json.text.slice(0, 40))}, ${verbose.segments.length} segments)`);
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
