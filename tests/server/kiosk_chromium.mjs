// Drives the kiosk page (GET /) of a running `parley serve` in headless Chromium with
// playwright-core: a WAV file is the fake microphone; one push-to-talk turn (hold T), then checks
// the transcript, the streamed reply, the latency table, the /events feed, keyboard focus, and
// that Esc stops a turn in flight. Saves a screenshot of the 800x480 page.
// Environment: PARLEY_KIOSK_URL, PARLEY_FAKE_MIC (WAV), PARLEY_SCREENSHOT (PNG path),
// PARLEY_REFS_DIR (node_modules with playwright-core), PARLEY_CHROMIUM (browser executable).
// Exit 0 = pass, 1 = fail, 77 = skipped (prints why).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require(path.join(process.env.PARLEY_REFS_DIR, 'playwright-core')));
} catch (e) {
  console.log('skip: playwright-core is not installed (scripts/reference_tools.sh): ' + e.message);
  process.exit(77);
}

const url = process.env.PARLEY_KIOSK_URL;
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM,
    headless: true,
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--use-file-for-fake-audio-capture=' + process.env.PARLEY_FAKE_MIC,
      '--autoplay-policy=no-user-gesture-required',
      '--disable-gpu',
      '--disable-dev-shm-usage',
    ],
  });
} catch (e) {
  console.log('skip: cannot start chromium: ' + e.message);
  process.exit(77);
}

try {
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    console.log('page console ' + m.type() + ': ' + m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
  const response = await page.goto(url);
  check(response.status() === 200, 'GET / status ' + response.status());
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'events: live',
                             null, { timeout: 15000 });
  check(await page.evaluate(() => document.activeElement.id) === 'talk', 'Talk has focus at load');

  // One push-to-talk turn: hold T while the fake microphone plays the question.
  await page.keyboard.down('t');
  await page.waitForFunction(() => document.getElementById('state').dataset.state === 'listening',
                             null, { timeout: 15000 });
  await page.waitForTimeout(Number(process.env.PARLEY_HOLD_MS || 1500));
  await page.keyboard.up('t');
  const started = Date.now();
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.documentElement.dataset.turn),
                             null, { timeout: 180000 });
  const turnMs = Date.now() - started;
  // The turn's events reach the page through GET /events too (activity list).
  await page.waitForFunction(() => document.getElementById('activity').textContent.includes('turn /v1/converse'),
                             null, { timeout: 10000 }).catch(() => {});
  console.log('kiosk: marks ' + JSON.stringify(await page.evaluate(() =>
    performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]))));
  const result = await page.evaluate(() => ({
    turn: document.documentElement.dataset.turn,
    state: document.getElementById('state').dataset.state,
    transcript: document.getElementById('transcript').textContent,
    reply: document.getElementById('reply').textContent,
    message: document.getElementById('message').textContent,
    latency: document.getElementById('latency').innerText,
    activity: document.getElementById('activity').innerText,
  }));
  console.log('kiosk: turn=' + result.turn + ' after ' + turnMs + ' ms, state=' + result.state);
  console.log('kiosk: transcript=' + JSON.stringify(result.transcript));
  console.log('kiosk: reply=' + JSON.stringify(result.reply.slice(0, 300)));
  console.log('kiosk: latency=' + JSON.stringify(result.latency));
  console.log('kiosk: message=' + JSON.stringify(result.message));
  await page.screenshot({ path: process.env.PARLEY_SCREENSHOT });
  console.log('kiosk: screenshot ' + process.env.PARLEY_SCREENSHOT);
  check(result.turn === 'done', 'turn ended "' + result.turn + '" (' + result.message + ')');
  check(result.transcript.trim() !== '' && result.transcript !== '(nothing heard)', 'transcript empty');
  check(result.reply.trim() !== '', 'reply empty');
  check(result.latency.includes('server: ASR') && result.latency.includes('page: total'),
        'latency table: ' + result.latency);
  check(result.activity.includes('turn /v1/converse'), 'GET /events did not show the turn: ' + result.activity);

  // 800x480 holds everything, even a long reply and transcript, without page scrolling, and the
  // controls stay on screen.
  const layout = await page.evaluate(() => {
    document.getElementById('reply').textContent += ' and then'.repeat(400);
    document.getElementById('transcript').textContent += ' words'.repeat(200);
    const talk = document.getElementById('talk').getBoundingClientRect();
    const stop = document.getElementById('stop').getBoundingClientRect();
    return { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
             talkBottom: talk.bottom, stopRight: stop.right };
  });
  console.log('kiosk: layout ' + JSON.stringify(layout));
  check(layout.width <= 800 && layout.height <= 480 && layout.talkBottom <= 480 && layout.stopRight <= 800,
        'layout overflows 800x480: ' + JSON.stringify(layout));

  // Keyboard only: Tab reaches Stop.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.id) === 'stop', 'Tab moves focus to Stop');

  // Barge-in from the page: a second turn (Talk via keyboard: Shift+Tab, Enter to start and to
  // send), then Esc while it is in flight.
  // Esc is dispatched by a MutationObserver the moment the page marks the turn running (its
  // callback runs before the page can handle any network reply), so a fast server cannot finish
  // the turn first; polling for 'running' raced with it under load.
  await page.evaluate(() => {
    window.parleyEscResult = null;
    const observer = new MutationObserver(() => {
      if (window.parleyEscResult || document.documentElement.dataset.turn !== 'running') return;
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      window.parleyEscResult = { turn: document.documentElement.dataset.turn,
                                 state: document.getElementById('state').dataset.state };
      observer.disconnect();
    });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-turn'] });
  });
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('talk').getAttribute('aria-pressed') === 'true',
                             null, { timeout: 15000 });
  await page.waitForTimeout(Number(process.env.PARLEY_HOLD_MS || 1500));
  await page.keyboard.press('Enter');
  const stopped = await page.waitForFunction(() => window.parleyEscResult, null, { timeout: 15000 });
  const afterStop = await stopped.jsonValue();
  await page.waitForTimeout(500);  // a late frame of the aborted stream must not revive the turn
  afterStop.later = await page.evaluate(() => document.documentElement.dataset.turn + '/' +
                                              document.getElementById('state').dataset.state);
  console.log('kiosk: after Esc ' + JSON.stringify(afterStop));
  check(afterStop.turn === 'stopped' && afterStop.state === 'idle' && afterStop.later === 'stopped/idle',
        'Esc stops the turn: ' + JSON.stringify(afterStop));

  // A turn from another client (a chat completion posted by this script) reaches the page
  // through GET /events: its reply streams into the page and its timing fills the latency table.
  const chat = await fetch(new URL('/v1/chat/completions', url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 12, seed: 3 }),
  });
  const chatBody = await chat.json();
  const chatText = chatBody.choices[0].message.content;
  await page.waitForFunction(() => document.getElementById('latency').innerText.includes('/v1/chat/completions'),
                             null, { timeout: 15000 }).catch(() => {});
  const remote = await page.evaluate(() => ({
    reply: document.getElementById('reply').textContent,
    latency: document.getElementById('latency').innerText,
    state: document.getElementById('state').dataset.state,
  }));
  console.log('kiosk: other client ' + JSON.stringify({ chatText, remote }));
  check(chat.ok && remote.reply === chatText && remote.latency.includes('1st token') && remote.state === 'idle',
        'the chat completion from another client did not show: ' + JSON.stringify({ chatText, remote }));

  const csp = consoleErrors.filter((t) => /Content.Security.Policy|Refused to/i.test(t));
  check(csp.length === 0, 'CSP violations: ' + csp.join(' | '));
  const other = consoleErrors.filter((t) => !csp.includes(t));
  check(other.length === 0, 'console errors: ' + other.join(' | '));
} catch (e) {
  failures.push('exception: ' + (e.stack || e.message));
} finally {
  await browser.close();
}
if (failures.length) {
  console.log('kiosk: FAILED\n  ' + failures.join('\n  '));
  process.exit(1);
}
console.log('kiosk chromium: ok');
