// Runs the playground's browser modules in Node for the Go tests
// (js_test.go): reads a JSON job on stdin, writes the JSON result on
// stdout. The Go side judges the results with the server's own verifier,
// event-stream encoder and compilers.
import { sign, sha256js, hmacjs, toHex } from '../static/sigv4.mjs';
import { Decoder } from '../static/eventstream.mjs';
import { render } from '../static/markdown.mjs';
import { boto3, golang, javascript } from '../static/codegen.mjs';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));

async function withoutWebCrypto(fn) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    Object.defineProperty(globalThis, 'crypto', saved);
  }
}

const jobs = {
  // sign: each request signed with WebCrypto and with the JavaScript
  // fallback.
  async sign(reqs) {
    const out = [];
    for (const r of reqs) {
      const args = { ...r, date: new Date(r.date), credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey } };
      const web = await sign(args);
      const js = await withoutWebCrypto(() => sign(args));
      out.push({ webCrypto: web.headers, fallback: js.headers });
    }
    return out;
  },
  // hash: SHA-256 and HMAC of hex inputs by the fallback.
  hash(items) {
    return items.map(({ key, data }) => {
      const d = Buffer.from(data, 'hex');
      return { sha256: toHex(sha256js(d)), hmac: toHex(hmacjs(Buffer.from(key, 'hex'), d)) };
    });
  },
  // decode: the stream in chunks of each size; an error is reported as
  // {error}.
  decode({ stream, chunkSizes }) {
    const bytes = Buffer.from(stream, 'base64');
    return chunkSizes.map((size) => {
      const dec = new Decoder();
      const msgs = [];
      try {
        for (let i = 0; i < bytes.length; i += size) msgs.push(...dec.push(new Uint8Array(bytes.subarray(i, i + size))));
        dec.end();
      } catch (e) {
        return { error: e.message };
      }
      return {
        messages: msgs.map((m) => ({
          headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v instanceof Date ? v.toISOString() : v])),
          payload: Buffer.from(m.payload).toString('utf8'),
        })),
      };
    });
  },
  markdown(inputs) {
    return inputs.map(render);
  },
  codegen(c) {
    return { boto3: boto3(c), go: golang(c), js: javascript(c) };
  },
};

process.stdout.write(JSON.stringify(await jobs[job.kind](job.input)));
