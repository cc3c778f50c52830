// The demo page: a live ticker over the Odin client SDK, loaded unbundled from
// the gateway's /sdk/. DOM updates are gathered into one per animation frame,
// so a fast publisher does not make the page redraw per message.
/* global document, location, requestAnimationFrame, setInterval, URLSearchParams, window */
import { OdinClient } from '/sdk/odin-client.js';
import { showLadder } from '/book-ladder.js';

/** Points kept per sparkline: a minute at one tick per second per token. */
const SPARK_POINTS = 60;
/** How long the demo button keeps the connection down. */
const DROP_MS = 2000;

const params = new URLSearchParams(location.search);
const wsUrl = params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const $ = (id) => document.getElementById(id);

const tokens = new Map(); // tokenId -> { row, cells, history: number[], last }
const dirty = new Set();
const counters = { messages: 0, recovered: 0, reconnects: 0, gaps: 0, resyncs: 0 };
let messagesThisSecond = 0;
let frameQueued = false;
let statistics = null;

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 });

function formatPrice(p) {
  if (p >= 1000) return p.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (p >= 1) return p.toFixed(2);
  return p.toPrecision(4);
}

function rowFor(tokenId) {
  let t = tokens.get(tokenId);
  if (t) return t;
  const body = $('ticker-rows');
  body.querySelector('tr.empty')?.remove();
  const row = document.createElement('tr');
  row.dataset.token = tokenId;
  row.innerHTML =
    `<td class="token"></td><td class="num price"></td><td class="num change"></td>` +
    `<td><svg class="spark" viewBox="0 0 140 32" preserveAspectRatio="none"><polyline points="" vector-effect="non-scaling-stroke"/></svg></td>` +
    `<td class="num volume"></td><td class="num cap"></td>`;
  row.querySelector('.token').textContent = tokenId;
  // Keep rows in a stable alphabetical order.
  const after = [...body.children].find((r) => r.dataset.token > tokenId);
  body.insertBefore(row, after ?? null);
  t = {
    row,
    cells: { price: row.querySelector('.price'), change: row.querySelector('.change'), volume: row.querySelector('.volume'), cap: row.querySelector('.cap'), line: row.querySelector('polyline') },
    history: [],
    last: null,
    direction: 0,
  };
  tokens.set(tokenId, t);
  return t;
}

function onPrice(tick) {
  const t = rowFor(tick.tokenId);
  t.direction = t.last ? Math.sign(tick.price - t.last.price) : 0;
  t.last = tick;
  t.history.push(tick.price);
  if (t.history.length > SPARK_POINTS) t.history.shift();
  dirty.add(t);
  schedule();
}

function sparkPoints(history) {
  if (history.length < 2) return '';
  const min = Math.min(...history);
  const max = Math.max(...history);
  const span = max - min || 1;
  const step = 140 / (SPARK_POINTS - 1);
  const offset = (SPARK_POINTS - history.length) * step;
  return history.map((p, i) => `${(offset + i * step).toFixed(1)},${(30 - ((p - min) / span) * 28).toFixed(1)}`).join(' ');
}

function schedule() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(render);
}

function render() {
  frameQueued = false;
  for (const t of dirty) {
    const tick = t.last;
    t.cells.price.textContent = formatPrice(tick.price);
    const change = tick.priceChange24h;
    t.cells.change.textContent = `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`;
    t.cells.change.className = `num change ${change >= 0 ? 'up' : 'down'}`;
    t.cells.volume.textContent = money.format(tick.volume24h);
    t.cells.cap.textContent = money.format(tick.marketCap);
    t.cells.line.setAttribute('points', sparkPoints(t.history));
    t.cells.line.style.stroke = change >= 0 ? 'var(--up)' : 'var(--down)';
    // The last move's direction colours the price: green up, red down.
    t.row.classList.toggle('tick-up', t.direction > 0);
    t.row.classList.toggle('tick-down', t.direction < 0);
  }
  dirty.clear();
  if (statistics) {
    $('total-cap').textContent = money.format(statistics.totalMarketCap);
    $('total-volume').textContent = money.format(statistics.totalVolume24h);
    $('top-tokens').textContent = statistics.topTokens.map((t) => t.tokenId).join(', ');
  }
  for (const [key, value] of Object.entries(counters)) $(key).textContent = String(value);
}

function showState(state) {
  const el = $('state');
  el.textContent = state;
  el.dataset.state = state;
  el.className = `state state-${state}`;
  $('drop').disabled = state !== 'open';
}

const client = new OdinClient({ url: wsUrl });
client.on('state', showState);
client.on('open', (welcome) => {
  $('session').textContent = welcome.session;
});
client.on('message', () => {
  messagesThisSecond++;
  counters.messages = client.stats.messages;
});
client.on('subscribed', (result) => {
  counters.reconnects = client.stats.reconnects;
  counters.recovered = client.stats.recovered;
  if (result.resumed && result.channel === 'token.*.price') {
    const note = $('last-resume');
    note.dataset.result = result.recovered ? 'recovered' : 'resync';
    note.textContent = result.recovered
      ? `Resumed: ${result.replayed} missed price updates replayed, nothing lost.`
      : 'Resumed, but the history was gone: resynced from the latest prices.';
  }
  schedule();
});
client.on('resync', () => {
  counters.resyncs = client.stats.resyncs;
  schedule();
});
client.on('gap', (gap) => {
  // Never expected: the SDK checks every message's `prev` against the last seq of its channel.
  counters.gaps = client.stats.gaps;
  const note = $('last-resume');
  note.dataset.result = 'gap';
  note.textContent = `Gap on ${gap.channel}: expected prev ${gap.expectedPrev}, got ${gap.prev}.`;
  schedule();
});
client.on('error', (err) => {
  window.console?.warn?.('odin:', err.message);
});

client.subscribe('token.*.price', onPrice);
client.subscribe('market.statistics', (stats) => {
  statistics = stats;
  schedule();
});

// The depth ladder: a verified local book of book.BTC, ten levels a side.
const book = client.book('book.BTC', { depth: 10 });
showLadder(book, $);

$('drop').addEventListener('click', () => client.reconnect({ delayMs: DROP_MS }));

setInterval(() => {
  $('rate').textContent = String(messagesThisSecond);
  messagesThisSecond = 0;
}, 1000);

showState(client.state);
client.connect().catch((err) => showState(`closed: ${err.message}`));
// For the browser test and curious developers.
window.odin = client;
window.odinBook = book;
