// The playground page: builds Converse requests from the settings, signs
// them (SigV4 with the development key or a pasted access key, or a
// Bedrock API key as a bearer token), sends them to this server's own
// Bedrock routes, decodes ConverseStream's event stream as it arrives and
// renders the turn. Nothing here talks to any other origin.

import { sign } from './sigv4.mjs';
import { Decoder, interpret } from './eventstream.mjs';
import { render as renderMarkdown } from './markdown.mjs';
import { boto3, golang, javascript } from './codegen.mjs';

const $ = (sel) => document.querySelector(sel);

// el builds an element; string children become text, never markup.
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const ECHO_TOOL = {
  toolSpec: {
    name: 'echo',
    description: 'Echo the given text back, to try a tool round trip.',
    inputSchema: { json: { type: 'object', properties: { text: { type: 'string', description: 'The text to echo' } }, required: ['text'] } },
  },
};

const IMAGE_FORMATS = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };
const DOC_FORMATS = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'];

const state = {
  config: null,
  creds: null, // {kind: 'sigv4', accessKeyId, secretAccessKey} | {kind: 'bearer', token} | {kind: 'none'}
  messages: [], // the conversation exactly as sent (without cache points)
  attachments: [], // content blocks waiting for the next user message
  busy: false,
  abort: null,
  logTimer: null,
};

// --- Credentials ---

function setupAuth() {
  const a = state.config.auth;
  const status = $('#auth-status');
  const form = $('#key-form');
  if (a.mode === 'dev') {
    state.creds = { kind: 'sigv4', accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
    status.textContent = `Development key ${a.accessKeyId} · SigV4 signed in the browser · ${a.region}`;
    return;
  }
  if (a.mode === 'open') {
    state.creds = { kind: 'none' };
    status.textContent = 'Authentication is off on this server';
    return;
  }
  form.hidden = false;
  status.textContent = 'Paste a Bedrock API key or an access key of a configured principal:';
  const kind = $('#key-kind');
  const sync = () => {
    const sig = kind.value === 'sigv4';
    $('#api-key').hidden = sig;
    $('#access-key-id').hidden = !sig;
    $('#secret-access-key').hidden = !sig;
  };
  kind.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (kind.value === 'sigv4') {
      const id = $('#access-key-id').value.trim();
      const secret = $('#secret-access-key').value.trim();
      if (!id || !secret) return;
      state.creds = { kind: 'sigv4', accessKeyId: id, secretAccessKey: secret };
      status.textContent = `Access key ${id} · SigV4 signed in the browser`;
    } else {
      const token = $('#api-key').value.trim();
      if (!token) return;
      state.creds = { kind: 'bearer', token };
      status.textContent = `Bedrock API key …${token.slice(-4)}`;
    }
    // The key stays in this page's memory only.
    $('#api-key').value = $('#secret-access-key').value = '';
    form.hidden = true;
    status.append(' ', el('button', { type: 'button', class: 'link', text: 'change', onclick: () => { form.hidden = false; } }));
  });
}

// authorize returns the headers that authenticate a request.
async function authorize(method, url, headers, body) {
  const c = state.creds;
  if (!c) throw Object.assign(new Error('Paste a Bedrock API key or an access key first (top right).'), { type: 'NoCredentials' });
  if (c.kind === 'bearer') return { headers: { ...headers, Authorization: `Bearer ${c.token}` } };
  if (c.kind === 'none') return { headers };
  return sign({ method, url, headers, body, credentials: c, region: state.config.auth.region });
}

// --- Settings ---

function currentModel() {
  return $('#model-custom').value.trim() || $('#model').value;
}

function modelInfo(id) {
  const m = state.config.models.find((x) => x.id === id || id.endsWith('.' + x.id) || id.endsWith('/' + x.id));
  return m || null;
}

function setupModels() {
  const sel = $('#model');
  const groups = new Map();
  for (const m of state.config.models) {
    if (!groups.has(m.provider)) groups.set(m.provider, el('optgroup', { label: m.provider }));
    groups.get(m.provider).append(el('option', { value: m.id, text: `${m.name} — ${m.id}` }));
  }
  for (const g of groups.values()) sel.append(g);
  if (state.config.aliases.length) {
    const g = el('optgroup', { label: 'aliases' });
    for (const a of state.config.aliases) g.append(el('option', { value: a.name, text: `${a.name} → ${a.target}` }));
    sel.append(g);
  }
  const exact = state.config.routes.filter((r) => !/[*?]/.test(r.match) && !state.config.models.some((m) => m.id === r.match));
  if (exact.length) {
    const g = el('optgroup', { label: 'routes' });
    for (const r of exact) g.append(el('option', { value: r.match, text: `${r.match} → ${r.backend}` }));
    sel.append(g);
  }
  const preferred = state.config.models.find((m) => m.id === 'anthropic.claude-sonnet-4-5-20250929-v1:0') ||
    state.config.models.find((m) => ['streaming', 'tools', 'images', 'documents'].every((c) => m.capabilities.includes(c)));
  if (preferred) sel.value = preferred.id;
  sel.addEventListener('change', showModelInfo);
  $('#model-custom').addEventListener('input', showModelInfo);
  showModelInfo();
}

function backendOf(id) {
  const alias = state.config.aliases.find((a) => a.name === id);
  if (alias) return alias.backend;
  const m = modelInfo(id);
  if (m) return m.backend;
  const glob = (p, s) => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's').test(s);
  const r = state.config.routes.find((x) => glob(x.match, id));
  return r ? r.backend : '(no route: refused unless the catalogue knows it)';
}

function showModelInfo() {
  const id = currentModel();
  const box = $('#model-info');
  box.replaceChildren();
  const m = modelInfo(id);
  box.append(el('div', { class: 'backend' }, 'backend: ', el('strong', { text: backendOf(id) })));
  if (!m) {
    box.append(el('div', { class: 'muted', text: 'Not in the catalogue: capabilities unknown.' }));
    return;
  }
  const badges = el('div', { class: 'badges' });
  for (const c of m.capabilities) badges.append(el('span', { class: 'badge', text: c }));
  box.append(badges);
  const facts = [];
  if (m.maxOutputTokens) facts.push(`max output ${m.maxOutputTokens} tokens`);
  if (m.minCacheTokens) facts.push(`cache checkpoint ≥ ${m.minCacheTokens} tokens`);
  if (facts.length) box.append(el('div', { class: 'muted', text: facts.join(' · ') }));
  $('#max-tokens').placeholder = m.maxOutputTokens ? `default (≤ ${m.maxOutputTokens})` : 'default';
}

function numberOf(sel) {
  const v = $(sel).value.trim();
  if (!v) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v; // a non-number goes as typed: the server says what is wrong
}

function parseTools() {
  const text = $('#tools').value.trim();
  $('#tools-error').textContent = '';
  if (!text) return [];
  try {
    const v = JSON.parse(text);
    const tools = Array.isArray(v) ? v : [v];
    return tools.map((t) => (t.toolSpec || t.cachePoint ? t : { toolSpec: t }));
  } catch (e) {
    $('#tools-error').textContent = `Tools are not valid JSON: ${e.message}`;
    throw Object.assign(new Error(`The tool definitions are not valid JSON: ${e.message}`), { type: 'InvalidToolsJSON' });
  }
}

function addEchoTool() {
  let tools = [];
  try {
    tools = parseTools();
  } catch {
    return;
  }
  if (!tools.some((t) => t.toolSpec && t.toolSpec.name === 'echo')) tools.push(ECHO_TOOL);
  $('#tools').value = JSON.stringify(tools, null, 2);
}

// buildRequest returns the Converse request body for the conversation so
// far, with the cache strategy's checkpoints placed on a copy.
function buildRequest() {
  const body = {};
  const messages = structuredClone(state.messages);
  const system = $('#system').value.trim() ? [{ text: $('#system').value }] : [];
  const tools = parseTools();
  const ttl = $('#cache-ttl').value;
  const cp = () => ({ cachePoint: ttl ? { type: 'default', ttl } : { type: 'default' } });
  const strategy = $('#cache').value;
  if ((strategy === 'SYSTEM_ONLY' || strategy === 'SYSTEM_AND_TOOLS') && system.length) system.push(cp());
  if ((strategy === 'TOOLS_ONLY' || strategy === 'SYSTEM_AND_TOOLS') && tools.length) tools.push(cp());
  if (strategy === 'CONVERSATION_HISTORY') {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i].role === 'user') {
        messages[i].content.push(cp());
        break;
      }
    }
  }
  body.messages = messages;
  if (system.length) body.system = system;
  const ic = {};
  const maxTokens = numberOf('#max-tokens');
  const temperature = numberOf('#temperature');
  const topP = numberOf('#top-p');
  if (maxTokens !== undefined) ic.maxTokens = maxTokens;
  if (temperature !== undefined) ic.temperature = temperature;
  if (topP !== undefined) ic.topP = topP;
  const stops = $('#stop').value.split('\n').filter((s) => s !== '');
  if (stops.length) ic.stopSequences = stops;
  if (Object.keys(ic).length) body.inferenceConfig = ic;
  if (tools.length) body.toolConfig = { tools };
  let extra = {};
  const extraText = $('#extra').value.trim();
  if (extraText) {
    try {
      extra = JSON.parse(extraText);
    } catch (e) {
      throw Object.assign(new Error(`additionalModelRequestFields is not valid JSON: ${e.message}`), { type: 'InvalidJSON' });
    }
  }
  const topK = numberOf('#top-k');
  if (topK !== undefined) {
    // Each family names top-k its own way (Bedrock's model parameters).
    const provider = (modelInfo(currentModel()) || {}).provider;
    if (provider === 'amazon') extra.inferenceConfig = { ...(extra.inferenceConfig || {}), topK };
    else extra.top_k = topK;
  }
  if (Object.keys(extra).length) body.additionalModelRequestFields = extra;
  return body;
}

// --- Attachments ---

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// documentName makes a file name acceptable as DocumentBlock.name: letters,
// digits, single spaces, hyphens, parentheses, square brackets.
function documentName(file) {
  const stem = file.name.replace(/\.[^.]*$/, '');
  const name = stem.replace(/[^A-Za-z0-9 \-()[\]_]/g, ' ').replace(/\s+/g, ' ').trim();
  return name || 'document';
}

async function attach(files) {
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const ext = (file.name.split('.').pop() || '').toLowerCase();
    let block;
    if (IMAGE_FORMATS[file.type]) {
      block = { image: { format: IMAGE_FORMATS[file.type], source: { bytes: base64(bytes) } } };
    } else if (DOC_FORMATS.includes(ext)) {
      let name = documentName(file);
      // Bedrock refuses two documents of one name in a conversation.
      const used = new Set(state.messages.concat([{ content: state.attachments }]).flatMap((m) => m.content).filter((c) => c.document).map((c) => c.document.name));
      for (let n = 2; used.has(name); n++) name = `${documentName(file)} (${n})`;
      block = { document: { format: ext, name, source: { bytes: base64(bytes) } } };
    } else {
      showNotice(`${file.name}: not an image (png, jpeg, gif, webp) or a document (${DOC_FORMATS.join(', ')}).`);
      continue;
    }
    const url = block.image ? URL.createObjectURL(file) : null;
    state.attachments.push({ block, label: file.name, url });
  }
  renderAttachments();
}

function renderAttachments() {
  const box = $('#attachments');
  box.replaceChildren();
  state.attachments.forEach((a, i) => {
    box.append(el('span', { class: 'chip', 'data-testid': 'attachment' },
      a.url ? el('img', { src: a.url, alt: '' }) : null,
      a.label,
      el('button', { type: 'button', class: 'link', title: 'remove', text: '×', onclick: () => { state.attachments.splice(i, 1); renderAttachments(); } })));
  });
}

function showNotice(text) {
  $('#messages').append(el('div', { class: 'notice', text }));
}

// --- Conversation rendering ---

function shorten(value) {
  // Long base64 strings are shortened for display only.
  return JSON.stringify(value, (k, v) => (k === 'bytes' && typeof v === 'string' && v.length > 120 ? `${v.slice(0, 60)}… (${v.length} base64 characters)` : v), 2);
}

function userBubble(content) {
  const box = el('div', { class: 'msg user' }, el('div', { class: 'role', text: 'user' }));
  for (const c of content) {
    if ('text' in c) box.append(el('div', { class: 'text', text: c.text }));
    else if (c.image) box.append(el('img', { class: 'thumb', alt: 'attached image', src: `data:image/${c.image.format};base64,${c.image.source.bytes}` }));
    else if (c.document) box.append(el('div', { class: 'doc', text: `document: ${c.document.name} (${c.document.format})` }));
    else if (c.toolResult) {
      const r = c.toolResult;
      box.append(el('div', { class: 'tool-card result' }, el('div', { class: 'tool-head', text: `tool result → ${r.toolUseId}${r.status ? ` (${r.status})` : ''}` }),
        el('pre', { text: r.content.map((x) => ('json' in x ? JSON.stringify(x.json, null, 2) : x.text)).join('\n') })));
    }
  }
  $('#messages').append(box);
  return box;
}

// Turn is one assistant answer as it arrives.
class Turn {
  constructor(modelId, request, url, stream) {
    this.modelId = modelId;
    this.request = request;
    this.url = url;
    this.stream = stream;
    this.blocks = []; // {kind: 'text'|'toolUse'|'reasoning', ...}
    this.events = [];
    this.response = null;
    this.root = el('div', { class: 'msg assistant', 'data-testid': 'assistant' },
      el('div', { class: 'role', text: `assistant · ${modelId}` }));
    this.body = el('div', { class: 'blocks' });
    this.usage = el('div', { class: 'usage', 'data-testid': 'usage' });
    this.actions = el('div', { class: 'turn-actions' });
    this.panel = el('div', { class: 'panel', hidden: true });
    this.root.append(this.body, el('div', { class: 'typing', text: '…' }), this.usage, this.actions, this.panel);
    $('#messages').append(this.root);
    this.pending = false;
  }

  block(index, kind) {
    let b = this.blocks[index];
    if (!b) {
      b = this.blocks[index] = { kind, text: '', input: '', signature: '', el: null };
      if (kind === 'toolUse') b.el = el('div', { class: 'tool-card call', 'data-testid': 'tool-call' });
      else if (kind === 'reasoning') b.el = el('details', { class: 'reasoning' }, el('summary', { text: 'reasoning' }), el('div', { class: 'reasoning-text' }));
      else b.el = el('div', { class: 'markdown' });
      // Blocks appear in index order even if they start out of order.
      const after = this.blocks.slice(index + 1).find((x) => x && x.el);
      this.body.insertBefore(b.el, after ? after.el : null);
    }
    return b;
  }

  // draw re-renders changed blocks at most once per frame.
  draw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => this.render());
  }

  // render draws every block now. finish calls it too: a short answer can
  // arrive in one network read, before the next frame, and the answer must
  // be on the page when its usage line appears.
  render() {
    this.pending = false;
    for (const b of this.blocks) {
      if (!b) continue;
      if (b.kind === 'text') b.el.innerHTML = renderMarkdown(b.text); // renderMarkdown escapes all text
      else if (b.kind === 'reasoning') b.el.querySelector('.reasoning-text').textContent = b.text;
      else if (b.kind === 'toolUse') this.drawTool(b);
    }
    $('#messages').scrollTop = $('#messages').scrollHeight;
  }

  drawTool(b) {
    let input = b.input;
    try {
      input = JSON.stringify(JSON.parse(b.input || '{}'), null, 2);
    } catch {
      // still streaming: show the partial JSON as it is
    }
    b.el.replaceChildren(el('div', { class: 'tool-head' }, 'tool call ', el('strong', { text: b.name }), ` · ${b.toolUseId}`), el('pre', { class: 'tool-input', text: input }));
  }

  onEvent(ev) {
    const p = ev.payload || {};
    switch (ev.type) {
      case 'contentBlockStart': {
        const s = p.start || {};
        if (s.toolUse) Object.assign(this.block(p.contentBlockIndex, 'toolUse'), { name: s.toolUse.name, toolUseId: s.toolUse.toolUseId });
        break;
      }
      case 'contentBlockDelta': {
        const d = p.delta || {};
        this.firstToken ??= performance.now();
        if (d.text !== undefined) this.block(p.contentBlockIndex, 'text').text += d.text;
        else if (d.toolUse) this.block(p.contentBlockIndex, 'toolUse').input += d.toolUse.input;
        else if (d.reasoningContent) {
          const b = this.block(p.contentBlockIndex, 'reasoning');
          if (d.reasoningContent.text) b.text += d.reasoningContent.text;
          if (d.reasoningContent.signature) b.signature += d.reasoningContent.signature;
          if (d.reasoningContent.redactedContent) b.redacted = d.reasoningContent.redactedContent;
        }
        break;
      }
      case 'messageStop':
        this.stopReason = p.stopReason;
        break;
      case 'metadata':
        this.usageData = p.usage;
        this.metrics = p.metrics;
        break;
    }
    this.draw();
  }

  // fromResponse fills the turn from a Converse answer.
  fromResponse(res) {
    this.response = res;
    const content = (res.output && res.output.message && res.output.message.content) || [];
    content.forEach((c, i) => {
      if ('text' in c) this.block(i, 'text').text = c.text;
      else if (c.toolUse) Object.assign(this.block(i, 'toolUse'), { name: c.toolUse.name, toolUseId: c.toolUse.toolUseId, input: JSON.stringify(c.toolUse.input) });
      else if (c.reasoningContent) {
        const r = c.reasoningContent.reasoningText || {};
        Object.assign(this.block(i, 'reasoning'), { text: r.text || '', signature: r.signature || '' });
      }
    });
    this.stopReason = res.stopReason;
    this.usageData = res.usage;
    this.metrics = res.metrics;
    this.draw();
  }

  // content is the assistant message to keep in the conversation.
  content() {
    const out = [];
    for (const b of this.blocks) {
      if (!b) continue;
      if (b.kind === 'text' && b.text) out.push({ text: b.text });
      else if (b.kind === 'toolUse') {
        let input = {};
        try {
          input = JSON.parse(b.input || '{}');
        } catch {
          input = {};
        }
        out.push({ toolUse: { toolUseId: b.toolUseId, name: b.name, input } });
      } else if (b.kind === 'reasoning') {
        if (b.redacted) out.push({ reasoningContent: { redactedContent: b.redacted } });
        else out.push({ reasoningContent: { reasoningText: b.signature ? { text: b.text, signature: b.signature } : { text: b.text } } });
      }
    }
    return out;
  }

  finish(start, end) {
    this.render();
    this.root.querySelector('.typing').remove();
    const u = this.usageData || {};
    const parts = [
      `in ${u.inputTokens ?? '?'}`,
      `out ${u.outputTokens ?? '?'}`,
      `cache read ${u.cacheReadInputTokens ?? 0}`,
      `cache write ${u.cacheWriteInputTokens ?? 0}`,
    ];
    if (this.firstToken !== undefined) parts.push(`TTFT ${Math.round(this.firstToken - start)} ms`);
    const genStart = this.firstToken ?? start;
    const secs = (end - genStart) / 1000;
    if (u.outputTokens && secs > 0) parts.push(`${(u.outputTokens / secs).toFixed(1)} tok/s`);
    parts.push(`${Math.round(end - start)} ms total`);
    if (this.metrics && this.metrics.latencyMs !== undefined) parts.push(`server ${this.metrics.latencyMs} ms`);
    if (this.stopReason) parts.push(this.stopReason);
    this.usage.textContent = parts.join(' · ');
    this.addActions();
  }

  addActions() {
    const show = (name, fill) => {
      if (!this.panel.hidden && this.panel.dataset.view === name) {
        this.panel.hidden = true;
        return;
      }
      this.panel.dataset.view = name;
      this.panel.replaceChildren();
      fill(this.panel);
      this.panel.hidden = false;
    };
    const ctx = () => ({ modelId: this.modelId, body: this.request, stream: this.stream, endpoint: location.origin, region: state.config.auth.region });
    const code = (name, gen) => el('button', {
      type: 'button', class: 'small', 'data-code': name, text: name,
      onclick: () => show('code:' + name, (p) => {
        const text = gen(ctx());
        const pre = el('pre', { class: 'code', 'data-testid': 'code', text });
        p.append(el('div', { class: 'panel-head' }, el('strong', { text: `${name}: the same call` }), el('button', { type: 'button', class: 'small', text: 'Copy', onclick: (ev) => copy(text, pre, ev.target) })), pre);
      }),
    });
    this.actions.append(
      el('button', { type: 'button', class: 'small', 'data-testid': 'view-raw', text: 'Request / response', onclick: () => show('raw', (p) => this.fillRaw(p)) }),
      el('span', { class: 'muted', text: 'copy as' }),
      code('boto3', boto3), code('Go', golang), code('JS', javascript),
    );
  }

  fillRaw(p) {
    p.append(el('div', { class: 'panel-head' }, el('strong', { text: `POST ${this.url}` })),
      el('pre', { class: 'raw-request', 'data-testid': 'raw-request', text: shorten(this.request) }));
    if (this.stream) {
      p.append(el('div', { class: 'panel-head' }, el('strong', { text: `${this.events.length} event-stream messages` })),
        el('pre', { class: 'raw-events', 'data-testid': 'raw-events', text: this.events.map((e) => JSON.stringify(e)).join('\n') }));
    } else if (this.response) {
      p.append(el('div', { class: 'panel-head' }, el('strong', { text: 'response' })),
        el('pre', { class: 'raw-response', 'data-testid': 'raw-response', text: shorten(this.response) }));
    } else if (this.errorBody) {
      p.append(el('div', { class: 'panel-head' }, el('strong', { text: 'response' })),
        el('pre', { class: 'raw-response', 'data-testid': 'raw-response', text: this.errorBody }));
    }
  }

  fail(type, message, status) {
    const t = this.root.querySelector('.typing');
    if (t) t.remove();
    this.root.classList.add('error');
    this.root.setAttribute('data-testid', 'error');
    this.body.append(el('div', { class: 'error-line' },
      el('strong', { class: 'error-type', 'data-testid': 'error-type', text: type }), ': ',
      el('span', { class: 'error-message', text: message }),
      status ? el('span', { class: 'muted', text: ` (HTTP ${status})` }) : null));
    this.addActions();
  }
}

async function copy(text, pre, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    // No clipboard API on plain http: select the text for Ctrl+C.
    const r = document.createRange();
    r.selectNodeContents(pre);
    const s = getSelection();
    s.removeAllRanges();
    s.addRange(r);
    button.textContent = 'Selected: press Ctrl+C';
  }
}

// --- Tool calls ---

function toolCards(turn, calls) {
  const box = el('div', { class: 'tool-results', 'data-testid': 'tool-results' });
  const editors = calls.map((c) => {
    const echo = c.name === 'echo';
    const area = el('textarea', { class: 'tool-result-input', rows: 3, placeholder: 'the tool result: JSON or text', 'data-tool': c.name });
    if (echo) area.value = JSON.stringify({ echo: c.input.text !== undefined ? c.input.text : c.input });
    const status = el('select', { class: 'tool-status' }, el('option', { value: '', text: 'success' }), el('option', { value: 'error', text: 'error' }));
    box.append(el('div', { class: 'tool-card answer' },
      el('div', { class: 'tool-head' }, 'result of ', el('strong', { text: c.name }), ` · ${c.toolUseId}`, echo ? el('span', { class: 'muted', text: ' (echo demo: filled in)' }) : null),
      area, el('label', { class: 'muted' }, 'status ', status)));
    return { call: c, area, status };
  });
  const send = el('button', {
    type: 'button', class: 'primary', 'data-testid': 'send-tool-results', text: 'Send tool results',
    onclick: () => {
      const content = [];
      for (const { call, area, status } of editors) {
        const text = area.value.trim();
        if (!text) {
          area.focus();
          area.classList.add('invalid');
          return;
        }
        let result;
        try {
          const v = JSON.parse(text);
          result = v !== null && typeof v === 'object' && !Array.isArray(v) ? [{ json: v }] : [{ text }];
        } catch {
          result = [{ text }];
        }
        const tr = { toolUseId: call.toolUseId, content: result };
        if (status.value) tr.status = status.value;
        content.push({ toolResult: tr });
      }
      box.remove();
      converse(content);
    },
  });
  box.append(send);
  turn.root.append(box);
}

// --- Sending ---

function setBusy(busy) {
  state.busy = busy;
  $('#send').disabled = busy;
  $('#stop-btn').hidden = !busy;
}

function errorOf(res, text) {
  let body = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  const header = res.headers.get('x-amzn-errortype') || '';
  const type = header.split(':')[0] || body.__type || `HTTP ${res.status}`;
  return { type, message: body.message || body.Message || text || res.statusText };
}

// converse sends the user content as the next turn and renders the answer.
async function converse(userContent) {
  if (state.busy) return;
  const modelId = currentModel();
  const stream = $('#stream').checked;
  state.messages.push({ role: 'user', content: userContent });
  const bubble = userBubble(userContent);
  let request;
  try {
    request = buildRequest();
  } catch (e) {
    state.messages.pop();
    bubble.classList.add('failed');
    const t = new Turn(modelId, {}, '', stream);
    t.fail(e.type || 'Error', e.message);
    return;
  }
  const url = `/model/${encodeURIComponent(modelId)}/${stream ? 'converse-stream' : 'converse'}`;
  const turn = new Turn(modelId, request, url, stream);
  const body = JSON.stringify(request);
  setBusy(true);
  const abort = new AbortController();
  state.abort = abort;
  const start = performance.now();
  let ok = false;
  try {
    const { headers } = await authorize('POST', url, { 'Content-Type': 'application/json' }, body);
    const res = await fetch(url, { method: 'POST', headers, body, signal: abort.signal });
    if (!res.ok) {
      const text = await res.text();
      const e = errorOf(res, text);
      turn.errorBody = text;
      turn.fail(e.type, e.message, res.status);
    } else if (stream) {
      ok = await readStream(res, turn);
    } else {
      turn.fromResponse(await res.json());
      ok = true;
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      ok = turn.content().length > 0;
      if (ok) turn.stopReason = 'stopped by you';
      else turn.fail('Stopped', 'You stopped the answer before it began.');
    } else {
      turn.fail(e.type || e.name || 'Error', e.message);
    }
  } finally {
    setBusy(false);
    state.abort = null;
  }
  if (!ok) {
    // The failed user turn leaves the conversation so it can be fixed and
    // sent again; its text goes back to the composer.
    state.messages.pop();
    bubble.classList.add('failed');
    const text = userContent.filter((c) => 'text' in c).map((c) => c.text).join('\n');
    if (text && !$('#prompt').value) $('#prompt').value = text;
    return;
  }
  turn.finish(start, performance.now());
  const content = turn.content();
  state.messages.push({ role: 'assistant', content });
  const calls = content.filter((c) => c.toolUse).map((c) => c.toolUse);
  if (turn.stopReason === 'tool_use' && calls.length) toolCards(turn, calls);
}

// readStream decodes the event stream as it arrives and reports whether it
// ended normally.
async function readStream(res, turn) {
  const reader = res.body.getReader();
  const dec = new Decoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const msg of dec.push(value)) {
      const ev = interpret(msg);
      turn.events.push({ headers: msg.headers, payload: ev.payload ?? ev.raw });
      if (ev.kind !== 'event') {
        turn.fail(ev.type, ev.message);
        return false;
      }
      turn.onEvent(ev);
    }
  }
  dec.end();
  return true;
}

function submit(ev) {
  ev.preventDefault();
  const text = $('#prompt').value;
  if (!text.trim() && !state.attachments.length) return;
  const content = [];
  // Media first, then the question, as Bedrock's examples order them.
  for (const a of state.attachments) content.push(a.block);
  if (text.trim()) content.push({ text });
  $('#prompt').value = '';
  state.attachments = [];
  renderAttachments();
  converse(content);
}

function clearConversation() {
  if (state.abort) state.abort.abort();
  state.messages = [];
  $('#messages').replaceChildren();
}

// --- Request log ---

async function loadLog() {
  const status = $('#log-status');
  const url = '/playground/api/log';
  try {
    const { headers } = await authorize('GET', url, {}, '');
    const res = await fetch(url, { headers, cache: 'no-store' });
    const text = await res.text();
    if (!res.ok) {
      const e = errorOf(res, text);
      status.textContent = `${e.type}: ${e.message}`;
      return;
    }
    const { calls } = JSON.parse(text);
    const rows = calls.map((c) => el('tr', { class: c.outcome === 'ok' ? '' : 'bad', 'data-testid': 'log-row' },
      el('td', { text: new Date(c.time).toLocaleTimeString() }),
      el('td', { text: c.principal || '' }),
      el('td', { text: c.operation }),
      el('td', { text: c.modelId }),
      el('td', { text: c.backend ? c.backend + (c.upstreamModelId && c.upstreamModelId !== c.modelId ? ` (${c.upstreamModelId})` : '') : '—' }),
      el('td', { text: `${c.httpStatus} ${c.outcome}` }),
      el('td', { class: 'num', text: c.totalMs.toFixed(1) }),
      el('td', { class: 'num', text: c.timeToFirstTokenMs !== undefined ? c.timeToFirstTokenMs.toFixed(1) : '' }),
      el('td', { class: 'num', text: c.inputTokens }),
      el('td', { class: 'num', text: c.outputTokens }),
      el('td', { class: 'num', text: c.cacheReadInputTokens }),
      el('td', { class: 'num', text: c.cacheWriteInputTokens })));
    $('#log-table tbody').replaceChildren(...rows);
    status.textContent = `${calls.length} recent calls · ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    status.textContent = e.message;
  }
}

function showView(name) {
  $('#view-chat').hidden = name !== 'chat';
  $('#view-log').hidden = name !== 'log';
  $('#tab-chat').classList.toggle('active', name === 'chat');
  $('#tab-log').classList.toggle('active', name === 'log');
  clearInterval(state.logTimer);
  if (name === 'log') {
    loadLog();
    state.logTimer = setInterval(loadLog, 3000);
  }
}

// --- Start ---

async function main() {
  try {
    const res = await fetch('/playground/api/config', { cache: 'no-store' });
    state.config = await res.json();
  } catch (e) {
    $('#auth-status').textContent = `Could not load the playground's settings: ${e.message}`;
    return;
  }
  setupAuth();
  setupModels();
  $('#tab-chat').addEventListener('click', () => showView('chat'));
  if (state.config.requestLog) {
    $('#tab-log').hidden = false;
    $('#tab-log').addEventListener('click', () => showView('log'));
    $('#log-refresh').addEventListener('click', loadLog);
  }
  $('#composer').addEventListener('submit', submit);
  $('#prompt').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) submit(ev);
  });
  $('#file').addEventListener('change', async (ev) => {
    await attach(Array.from(ev.target.files));
    ev.target.value = '';
  });
  $('#add-echo').addEventListener('click', addEchoTool);
  $('#clear').addEventListener('click', clearConversation);
  $('#stop-btn').addEventListener('click', () => state.abort && state.abort.abort());
  document.body.dataset.ready = 'true';
}

main();
