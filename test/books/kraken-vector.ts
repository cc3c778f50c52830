// Kraken's WebSocket v2 guide, "Book checksum": the BTC/USD snapshot and its
// checksum, written out level by level (issue 21's test vector), shared by the
// gateway's checksum tests and the SDK's.
type Level = [price: string, qty: string];

/** The ten best asks, lowest price first. */
export const KRAKEN_ASKS: Level[] = [
  ['45285.2', '0.00100000'],
  ['45286.4', '1.54571953'],
  ['45286.6', '1.54571109'],
  ['45289.6', '1.54560911'],
  ['45290.2', '0.15890660'],
  ['45291.8', '1.54553491'],
  ['45294.7', '0.04454749'],
  ['45296.1', '0.35380000'],
  ['45297.5', '0.09945542'],
  ['45299.5', '0.18772827'],
];

/** The ten best bids, highest price first. */
export const KRAKEN_BIDS: Level[] = [
  ['45283.5', '0.10000000'],
  ['45283.4', '1.54582015'],
  ['45282.1', '0.10000000'],
  ['45281.0', '0.10000000'],
  ['45280.3', '1.54592586'],
  ['45279.0', '0.07990000'],
  ['45277.6', '0.03310103'],
  ['45277.5', '0.30000000'],
  ['45277.3', '1.54602737'],
  ['45276.6', '0.15445238'],
];

export const KRAKEN_CHECKSUM = 3310070434;
