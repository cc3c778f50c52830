// Resume of missed messages, measured end to end on Odin: N messages are
// published while the client is "away", then the client subscribes with the
// position before them; the time runs from sending the subscribe to
// receiving the last replayed message.
import WebSocket from 'ws';
import { LatencyRecorder, type LatencyPercentiles } from '../load/latency-recorder.js';
import type { RunningSystem } from './bench-systems.js';

const CHANNEL = 'bench.resume';

export async function measureResume(system: RunningSystem, missed: number, rounds: number): Promise<LatencyPercentiles> {
  const position = await system.burst(CHANNEL, missed);
  const ws = new WebSocket(system.urlFor([CHANNEL]), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const recorder = new LatencyRecorder();
  let received = 0;
  let roundDone: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (!text.startsWith('{"type":"message"')) return;
    received += 1 + (text.match(/\n/g)?.length ?? 0);
    if (received >= missed) roundDone?.();
  });
  try {
    for (let i = 0; i < rounds; i++) {
      received = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('resume round timed out')), 5000);
        roundDone = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const started = performance.now();
      ws.send(JSON.stringify({ type: 'subscribe', id: i, channels: [{ channel: CHANNEL, since: { seq: position.before, epoch: position.epoch } }] }));
      await done;
      recorder.recordMs(performance.now() - started);
      roundDone = undefined;
    }
  } finally {
    ws.terminate();
  }
  return recorder.percentiles();
}
