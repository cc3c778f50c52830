// The first stored message on a subject at or after a sequence, from the
// stream leader (STREAM.MSG.GET with next_by_subj). nats-server answers this
// request on the stream API, but nats.js types next_by_subj only for the
// direct-get API (NextMsgRequest, which needs allow_direct): the one cast
// lives here, behind a typed signature, instead of at every caller.
import type { JetStreamManager, MsgRequest, NextMsgRequest, StoredMsg } from '@nats-io/jetstream';

/** The first message on `subject` (wildcards allowed) whose seq is at least `seq`; null when there is none. */
export function nextMessageOn(jsm: JetStreamManager, stream: string, subject: string, seq: number): Promise<StoredMsg | null> {
  const request: NextMsgRequest = { next_by_subj: subject, seq };
  return jsm.streams.getMessage(stream, request as unknown as MsgRequest);
}
