// AWS Signature Version 4 for the browser, as the AWS SDKs sign Bedrock
// Runtime calls: canonical request over the double-encoded path, the
// sorted query, host, x-amz-date, x-amz-content-sha256 and every header
// given, then the HMAC-SHA256 key chain of the credential scope.
//
// WebCrypto does the hashing where the page has it (https, localhost); on
// plain http to another host the browser hides crypto.subtle, so a small
// SHA-256 in JavaScript takes over.

const encoder = new TextEncoder();

export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function asBytes(data) {
  if (data == null) return new Uint8Array(0);
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('sigv4: body must be a string, Uint8Array or ArrayBuffer');
}

function subtle() {
  return globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;
}

export async function sha256(data) {
  const b = asBytes(data);
  const s = subtle();
  if (s) return new Uint8Array(await s.digest('SHA-256', b));
  return sha256js(b);
}

export async function hmacSha256(key, data) {
  const k = asBytes(key);
  const d = asBytes(data);
  const s = subtle();
  if (s) {
    const ck = await s.importKey('raw', k, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await s.sign('HMAC', ck, d));
  }
  return hmacjs(k, d);
}

// --- SHA-256 (FIPS 180-4) and HMAC (RFC 2104) without WebCrypto ---

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x, n) => (x >>> n) | (x << (32 - n));

export function sha256js(msg) {
  const len = msg.length;
  const padded = new Uint8Array((((len + 9) + 63) >> 6) << 6);
  padded.set(msg);
  padded[len] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, Math.floor(len / 0x20000000)); // high bits of len*8
  dv.setUint32(padded.length - 4, (len << 3) >>> 0);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = dv.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(4 * i, H[i]);
  return out;
}

export function hmacjs(key, data) {
  let k = key.length > 64 ? sha256js(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256js(inner), 64);
  return sha256js(outer);
}

// --- Signing ---

// uriEncode percent-encodes every byte but the unreserved characters (and
// '/' when keepSlash), upper-case hex, as SigV4 requires.
export function uriEncode(s, keepSlash) {
  let out = '';
  for (const b of encoder.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// amzDate formats a Date as 20060102T150405Z.
export function amzDate(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function canonicalQuery(search) {
  const params = [];
  for (const [k, v] of new URLSearchParams(search)) params.push([uriEncode(k, false), uriEncode(v, false)]);
  params.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return params.map(([k, v]) => k + '=' + v).join('&');
}

// sign returns the headers to send: those given plus X-Amz-Date,
// X-Amz-Content-Sha256 (and X-Amz-Security-Token) and Authorization. The
// Host header is signed but not returned: the browser sets it from url.
// It also returns the canonical request and string to sign, for display.
export async function sign({ method, url, headers = {}, body, credentials, region, service = 'bedrock', date = new Date() }) {
  const u = new URL(url, globalThis.location ? globalThis.location.href : undefined);
  const when = amzDate(date);
  const day = when.slice(0, 8);
  const payloadHash = toHex(await sha256(body));
  const out = {};
  for (const [k, v] of Object.entries(headers)) out[k] = String(v);
  out['X-Amz-Date'] = when;
  out['X-Amz-Content-Sha256'] = payloadHash;
  if (credentials.sessionToken) out['X-Amz-Security-Token'] = credentials.sessionToken;
  const signed = { host: u.host };
  for (const [k, v] of Object.entries(out)) signed[k.toLowerCase()] = v.trim().replace(/ +/g, ' ');
  const names = Object.keys(signed).sort();
  const signedHeaders = names.join(';');
  // URL.pathname keeps the escapes the caller wrote (%3A in a model ID);
  // encoding it again is the double encoding every service but S3 uses.
  const canonicalRequest = [
    method.toUpperCase(),
    uriEncode(u.pathname || '/', true),
    canonicalQuery(u.search),
    names.map((n) => n + ':' + signed[n] + '\n').join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', when, scope, toHex(await sha256(canonicalRequest))].join('\n');
  let key = await hmacSha256('AWS4' + credentials.secretAccessKey, day);
  key = await hmacSha256(key, region);
  key = await hmacSha256(key, service);
  key = await hmacSha256(key, 'aws4_request');
  const signature = toHex(await hmacSha256(key, stringToSign));
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: out, canonicalRequest, stringToSign };
}
