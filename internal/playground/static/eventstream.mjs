// Decoder of application/vnd.amazon.eventstream, the framing of
// ConverseStream answers. Each message:
//
//   total length (u32) | headers length (u32) | prelude CRC32 (u32)
//   headers | payload | message CRC32 (u32)
//
// and each header: name length (u8), name, value type (u8), value. Both
// CRCs are checked (IEEE CRC-32, as the SDKs check them).

const decoder = new TextDecoder();

// Messages larger than this are refused, like the SDKs' 16 MiB limit.
export const MAX_MESSAGE_BYTES = 16 << 20;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hexOf(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function decodeHeaders(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers = {};
  let i = 0;
  const need = (n) => {
    if (i + n > bytes.length) throw new Error('event stream: header runs past its section');
  };
  while (i < bytes.length) {
    need(1);
    const nameLen = bytes[i++];
    need(nameLen + 1);
    const name = decoder.decode(bytes.subarray(i, i + nameLen));
    i += nameLen;
    const type = bytes[i++];
    let value;
    switch (type) {
      case 0: value = true; break;
      case 1: value = false; break;
      case 2: need(1); value = dv.getInt8(i); i += 1; break;
      case 3: need(2); value = dv.getInt16(i); i += 2; break;
      case 4: need(4); value = dv.getInt32(i); i += 4; break;
      case 5: need(8); value = dv.getBigInt64(i); i += 8; break;
      case 6:
      case 7: {
        need(2);
        const n = dv.getUint16(i);
        i += 2;
        need(n);
        const raw = bytes.subarray(i, i + n);
        value = type === 7 ? decoder.decode(raw) : raw.slice();
        i += n;
        break;
      }
      case 8: need(8); value = new Date(Number(dv.getBigInt64(i))); i += 8; break;
      case 9: need(16); value = hexOf(bytes.subarray(i, i + 16)); i += 16; break;
      default: throw new Error(`event stream: unknown header value type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}

// decodeMessage decodes one whole message.
export function decodeMessage(bytes) {
  if (bytes.length < 16) throw new Error('event stream: message shorter than its prelude and CRC');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = dv.getUint32(0);
  const headersLen = dv.getUint32(4);
  if (total !== bytes.length) throw new Error('event stream: message length mismatch');
  if (crc32(bytes.subarray(0, 8)) !== dv.getUint32(8)) throw new Error('event stream: prelude CRC mismatch');
  if (crc32(bytes.subarray(0, total - 4)) !== dv.getUint32(total - 4)) throw new Error('event stream: message CRC mismatch');
  if (12 + headersLen > total - 4) throw new Error('event stream: headers run past the message');
  return {
    headers: decodeHeaders(bytes.subarray(12, 12 + headersLen)),
    payload: bytes.slice(12 + headersLen, total - 4),
  };
}

// Decoder turns the chunks of a response body, split anywhere, into
// messages.
export class Decoder {
  constructor() {
    this.buf = new Uint8Array(0);
  }

  // push adds a chunk and returns the messages it completed.
  push(chunk) {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const out = [];
    let off = 0;
    while (this.buf.length - off >= 12) {
      const total = new DataView(this.buf.buffer, this.buf.byteOffset + off, 4).getUint32(0);
      if (total < 16 || total > MAX_MESSAGE_BYTES) throw new Error(`event stream: message length ${total} out of bounds`);
      if (this.buf.length - off < total) break;
      out.push(decodeMessage(this.buf.subarray(off, off + total)));
      off += total;
    }
    this.buf = this.buf.slice(off);
    return out;
  }

  // end reports a stream that stopped inside a message.
  end() {
    if (this.buf.length > 0) throw new Error(`event stream: ${this.buf.length} bytes left after the last message`);
  }
}

// interpret names what a message is: an event (type and JSON payload), an
// exception (type and message), or an error.
export function interpret(msg) {
  const h = msg.headers;
  const text = decoder.decode(msg.payload);
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  switch (h[':message-type']) {
    case 'event':
      return { kind: 'event', type: h[':event-type'], payload: json, raw: text };
    case 'exception':
      return { kind: 'exception', type: h[':exception-type'], message: (json && json.message) || text, payload: json, raw: text };
    default:
      return { kind: 'error', type: h[':error-code'] || 'error', message: h[':error-message'] || text, payload: json, raw: text };
  }
}
