// The payloads Odin's market simulator publishes, as an app receives them in
// `message.data`. Shared by the publisher (which produces them) and the SDK
// (which types handlers by channel), so both always agree.

/** On `token.<TOKEN>.price`. */
export interface PriceUpdate {
  type: 'price:update';
  tokenId: string;
  price: number;
  volume24h: number;
  marketCap: number;
  /** Percent change since the simulated day opened. */
  priceChange24h: number;
  timestamp: number;
  source: string;
  nonce: string;
}

/** On `market.statistics`, every 30 s by default. */
export interface MarketStatistics {
  type: 'market:statistics';
  totalMarketCap: number;
  totalVolume24h: number;
  activeTokens: number;
  topTokens: Array<{ tokenId: string; price: number; marketCap: number; priceChange24h: number }>;
  timestamp: number;
}

/** On `trades.user.<id>`: private to user `<id>`. */
export interface TradeEvent {
  type: 'trade:executed';
  tradeId: string;
  userId: string;
  tokenId: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  value: number;
  fee: number;
  timestamp: number;
}

/** The payload type of a channel or pattern, so handlers are typed by the name they subscribe to. */
export type PayloadOf<C extends string> = C extends `token.${string}.price`
  ? PriceUpdate
  : C extends 'market.statistics'
    ? MarketStatistics
    : C extends `trades.user.${string}`
      ? TradeEvent
      : unknown;
