// One continuity verdict (issue 20, finding 11): the same case table runs
// through the SDK (OdinClient over a WebSocket), the load tool's GapDetector
// and the test client (TestClient over a WebSocket), and all three must reach
// the verdict docs/protocol.md states ("Continuity"). Before, on an epoch
// change the SDK reported a gap, the load tool said ok and the test client a
// violation, and the load tool called prev 0 after a message plain ok.
//
// The peer is a scripted WebSocket server sending `welcome`, a `subscribed`
// for whatever is asked, then the case's messages: positions a gateway cannot
// be made to produce on demand (a duplicate, a skipped prev, another epoch).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { verdictOf, classify, type Verdict } from '@odin-gateway/client/continuity';
import type { DataMessage } from '@odin-gateway/client/protocol';
import { GapDetector } from '../../src/load/gap-detector.js';
import { TestClient } from '../helpers/test-client.js';
import { newClient, Recorder } from './client-fixtures.js';

type Step = [seq: number, prev: number, epoch?: string, skipped?: number];
interface Case {
  name: string;
  steps: Step[];
  /** The verdict of each step, as protocol.md states it. */
  verdicts: Verdict[];
}

const CASES: Case[] = [
  { name: 'a chain', steps: [[3, 0], [7, 3], [9, 7]], verdicts: ['ok', 'ok', 'ok'] },
  { name: 'a missing message', steps: [[3, 0], [9, 7], [12, 9]], verdicts: ['ok', 'gap', 'ok'] },
  { name: 'a duplicate, then the chain goes on from the last new one', steps: [[3, 0], [7, 3], [7, 3], [5, 3], [9, 7]], verdicts: ['ok', 'ok', 'duplicate', 'duplicate', 'ok'] },
  { name: 'prev 0 after a message (unknown, not loss)', steps: [[3, 0], [12, 0], [15, 12]], verdicts: ['ok', 'unverified', 'ok'] },
  { name: 'a declared skip (conflation)', steps: [[3, 0], [20, 17, 'e1', 4], [22, 20]], verdicts: ['ok', 'ok', 'ok'] },
  { name: 'another epoch without a resync', steps: [[30, 0], [2, 0, 'e2'], [4, 2, 'e2']], verdicts: ['ok', 'gap', 'ok'] },
  { name: 'another epoch with a lower seq and a linking prev', steps: [[30, 0], [31, 30, 'e2']], verdicts: ['ok', 'gap'] },
];

const CHANNEL = 'verdict.x';
/** The last message of every script, on its own channel: once it arrived, everything before it did. */
const END: DataMessage = { type: 'message', channel: 'verdict.end', seq: 1_000_000, prev: 0, epoch: 'e1', ts: 0, event: 'end', data: null };

function messagesOf(c: Case): DataMessage[] {
  return c.steps.map(([seq, prev, epoch = 'e1', skipped]) => ({ type: 'message', channel: CHANNEL, seq, prev, epoch, ts: 0, event: 'x', data: { seq }, ...(skipped !== undefined ? { skipped } : {}) }));
}

/** Totals a verdict list implies. */
function totals(verdicts: readonly Verdict[]): { gaps: number; duplicates: number; unverified: number; delivered: number } {
  const n = (v: Verdict): number => verdicts.filter((x) => x === v).length;
  return { gaps: n('gap'), duplicates: n('duplicate'), unverified: n('unverified'), delivered: verdicts.length - n('duplicate') };
}

describe('one continuity verdict', () => {
  let server: WebSocketServer;
  let url = '';
  /** The script the next connection is sent. */
  let script: DataMessage[] = [];

  before(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
    server.on('connection', (ws: ServerSocket) => {
      const messages = [...script, END];
      ws.send(JSON.stringify({ type: 'welcome', v: 1, session: 's1', user: null, ping_interval_ms: 25_000, max_frame_bytes: 65_536, exp: null }));
      const sendScript = (): void => {
        for (const m of messages) ws.send(JSON.stringify(m));
      };
      let subscribed = false;
      ws.on('message', (raw) => {
        const request = JSON.parse(raw.toString()) as { type: string; id?: number; channels?: Array<string | { channel: string }> };
        if (request.type !== 'subscribe' || subscribed) return;
        subscribed = true;
        for (const entry of request.channels ?? []) {
          const channel = typeof entry === 'string' ? entry : entry.channel;
          ws.send(JSON.stringify({ type: 'subscribed', id: request.id, channel, replayed: 0, position: { seq: 0, epoch: 'e1' } }));
        }
        sendScript();
      });
      // The test client subscribes to nothing: it is sent the script at once.
      if (scriptWithoutSubscribe) sendScript();
    });
  });
  let scriptWithoutSubscribe = false;
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const c of CASES) {
    describe(c.name, () => {
      it('the shared rule gives the stated verdicts', () => {
        let last: { seq: number; epoch: string } | undefined;
        const got = messagesOf(c).map((m) => {
          const continuity = classify(last, m);
          if (continuity !== 'duplicate') last = { seq: m.seq, epoch: m.epoch };
          return verdictOf(continuity);
        });
        assert.deepEqual(got, c.verdicts);
      });

      it('the load tool (GapDetector) agrees', () => {
        const d = new GapDetector();
        const got = messagesOf(c).map((m) => d.observe(m.channel, m.seq, m.prev, m.epoch, m.skipped));
        assert.deepEqual(got, c.verdicts);
        const t = totals(c.verdicts);
        assert.deepEqual({ gaps: d.gaps, duplicates: d.duplicates, unverified: d.unverified }, { gaps: t.gaps, duplicates: t.duplicates, unverified: t.unverified });
      });

      it('the test client agrees (a gap or a duplicate is a violation; unverified listed apart)', async () => {
        script = messagesOf(c);
        scriptWithoutSubscribe = true;
        const client = await TestClient.connect(url);
        try {
          await client.waitFor(() => client.data.some((m) => m.channel === END.channel), 10_000, 'the end marker');
          const t = totals(c.verdicts);
          assert.equal(client.gaps.length, t.gaps + t.duplicates, client.gaps.join('; '));
          assert.equal(client.unverified.length, t.unverified);
        } finally {
          scriptWithoutSubscribe = false;
          client.close();
        }
      });

      it('the SDK agrees (gap events and stats; duplicates not delivered)', async () => {
        script = messagesOf(c);
        const client = newClient(url, { autoReconnect: false });
        const recorder = new Recorder(client);
        let ended!: () => void;
        const end = new Promise<void>((resolve) => (ended = resolve));
        client.subscribe(CHANNEL, recorder.handler, { latest: false });
        client.subscribe(END.channel, () => ended(), { latest: false });
        try {
          await client.connect();
          await end;
          const t = totals(c.verdicts);
          assert.equal(client.stats.gaps, t.gaps);
          assert.equal(recorder.gaps.length, t.gaps);
          assert.equal(client.stats.duplicates, t.duplicates);
          assert.deepEqual(
            recorder.seqs(CHANNEL),
            messagesOf(c).filter((_, i) => c.verdicts[i] !== 'duplicate').map((m) => m.seq),
          );
          const epochChange = c.steps.some(([, , epoch]) => epoch !== undefined && epoch !== 'e1');
          if (epochChange) assert.ok(recorder.gaps.some((g) => g.kind === 'epoch'), 'an epoch change is reported with kind epoch');
        } finally {
          client.close();
        }
      });
    });
  }
});
