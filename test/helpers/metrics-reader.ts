// Reads one sample from a Prometheus text exposition, e.g.
// metricValue(text, 'ws_client_errors_total', { code: 'INVALID_JSON' }).
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (!ok) continue;
    found = true;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? total : NaN;
}

export async function fetchMetrics(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`);
  return res.text();
}
