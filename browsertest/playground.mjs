// Drives the web playground in Debian's chromium through playwright-core
// (no downloaded browser), as a user would: run by cmd/converse's
// TestPlaygroundInBrowser against real `converse serve` processes.
//
//   node playground.mjs '{"dev": URL, "keys": URL, "apiKey": "…", "png": PATH, "txt": PATH, "out": DIR}'
//
// dev is a server with the development key (and a script whose rule
// answers "markdown demo" with Markdown); keys one with configured
// principals and a Bedrock API key. Every check waits for what it needs
// with a generous timeout: nothing depends on timing. Each passed check
// prints "ok <name>"; the first failure throws.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const WAIT = { timeout: 90_000 };
const ok = (name) => console.log(`ok ${name}`);

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'converse-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 860 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const pageErrors = [];
async function open(url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // Chrome logs every 4xx answer; the refused calls are on purpose.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(url + '/playground/');
  await page.waitForSelector('body[data-ready=true]', WAIT);
  return page;
}

// turn sends the composer's text and waits for the n-th answer (usage line
// or error) to be complete.
async function turn(page, text) {
  const before = await page.locator('[data-testid=assistant], [data-testid=error]').count();
  await page.fill('#prompt', text);
  await page.click('#send');
  await page.waitForFunction((n) => {
    const all = document.querySelectorAll('[data-testid=assistant], [data-testid=error]');
    if (all.length <= n) return false;
    const last = all[all.length - 1];
    return last.matches('[data-testid=error]') || last.querySelector('[data-testid=usage]').textContent !== '';
  }, before, WAIT);
  return page.locator('[data-testid=assistant], [data-testid=error]').last();
}

const usageRe = /^in (\d+) · out (\d+) · cache read (\d+) · cache write (\d+)/;

try {
  const page = await open(cfg.dev);
  assert.match(await page.textContent('#auth-status'), /Development key test/);
  assert.equal(await page.isHidden('#key-form'), true, 'no key form with the development key');
  assert.equal(await page.inputValue('#model'), 'anthropic.claude-sonnet-4-5-20250929-v1:0');
  await page.waitForSelector('#model-info .badge:text-is("images")', WAIT);
  assert.match(await page.textContent('#model-info'), /backend: builtin/);
  ok('page loads with the development key and the catalogue');

  // Streaming with Markdown: a scripted answer in Markdown, with markup
  // that must stay text.
  await page.fill('#system', 'You are terse.');
  let t = await turn(page, 'Show the markdown demo');
  assert.equal(await t.getAttribute('data-testid'), 'assistant');
  assert.equal(await t.locator('.markdown h3').textContent(), 'Prompt caching');
  assert.equal(await t.locator('.markdown strong').first().textContent(), 'cache point');
  assert.equal(await t.locator('.markdown table td').first().textContent(), 'cacheReadInputTokens');
  assert.equal(await t.locator('.markdown pre code').count(), 1);
  assert.equal(await t.locator('.markdown img, .markdown script').count(), 0, 'model markup is not rendered');
  assert.match(await t.locator('.markdown').first().textContent(), /<img src=x onerror=alert\(1\)>/);
  const usage = await t.locator('[data-testid=usage]').textContent();
  assert.match(usage, usageRe);
  assert.match(usage, /TTFT \d+ ms · [\d.]+ tok\/s · \d+ ms total · server \d+ ms · end_turn$/);
  ok('send + stream: Markdown rendered, HTML kept as text, usage line with TTFT and tok/s');

  // The exact request and the event-stream messages.
  await t.locator('[data-testid=view-raw]').click();
  const raw = JSON.parse(await t.locator('[data-testid=raw-request]').textContent());
  assert.deepEqual(raw.system, [{ text: 'You are terse.' }]);
  assert.equal(raw.messages[0].content[0].text, 'Show the markdown demo');
  const events = (await t.locator('[data-testid=raw-events]').textContent()).split('\n').map((l) => JSON.parse(l));
  const types = events.map((e) => e.headers[':event-type']);
  assert.equal(types[0], 'messageStart');
  assert.ok(types.includes('contentBlockDelta'));
  assert.deepEqual(types.slice(-2), ['messageStop', 'metadata']);
  await t.locator('button[data-code=boto3]').click();
  const py = await t.locator('[data-testid=code]').textContent();
  assert.match(py, /client\.converse_stream\(/);
  assert.match(py, /modelId="anthropic\.claude-sonnet-4-5-20250929-v1:0"/);
  assert.match(py, new RegExp(`endpoint_url="${cfg.dev.replace(/[.]/g, '\\.')}"`));
  await t.locator('button[data-code=Go]').click();
  assert.match(await t.locator('[data-testid=code]').textContent(), /client\.ConverseStream\(ctx, &bedrockruntime\.ConverseStreamInput\{/);
  await t.locator('button[data-code=Go]').click(); // closes the panel
  ok('request/response view and code snippets');

  // Tool round trip with the echo demo tool.
  await page.click('#add-echo');
  t = await turn(page, 'Please echo the words hello world');
  await t.locator('[data-testid=tool-call]').waitFor(WAIT);
  assert.match(await t.locator('[data-testid=tool-call]').textContent(), /tool call echo · tooluse_/);
  assert.match(await t.locator('[data-testid=usage]').textContent(), /tool_use$/);
  const result = t.locator('.tool-result-input');
  assert.match(await result.inputValue(), /"echo":/);
  await result.fill('{"echo": "hello world", "by": "the playground test"}');
  await t.locator('[data-testid=send-tool-results]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=assistant]').length >= 3 &&
    document.querySelector('[data-testid=assistant]:last-of-type [data-testid=usage]')?.textContent !== '', null, WAIT);
  t = page.locator('[data-testid=assistant]').last();
  await t.locator('[data-testid=usage]:not(:empty)').waitFor(WAIT);
  assert.match(await t.locator('.markdown').textContent(), /echo returned \{"by":"the playground test","echo":"hello world"\}/);
  assert.equal(await page.locator('.msg.user .tool-card.result').count(), 1);
  ok('tool round trip: call card, typed result, answer');

  // The README's screenshot: the conversation so far.
  await page.setViewportSize({ width: 1280, height: 1200 });
  await page.evaluate(() => {
    document.querySelector('#settings').scrollTop = 0;
    document.querySelector('#messages').scrollTop = 0;
  });
  await page.screenshot({ path: path.join(cfg.out, 'playground.png') });
  await page.setViewportSize({ width: 1280, height: 860 });
  ok('screenshot playground.png');

  // Image and document attachments.
  await page.click('#clear');
  await page.fill('#tools', '');
  await page.setInputFiles('#file', [cfg.png, cfg.txt]);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=attachment]').length === 2, null, WAIT);
  t = await turn(page, 'What did I attach?');
  const answer = await t.locator('.markdown').textContent();
  assert.match(answer, /You attached a PNG image of 3×2 pixels \(\d+ bytes\) and a TXT document named "release notes v2"/);
  assert.equal(await page.locator('.msg.user img.thumb').count(), 1);
  ok('image and document attachments');

  // Prompt caching: a long system prompt with a checkpoint is written,
  // then read.
  await page.click('#clear');
  await page.fill('#system', 'You answer questions about prompt caching with care and precision. '.repeat(500));
  await page.selectOption('#cache', 'SYSTEM_ONLY');
  t = await turn(page, 'First question');
  let m = usageRe.exec(await t.locator('[data-testid=usage]').textContent());
  assert.ok(Number(m[4]) > 0, `cache write on the first turn: ${m[0]}`);
  t = await turn(page, 'Second question');
  m = usageRe.exec(await t.locator('[data-testid=usage]').textContent());
  assert.ok(Number(m[3]) > 0, `cache read on the second turn: ${m[0]}`);
  await t.locator('[data-testid=view-raw]').click();
  const cached = JSON.parse(await t.locator('[data-testid=raw-request]').textContent());
  assert.deepEqual(cached.system[1], { cachePoint: { type: 'default' } });
  assert.equal(cached.messages.length, 3);
  ok('cache point by strategy, cache write then read in the usage line');

  // A ValidationException is shown with its type, and the failed turn
  // leaves the conversation.
  await page.click('#clear');
  await page.fill('#system', '');
  await page.selectOption('#cache', 'NONE');
  await page.fill('#max-tokens', '999999');
  t = await turn(page, 'Too long an answer');
  assert.equal(await t.getAttribute('data-testid'), 'error');
  assert.equal(await t.locator('[data-testid=error-type]').textContent(), 'ValidationException');
  assert.match(await t.textContent(), /maximum tokens you requested exceeds the model limit of 64000.*\(HTTP 400\)/);
  assert.equal(await page.inputValue('#prompt'), 'Too long an answer', 'the failed text returns to the composer');
  await page.fill('#max-tokens', '');
  ok('ValidationException shown to the user');

  // Converse (not streamed), then the conversation goes on.
  await page.uncheck('#stream');
  t = await turn(page, 'Hello without streaming');
  assert.ok((await t.locator('.markdown').textContent()).trim().length > 0, 'an answer');
  assert.match(await t.locator('[data-testid=usage]').textContent(), /^in \d+ · out \d+ · cache read 0 · cache write 0 · [\d.]+ tok\/s · \d+ ms total/);
  await t.locator('[data-testid=view-raw]').click();
  const res = JSON.parse(await t.locator('[data-testid=raw-response]').textContent());
  assert.equal(res.stopReason, 'end_turn');
  assert.equal(JSON.parse(await t.locator('[data-testid=raw-request]').textContent()).messages.length, 1, 'the failed turn was dropped');
  ok('Converse without streaming');

  // The request log: every call above, the refused one included.
  await page.click('#tab-log');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-row]').length >= 8, null, WAIT);
  const rows = await page.locator('[data-testid=log-row]').allTextContents();
  assert.ok(rows.some((r) => /dev.*Converse.*anthropic\.claude-sonnet-4-5-20250929-v1:0.*builtin.*200 ok/.test(r)), rows.join('\n'));
  assert.ok(rows.some((r) => /ConverseStream.*400 ValidationException/.test(r)), rows.join('\n'));
  await page.screenshot({ path: path.join(cfg.out, 'playground-log.png') });
  ok('request log lists the calls with backend, status and usage');

  // A server with configured principals: no key in the page; the user
  // pastes a Bedrock API key; the request log is not offered.
  const kp = await open(cfg.keys);
  assert.match(await kp.textContent('#auth-status'), /Paste a Bedrock API key/);
  assert.equal(await kp.isVisible('#key-form'), true);
  assert.equal(await kp.isHidden('#tab-log'), true);
  const settings = await kp.evaluate(() => fetch('/playground/api/config').then((r) => r.text()));
  assert.ok(!settings.includes(cfg.apiKey) && !settings.includes('secretAccessKey'), settings);
  t = await turn(kp, 'Hello before any key');
  assert.equal(await t.locator('[data-testid=error-type]').textContent(), 'NoCredentials');
  await kp.fill('#api-key', cfg.apiKey);
  await kp.click('#use-key');
  assert.match(await kp.textContent('#auth-status'), new RegExp(`Bedrock API key …${cfg.apiKey.slice(-4)}`));
  t = await turn(kp, 'Hello with an API key');
  assert.equal(await t.getAttribute('data-testid'), 'assistant');
  assert.ok((await t.locator('.markdown').textContent()).trim().length > 0, 'an answer');
  assert.match(await t.locator('[data-testid=usage]').textContent(), usageRe);
  ok('configured principals: API key pasted, nothing secret in the page');

  assert.deepEqual(pageErrors, [], 'no script errors');
  ok('no script errors');
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
