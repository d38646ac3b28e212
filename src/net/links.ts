import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { LIMITS } from '../model/limits.ts';
import { decodeWire, encodeWire, PROTOCOL, type WireMessage } from './wire.ts';

export interface LinkHandlers {
  onMessage(from: string, message: WireMessage): void;
  /** A peer sent something that is not a valid message; it was dropped. */
  onRejected(from: string, reason: string): void;
  onConnected(peer: string): void;
  onDisconnected(peer: string): void;
}

interface Outbound {
  readonly stream: Stream;
  readonly lp: LengthPrefixedStream<Stream>;
}

/**
 * Message passing between members over long-lived libp2p streams: one outbound stream per peer,
 * opened on first use and kept (a new stream costs a round trip; a message on an open one does not).
 * Messages to one peer leave in order. A message to a peer that is not connected is dropped: Paxos
 * tolerates loss, and reconnecting is the Reconnector's job.
 */
export class PeerLinks {
  readonly #host: Libp2p;
  readonly #handlers: LinkHandlers;
  readonly #outbound = new Map<string, Promise<Outbound>>();
  /**
   * Messages waiting to be written to each peer, in order. A queue belongs to one connection: when
   * the peer disconnects it is dropped (its messages are lost like any other), so that messages to a
   * peer that comes back are not stuck behind writes to the dead connection, each of which could
   * take a dial timeout to fail.
   */
  readonly #queues = new Map<string, { tail: Promise<void>; live: boolean }>();

  constructor(host: Libp2p, handlers: LinkHandlers) {
    this.#host = host;
    this.#handlers = handlers;
  }

  async start(): Promise<void> {
    await this.#host.handle(
      PROTOCOL,
      (stream, connection) => this.#readLoop(stream, connection.remotePeer.toString()),
      {
        maxInboundStreams: 4,
      },
    );
    this.#host.addEventListener('peer:connect', (event) =>
      this.#handlers.onConnected(event.detail.toString()),
    );
    this.#host.addEventListener('peer:disconnect', (event) => {
      const peer = event.detail.toString();
      this.#outbound.delete(peer);
      const queue = this.#queues.get(peer);
      if (queue !== undefined) queue.live = false;
      this.#queues.delete(peer);
      this.#handlers.onDisconnected(peer);
    });
  }

  isConnected(peer: string): boolean {
    return this.#host.getConnections(peerIdFromString(peer)).length > 0;
  }

  connectedPeers(): string[] {
    return [...new Set(this.#host.getConnections().map((c) => c.remotePeer.toString()))];
  }

  send(peer: string, message: WireMessage): void {
    if (!this.isConnected(peer)) return;
    const bytes = encodeWire(message);
    const queue = this.#queues.get(peer) ?? { tail: Promise.resolve(), live: true };
    this.#queues.set(peer, queue);
    const next = queue.tail
      .then(() => (queue.live ? this.#write(peer, bytes) : undefined))
      .catch(() => {
        // The stream broke: the message is lost like any other; the next send opens a new stream.
        this.#outbound.delete(peer);
      });
    queue.tail = next;
    void next.then(() => {
      if (this.#queues.get(peer) === queue && queue.tail === next) this.#queues.delete(peer);
    });
  }

  async #write(peer: string, bytes: Uint8Array): Promise<void> {
    let out = this.#outbound.get(peer);
    if (out === undefined) {
      out = this.#open(peerIdFromString(peer));
      this.#outbound.set(peer, out);
    }
    await (await out).lp.write(bytes, { signal: AbortSignal.timeout(10_000) });
  }

  async #open(peer: PeerId): Promise<Outbound> {
    const stream = await this.#host.dialProtocol(peer, PROTOCOL, { signal: AbortSignal.timeout(5_000) });
    stream.addEventListener('close', () => this.#outbound.delete(peer.toString()));
    return { stream, lp: lpStream(stream, { maxDataLength: LIMITS.voteSetBytes }) };
  }

  async #readLoop(stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: LIMITS.voteSetBytes });
    for (;;) {
      let frame;
      try {
        frame = await lp.read();
      } catch (error) {
        const name = (error as Error).name;
        // An oversized or garbled length prefix leaves no way to find the next frame: close the stream.
        if (
          name === 'InvalidDataLengthError' ||
          name === 'InvalidMessageLengthError' ||
          name === 'InvalidDataLengthLengthError'
        ) {
          this.#handlers.onRejected(
            from,
            `a frame over ${LIMITS.voteSetBytes} bytes or with a bad length; stream closed`,
          );
        }
        stream.abort(error as Error);
        return;
      }
      const decoded = decodeWire(frame.subarray());
      if (decoded.ok) this.#handlers.onMessage(from, decoded.message);
      else this.#handlers.onRejected(from, decoded.error);
    }
  }
}
