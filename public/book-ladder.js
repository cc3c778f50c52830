// The demo's depth ladder: book.BTC through the SDK's client.book(), which
// verifies every message's checksum and resubscribes by itself after a
// mismatch or a resume that could not recover. Asks above (best, lowest, at
// the bottom), bids below (best, highest, at the top); redrawn at most once
// per animation frame.
/* global document, requestAnimationFrame */

const LEVELS = 10;

/** Shows `view` (a BookView) in the elements of the ladder card. */
export function showLadder(view, $) {
  let queued = false;
  const render = () => {
    queued = false;
    const asks = view.asks.slice(0, LEVELS).reverse();
    const bids = view.bids.slice(0, LEVELS);
    const maxQty = Math.max(1e-12, ...asks.map((l) => Number(l[1])), ...bids.map((l) => Number(l[1])));
    const rows = [];
    // Built with the DOM, not innerHTML: the page's CSP allows no inline style attributes (CSSOM is fine).
    for (const [side, levels] of [['ask', asks], ['bid', bids]]) {
      for (const [price, qty] of levels) rows.push(levelRow(side, price, qty, Number(qty) / maxQty));
      if (side === 'ask') rows.push(spreadRow(view));
    }
    $('ladder-rows').replaceChildren(...rows);
    const ladder = $('ladder');
    ladder.dataset.verified = String(view.verified);
    $('book-state').textContent = view.verified ? 'verified' : 'waiting for a snapshot';
    $('book-state').className = `state ${view.verified ? 'state-open' : 'state-reconnecting'}`;
    $('book-verified').textContent = String(view.stats.verified);
    $('book-mismatches').textContent = String(view.stats.mismatches);
    $('book-resyncs').textContent = String(view.stats.resyncs);
    $('book-checksum').textContent = view.verified ? String(view.checksum) : '–';
  };
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(render);
  };
  view.on('update', schedule);
  view.on('resync', schedule);
  schedule();
}

function levelRow(side, price, qty, share) {
  const row = document.createElement('tr');
  row.className = side;
  for (const text of [price, qty]) {
    const cell = document.createElement('td');
    cell.className = 'num';
    cell.textContent = text;
    row.append(cell);
  }
  const bar = document.createElement('td');
  bar.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  bar.append(fill);
  row.append(bar);
  return row;
}

function spreadRow(view) {
  const row = document.createElement('tr');
  row.className = 'spread';
  const cell = document.createElement('td');
  cell.colSpan = 3;
  cell.textContent = spreadText(view);
  row.append(cell);
  return row;
}

function spreadText(view) {
  const bid = view.bestBid;
  const ask = view.bestAsk;
  if (!bid || !ask) return 'spread –';
  return `spread ${(Number(ask[0]) - Number(bid[0])).toPrecision(3)}`;
}
