// The reference's task names (Taskfile.yml) each run an npm script that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

test('every task of Taskfile.yml runs an npm command whose script exists', () => {
  const taskfile = parse(readFileSync('Taskfile.yml', 'utf8')) as { tasks: Record<string, { cmds: string[] }> };
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  const names = Object.keys(taskfile.tasks);
  for (const expected of ['test:light', 'test:medium', 'test:heavy', 'test:custom', 'monitor:health', 'publisher:start', 'publisher:stop', 'publisher:configure', 'docker:up', 'dev']) {
    assert.ok(names.includes(expected), `the reference's task ${expected}`);
  }
  for (const [name, task] of Object.entries(taskfile.tasks)) {
    assert.ok(task.cmds.length > 0, name);
    for (const cmd of task.cmds) {
      const npm = /npm (?:run ([\w:.-]+)|(start|test|ci))/.exec(cmd);
      assert.ok(npm, `${name}: ${cmd} runs npm`);
      const script = npm[1] ?? npm[2];
      if (script !== 'ci') assert.ok(scripts[script!] !== undefined, `${name}: npm script ${script} exists`);
    }
  }
});
