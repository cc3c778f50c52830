// clients/python installs as docs/client.md says (`pip install ./clients/python`):
// pyproject.toml builds (offline: Debian's setuptools, no build isolation, no
// dependency download) and the installed package imports with its version and
// its py.typed marker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYTHON } from '../helpers/python.js';

test('pip installs clients/python; the installed odin_client imports and is typed', () => {
  const work = mkdtempSync(join(tmpdir(), 'odin-py-'));
  const target = join(work, 'site');
  // A copy: setuptools writes build/ and *.egg-info beside the sources, which must not land in the checkout.
  const source = join(work, 'src');
  cpSync('clients/python', source, { recursive: true, filter: (path) => !/__pycache__|\.egg-info|\/build$/.test(path) });
  try {
    const pip = spawnSync(PYTHON, ['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-deps', '--no-index', '--target', target, source], {
      encoding: 'utf8',
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    assert.equal(pip.status, 0, `${pip.stdout}${pip.stderr}`);
    assert.ok(existsSync(join(target, 'odin_client', 'py.typed')), 'py.typed is installed');
    const check = spawnSync(PYTHON, ['-c', 'import odin_client, sys; assert odin_client.__file__.startswith(sys.argv[1]); print(odin_client.__version__)', target], {
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { ...process.env, PYTHONPATH: target },
    });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout.trim(), '0.1.0');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
