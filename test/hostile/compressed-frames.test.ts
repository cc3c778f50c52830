// Compression from a hostile client: a frame flagged compressed (RSV1) whose
// payload is not deflate data, and RSV1 on a connection that never agreed to
// permessage-deflate. Each gets its close code with a stable counted name;
// the process and a bystander on a live channel notice nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { maskedFrame } from '../../src/bench/raw-websocket.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { Bystander, publishContinuously, rawSocket } from './bystander.js';

const RSV1 = 0x40;
const TEXT = 0x1;

/** Upgrades a raw socket by hand; resolves with the response head. */
async function upgrade(socket: Socket, deflate: boolean): Promise<string> {
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      (deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' : '') +
      '\r\n',
  );
  let head = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve(head.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the upgrade')));
  });
}

/** The close code of the first close frame the server sends (0 if the socket ends without one). */
function closeCodeOf(socket: Socket): Promise<number> {
  let data = Buffer.alloc(0);
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      let at = 0;
      while (at + 2 <= data.length) {
        const length = data[at + 1]! & 0x7f;
        if (length > 125) return; // only small frames are expected before the close
        if (at + 2 + length > data.length) return;
        if ((data[at]! & 0x0f) === 0x8) return resolve(data.readUInt16BE(at + 2));
        at += 2 + length;
      }
    });
    socket.once('close', () => resolve(0));
  });
}

test('an RSV1 frame that is not deflate data closes 1007, RSV1 without deflate agreed 1002, text that is not UTF-8 1007; each counted by a stable name, the bystander untouched', async () => {
  const h = await startTestGateway();
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  try {
    const garbage = await rawSocket(h.port);
    assert.match(await upgrade(garbage, true), /permessage-deflate/i);
    const garbageClosed = closeCodeOf(garbage);
    garbage.write(maskedFrame(TEXT | RSV1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37])));
    assert.equal(await garbageClosed, 1007, 'invalid compressed data');

    const unagreed = await rawSocket(h.port);
    assert.doesNotMatch(await upgrade(unagreed, false), /permessage-deflate/i);
    const unagreedClosed = closeCodeOf(unagreed);
    unagreed.write(maskedFrame(TEXT | RSV1, Buffer.from('{"type":"heartbeat"}')));
    assert.equal(await unagreedClosed, 1002, 'RSV1 without the extension is a protocol error');

    const badText = await rawSocket(h.port);
    await upgrade(badText, false);
    const badTextClosed = closeCodeOf(badText);
    badText.write(maskedFrame(TEXT, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    assert.equal(await badTextClosed, 1007, 'text that is not UTF-8');

    // The server counts a disconnection when its side of the socket has closed, which can follow the close frame the client saw.
    let metrics = await fetchMetrics(h.httpUrl);
    const deadline = Date.now() + 10_000;
    while (metricValue(metrics, 'ws_disconnections_total') < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await fetchMetrics(h.httpUrl);
    }
    assert.equal(metricValue(metrics, 'ws_client_errors_total', { code: 'INVALID_UTF8' }), 1);
    assert.equal(metricValue(metrics, 'ws_disconnections_total', { code: 'INVALID_PAYLOAD' }), 2);
    assert.equal(metricValue(metrics, 'ws_disconnections_total', { code: 'PROTOCOL_ERROR' }), 1);
    assert.equal(metricValue(metrics, 'ws_client_errors_total', { code: 'INVALID_COMPRESSED_DATA' }), 1);
    assert.equal(metricValue(metrics, 'ws_client_errors_total', { code: 'PROTOCOL_ERROR' }), 1);
    await bystander.keepsReceiving(5);
    bystander.assertUnharmed('bad compressed frames');
  } finally {
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});
