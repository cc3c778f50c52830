// Finding 10: `odin gateway -addr :17005` used to start on 0.0.0.0:3004 with
// the memory broker and no warning. An unknown or misspelt flag, or a stray
// argument, now exits with status 2, naming it and the closest known flag.
// (No gateway and no bystander here: the process must not start at all.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestFlag, editDistance } from '../../src/config/option-parser.js';
import { startOdin } from '../helpers/child-process.js';

test('edit distance and the closest known flag', () => {
  assert.equal(editDistance('prot', 'port'), 2);
  assert.equal(editDistance('max-conections', 'max-connections'), 1);
  assert.equal(closestFlag('prot', ['port', 'host', 'nats']), 'port');
  assert.equal(closestFlag('max-conn', ['max-connections', 'max-frame-bytes']), 'max-connections', 'a prefix wins');
  assert.equal(closestFlag('jwt-secrte', ['jwt-secret', 'port']), 'jwt-secret');
  assert.equal(closestFlag('zzzzzzzz', ['port', 'host']), undefined, 'nothing close: no suggestion');
});

const cases: Array<{ argv: string[]; message: RegExp }> = [
  { argv: ['gateway', '-addr', ':17005'], message: /unknown option -addr: the reference gateway's flag; use --port/ },
  { argv: ['gateway', '-nats', 'nats://127.0.0.1:4222'], message: /unknown option -nats: the reference gateway's flag; use --nats/ },
  { argv: ['gateway', '-port', '17005'], message: /unknown option -port \(did you mean --port\?\)/ },
  { argv: ['gateway', '--prot', '17005'], message: /unknown option --prot \(did you mean --port\?\)/ },
  { argv: ['gateway', '--max-conections=5'], message: /unknown option --max-conections \(did you mean --max-connections\?\)/ },
  { argv: ['gateway', ':17005'], message: /unexpected argument ":17005"/ },
  { argv: ['dev', '--rat', '5'], message: /unknown option --rat \(did you mean --rate\?\)/ },
  { argv: ['dev', '--jwt-secrte', 'x'], message: /did you mean --jwt-secret\?/ },
  { argv: ['publisher', '--tokns', 'BTC'], message: /did you mean --tokens\?/ },
  { argv: ['load', 'light', '--conections', '5'], message: /did you mean --connections\?/ },
  { argv: ['load', 'light', 'extra'], message: /unexpected argument "extra"/ },
  { argv: ['bench', '--quik'], message: /did you mean --quick\?/ },
];

for (const { argv, message } of cases) {
  test(`odin ${argv.join(' ')} exits with status 2 and names the flag`, async () => {
    const odin = startOdin(argv);
    try {
      // Before the fix these started a gateway and ran on: a start is a failure, not a hang.
      const started = odin.waitForEvent('gateway_started', 20_000).then(() => 'started', () => 'no start');
      const outcome = await Promise.race([odin.exited, started]);
      assert.notEqual(outcome, 'started', 'a gateway started anyway');
      assert.equal(outcome, 2, `exit ${String(outcome)}; stderr: ${odin.stderr}`);
      assert.match(odin.stderr, message);
    } finally {
      odin.kill('SIGKILL');
    }
  });
}
