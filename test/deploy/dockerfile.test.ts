// A static lint of the Dockerfile (there is no Docker engine here): multi
// stage on Node 24, production dependencies only at run time, a non-root user,
// no ADD of URLs, COPY sources that exist and are not excluded by
// .dockerignore, EXPOSE matching the ports the CLI and compose use, and the
// odin CLI as entrypoint.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';

const root = repoRoot();

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const start = i + 1;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start}: bad FROM`);
      stages.push({ base: f[1]!, name: f[2], instructions: [] });
      continue;
    }
    if (stages.length === 0) {
      if (op === 'ARG') continue;
      throw new Error(`Dockerfile line ${start}: ${op} before FROM`);
    }
    stages.at(-1)!.instructions.push({ op, args, line: start });
  }
  return stages;
}

/** The source paths of a COPY (not --from) in shell or JSON form. */
function copySources(args: string): { from: string | undefined; sources: string[] } {
  const flags = [...args.matchAll(/--(\w+)=(\S+)/g)];
  const rest = args.replace(/--\w+=\S+\s*/g, '').trim();
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { from: flags.find((f) => f[1] === 'from')?.[2], sources: parts.slice(0, -1) };
}

/** .dockerignore rules (no negations here): does one exclude `path`? */
function ignored(path: string, rules: string[]): boolean {
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '');
  return rules.some((r) => clean === r || clean.startsWith(`${r}/`) || (r.startsWith('*') && clean.endsWith(r.slice(1))));
}

const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(text);
const final = stages.at(-1)!;
const all = stages.flatMap((s) => s.instructions);
const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('is multi-stage on Node 24 (LTS), slim or alpine', () => {
    assert.ok(stages.length >= 2, 'one stage only');
    for (const s of stages) assert.match(s.base, /^node:24(\.\d+)*-(bookworm-slim|slim|alpine[\d.]*)$/, s.base);
    assert.ok(stages.slice(0, -1).every((s) => s.name), 'every build stage is named');
  });

  it('builds with npm ci && npm run build, runs with npm ci --omit=dev', () => {
    const build = stages[0]!.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    assert.match(build, /npm ci\b/);
    assert.match(build, /npm run build\b/);
    const runtime = final.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    assert.match(runtime, /npm ci --omit=dev\b/);
    assert.doesNotMatch(runtime, /npm run build|npm install\b/);
    assert.ok(final.instructions.some((i) => i.op === 'COPY' && /--from=build\b/.test(i.args) && /dist/.test(i.args)), 'the runtime takes dist/ from the build stage');
    assert.ok(final.instructions.some((i) => i.op === 'ENV' && /NODE_ENV=production/.test(i.args)));
  });

  it('the image (production dependencies) has every package src imports, and no socket.io (only the bench peer uses it)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const importers = new Map<string, string[]>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/^import\s(?!type\b)[^'"]*from '([^.'][^']*)'/gm)) {
            const spec = m[1]!;
            if (spec.startsWith('node:')) continue;
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
            importers.set(name, [...(importers.get(name) ?? []), path.slice(root.length + 1)]);
          }
        }
      }
    };
    walk(join(root, 'src'));
    assert.ok(importers.has('ws') && importers.has('socket.io'), 'the import scan finds packages');
    for (const [name, files] of importers) {
      if (name === 'socket.io') continue;
      assert.ok(pkg.dependencies[name], `${name} (imported by ${files.join(', ')}) is not a runtime dependency`);
    }
    for (const name of ['socket.io', 'socket.io-client']) assert.equal(pkg.dependencies[name], undefined, `${name} is a runtime dependency`);
    assert.ok(pkg.devDependencies['socket.io'], 'socket.io (the bench peer) is a dev dependency');
    assert.deepEqual(importers.get('socket.io'), ['src/bench/servers/socketio-server.ts'], 'socket.io is imported only by the bench peer, which bench-systems checks for first');
  });

  it('runs as a non-root user', () => {
    const users = final.instructions.filter((i) => i.op === 'USER');
    assert.ok(users.length > 0, 'no USER in the final stage');
    const last = users.at(-1)!.args.split(':')[0]!;
    assert.ok(!['root', '0'].includes(last), `runs as ${last}`);
    const entry = final.instructions.findIndex((i) => i.op === 'ENTRYPOINT');
    assert.ok(final.instructions.indexOf(users.at(-1)!) < entry, 'USER must come before ENTRYPOINT');
  });

  it('never ADDs a URL (or anything): COPY only', () => {
    assert.deepEqual(all.filter((i) => i.op === 'ADD').map((i) => `line ${i.line}: ADD ${i.args}`), []);
    assert.ok(!/\b(curl|wget)\b/.test(all.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ')), 'no downloads in RUN');
  });

  it("the build stage has every script npm run build runs, copied before it runs", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const needed = [...pkg.scripts.build!.matchAll(/\bnode (scripts\/\S+\.mjs)/g)].map((m) => m[1]!);
    assert.ok(needed.length > 0, 'the build script runs node scripts (the check can fail)');
    const buildStage = stages[0]!.instructions;
    const buildAt = buildStage.findIndex((i) => i.op === 'RUN' && /npm run build\b/.test(i.args));
    const copied = buildStage.slice(0, buildAt).filter((i) => i.op === 'COPY').flatMap((i) => copySources(i.args).sources.map((src) => src.replace(/^\.\//, '').replace(/\/$/, '')));
    for (const script of needed) assert.ok(copied.some((src) => script === src || script.startsWith(`${src}/`)), `${script} is not copied before npm run build`);
  });

  it('COPY sources exist in the build context and are not excluded by .dockerignore', () => {
    const stageNames = new Set(stages.map((s) => s.name));
    for (const i of all.filter((x) => x.op === 'COPY')) {
      const { from, sources } = copySources(i.args);
      if (from) {
        assert.ok(stageNames.has(from), `line ${i.line}: --from=${from} is no stage`);
        continue;
      }
      for (const src of sources) {
        assert.ok(existsSync(join(root, src)), `line ${i.line}: ${src} does not exist`);
        assert.ok(!ignored(src, dockerignore), `line ${i.line}: ${src} is excluded by .dockerignore`);
      }
    }
  });

  it('.dockerignore keeps node_modules, dist, .git and tests out of the context', () => {
    for (const p of ['node_modules', 'dist', '.git', 'test']) assert.ok(ignored(p, dockerignore), `${p} not ignored`);
    for (const p of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'public']) assert.ok(!ignored(p, dockerignore), `${p} must reach the build`);
  });

  it('EXPOSE matches the gateway default port, the publisher port and the compose services', () => {
    const exposed = final.instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.split('/')[0])).sort();
    assert.deepEqual(exposed, [3003, gatewayOptionTable.port.default].sort());
    const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { build?: unknown; environment?: Record<string, string> }> };
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) assert.ok(exposed.includes(Number(s.environment?.PORT)), `${name} listens on ${s.environment?.PORT}, not exposed`);
    }
  });

  it('the entrypoint is the odin CLI that package.json names', () => {
    const entry = final.instructions.find((i) => i.op === 'ENTRYPOINT')!;
    const argv = JSON.parse(entry.args) as string[];
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.deepEqual(argv, ['node', pkg.bin.odin]);
    assert.ok(existsSync(join(root, 'src/cli/main.ts')));
    assert.ok(final.instructions.some((i) => i.op === 'COPY' && i.args.includes('./dist/src')), 'dist/src is copied to where the entrypoint looks');
  });

  it('the parser sees a bad Dockerfile for what it is (the checks can fail)', () => {
    const bad = parseDockerfile('FROM node:18\nADD https://example.invalid/x.tgz /x\nUSER root\nENTRYPOINT ["node"]\n');
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.instructions[0]!.op, 'ADD');
    assert.doesNotMatch(bad[0]!.base, /^node:24/);
    assert.ok(ignored('node_modules/x', ['node_modules']));
    assert.ok(!ignored('src', ['node_modules', 'dist']));
  });
});
