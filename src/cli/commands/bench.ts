// `odin bench`: placeholder until the benchmark lands.
export async function run(_argv: string[]): Promise<void> {
  process.stderr.write('odin bench: not built yet\n');
  process.exitCode = 2;
}
