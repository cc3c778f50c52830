// The SSE event id (docs/sse.md, "Cursor"): every subscription's position in
// one compact string, so that a native EventSource, which sends back only the
// last id it saw (`Last-Event-ID`), resumes every channel exactly.
//
//   <seq>-<seq>-...@<epoch>
//
// one seq per entry of the stream's `channels` list, in its order, in base 36;
// an empty seq means "no position yet" (that entry is subscribed fresh).
// Positions share one epoch: it is the broker's, one for all channels.

export interface SseCursor {
  /** Per entry of the channels list: the newest seq covered, or undefined when none yet. */
  seqs: Array<number | undefined>;
  epoch: string;
}

const SEQ = /^[0-9a-z]{1,11}$/;
const MAX_EPOCH_LENGTH = 64;

export function encodeCursor(seqs: ReadonlyArray<number | undefined>, epoch: string): string {
  let text = '';
  for (let i = 0; i < seqs.length; i++) {
    if (i > 0) text += '-';
    const seq = seqs[i];
    if (seq !== undefined) text += seq.toString(36);
  }
  return `${text}@${epoch}`;
}

/** The cursor in `text` for a stream of `entries` channels, or an explanation of why it is not one. */
export function decodeCursor(text: string, entries: number): SseCursor | { error: string } {
  const at = text.indexOf('@');
  if (at < 0) return { error: 'a cursor is <seq>-<seq>-...@<epoch>' };
  const epoch = text.slice(at + 1);
  if (epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) return { error: `the cursor's epoch must be 1 to ${MAX_EPOCH_LENGTH} characters` };
  const parts = text.slice(0, at).split('-');
  if (parts.length !== entries) return { error: `the cursor holds ${parts.length} positions for ${entries} channels: it belongs to another channels list` };
  const seqs: Array<number | undefined> = [];
  for (const part of parts) {
    if (part === '') {
      seqs.push(undefined);
      continue;
    }
    const seq = SEQ.test(part) ? parseInt(part, 36) : NaN;
    if (!Number.isSafeInteger(seq)) return { error: `${JSON.stringify(part.slice(0, 16))} is not a base-36 seq` };
    seqs.push(seq);
  }
  return { seqs, epoch };
}
