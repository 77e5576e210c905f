// Raw TCP helpers for tests that need to control exactly which bytes reach
// the server (headers without a body, slow senders) and from which local
// address (127.0.0.2 is another client on Linux's loopback network).
import { request } from 'node:http';
import { connect } from 'node:net';

/** Connects; resolves with the socket once connected. */
export function open(port, { host = '127.0.0.1', localAddress } = {}) {
  return new Promise((res, rej) => {
    const sock = connect({ host, port, localAddress });
    sock.once('connect', () => res(sock));
    sock.once('error', rej);
  });
}

/**
 * Collects what the server sends until it has sent one whole response (by
 * Content-Length) or closed. Resolves {status, headers, body, closed}.
 */
export function readResponse(sock) {
  return new Promise((res) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed) => {
      if (done) return;
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0 && !closed) return;
      const head = end < 0 ? text : text.slice(0, end);
      const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = end < 0 ? '' : text.slice(end + 4);
      const len = Number(headers['content-length'] ?? -1);
      if (!closed && (len < 0 || Buffer.byteLength(body, 'latin1') < len)) return;
      done = true;
      res({ status: m ? Number(m[1]) : 0, headers, body, closed });
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); finish(false); });
    sock.on('close', () => finish(true));
    sock.on('error', () => { /* the close event follows */ });
    if (sock.destroyed) finish(true); // closed before it was asked: no event will come
  });
}

/** Sends text (headers only, or a whole request) and reads the answer. */
export async function send(port, text, opts = {}) {
  const sock = await open(port, opts);
  const answer = readResponse(sock);
  sock.write(text);
  const r = await answer;
  sock.destroy();
  return r;
}

/** Like s.api, but from a chosen local address. */
export function apiFrom(s, localAddress, path, { method = 'GET', body, token } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (payload) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = request(`${s.url}${path}`, { method, headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = text; }
        resolve({ status: res.statusCode, body: json, headers: new Headers(res.headers), text });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
