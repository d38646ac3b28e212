import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { LIMITS } from '../model/limits.ts';
import { decodeWire, encodeWire, PROTOCOL, type WireMessage } from './wire.ts';

export interface LinkHandlers {
  /** `bytes`: the message's size on the wire. */
  onMessage(from: string, message: WireMessage, bytes: number): void;
  /** A peer sent something that is not a valid message; it was dropped. */
  onRejected(from: string, reason: string): void;
  onConnected(peer: string): void;
  onDisconnected(peer: string): void;
}

interface Outbound {
  readonly stream: Stream;
  readonly lp: LengthPrefixedStream<Stream>;
}

/** Messages waiting to be written to one peer, in order, and whether a write to it is under way. */
interface PeerQueue {
  frames: Uint8Array[];
  bytes: number;
  writing: boolean;
  /** When the write under way began (null when none is). */
  writingSince: number | null;
  live: boolean;
}

/**
 * What waits for one peer at most: beyond it new messages are dropped (a peer that does not read
 * must not make this node hold an unbounded backlog; Paxos tolerates loss and catch-up repairs it).
 */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/**
 * A write that has not gone through after this long (a peer that stopped reading) breaks its stream:
 * the messages are lost like any other, and the next write opens a new stream. One watchdog checks
 * every queue, rather than a timer per write (thousands a second under load).
 */
const WRITE_TIMEOUT_MS = 10_000;
/** How much goes out in one write: the frames that waited, together, up to this size. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Message passing between members over long-lived libp2p streams: one outbound stream per peer,
 * opened on first use and kept (a new stream costs a round trip; a message on an open one does not).
 * Messages to one peer leave in order. Those that wait meanwhile (sent in the same step, or while a
 * write is under way) leave together, as length-prefixed frames in one write: one yamux frame, one
 * Noise frame and one pair of socket writes instead of one each, which under load is most of a
 * message's cost. A message to a peer that is not connected is dropped: Paxos tolerates loss, and
 * reconnecting is the Reconnector's job.
 */
export class PeerLinks {
  readonly #host: Libp2p;
  readonly #handlers: LinkHandlers;
  readonly #outbound = new Map<string, Promise<Outbound>>();
  /**
   * Messages waiting to be written to each peer. A queue belongs to one connection: when the peer
   * disconnects it is dropped (its messages are lost like any other), so that messages to a peer that
   * comes back are not stuck behind writes to the dead connection, each of which could take a dial
   * timeout to fail.
   */
  readonly #queues = new Map<string, PeerQueue>();
  /** Peer ids parsed from their text (base58 decoding on every send was a tenth of a busy node's time). */
  readonly #peerIds = new Map<string, PeerId>();
  /** Messages handed to `send` for a connected peer, writes made, and messages dropped at the limit. */
  readonly stats = { messages: 0, writes: 0, dropped: 0 };

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
    setInterval(() => this.#breakStuckWrites(), WRITE_TIMEOUT_MS / 2).unref();
    this.#host.addEventListener('peer:connect', (event) =>
      this.#handlers.onConnected(event.detail.toString()),
    );
    // A second connection to a peer is most often a fresh one while the old died unnoticed (the peer
    // restarted, or a network came back, and no reset reached this side): new writes go over the newest
    // connection, and the peer hears this node's hello on it, as on a first connection.
    this.#host.addEventListener('connection:open', (event) => {
      const connection = event.detail;
      if (this.#host.getConnections(connection.remotePeer).length < 2) return;
      const peer = connection.remotePeer.toString();
      this.#outbound.delete(peer);
      this.#handlers.onConnected(peer);
    });
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
    return this.#host.getConnections(this.#peerId(peer)).length > 0;
  }

  connectedPeers(): string[] {
    return [...new Set(this.#host.getConnections().map((c) => c.remotePeer.toString()))];
  }

  send(peer: string, message: WireMessage): void {
    if (!this.isConnected(peer)) return;
    const bytes = encodeWire(message);
    let queue = this.#queues.get(peer);
    if (queue === undefined) {
      queue = { frames: [], bytes: 0, writing: false, writingSince: null, live: true };
      this.#queues.set(peer, queue);
    }
    this.stats.messages++;
    if (queue.bytes + bytes.byteLength > MAX_QUEUED_BYTES) {
      this.stats.dropped++;
      return;
    }
    queue.frames.push(bytes);
    queue.bytes += bytes.byteLength;
    if (queue.writing) return;
    queue.writing = true;
    // After the current step: what it sends to this peer goes out in one write.
    queueMicrotask(() => void this.#drain(peer, queue));
  }

  #peerId(peer: string): PeerId {
    let id = this.#peerIds.get(peer);
    if (id === undefined) {
      // Ids come from the network too: keep a bounded number (a group is far smaller).
      if (this.#peerIds.size >= 1_024) this.#peerIds.clear();
      id = peerIdFromString(peer);
      this.#peerIds.set(peer, id);
    }
    return id;
  }

  #breakStuckWrites(): void {
    const now = Date.now();
    for (const [peer, queue] of this.#queues) {
      if (queue.writingSince === null || now - queue.writingSince < WRITE_TIMEOUT_MS) continue;
      const out = this.#outbound.get(peer);
      this.#outbound.delete(peer);
      void out?.then(
        ({ stream }) => stream.abort(new Error(`a write to ${peer} took over ${WRITE_TIMEOUT_MS} ms`)),
        () => undefined,
      );
    }
  }

  async #drain(peer: string, queue: PeerQueue): Promise<void> {
    while (queue.live && queue.frames.length > 0) {
      let count = 0;
      let size = 0;
      for (const frame of queue.frames) {
        if (count > 0 && size + frame.byteLength > MAX_BATCH_BYTES) break;
        count++;
        size += frame.byteLength;
      }
      const batch = queue.frames.splice(0, count);
      queue.bytes -= size;
      try {
        this.stats.writes++;
        queue.writingSince = Date.now();
        await this.#write(peer, batch);
      } catch {
        // The stream broke: these messages are lost like any other; the next write opens a new stream.
        this.#outbound.delete(peer);
      }
    }
    queue.writing = false;
    queue.writingSince = null;
    if (this.#queues.get(peer) === queue && queue.frames.length === 0) this.#queues.delete(peer);
  }

  async #write(peer: string, frames: Uint8Array[]): Promise<void> {
    let out = this.#outbound.get(peer);
    if (out === undefined) {
      out = this.#open(this.#peerId(peer));
      this.#outbound.set(peer, out);
    }
    await (await out).lp.writeV(frames);
  }

  async #open(peer: PeerId): Promise<Outbound> {
    const signal = AbortSignal.timeout(5_000);
    const newest = this.#host
      .getConnections(peer)
      .filter((c) => c.status === 'open')
      .sort((a, b) => b.timeline.open - a.timeline.open)[0];
    const stream =
      newest === undefined
        ? await this.#host.dialProtocol(peer, PROTOCOL, { signal })
        : await newest.newStream(PROTOCOL, { signal });
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
      if (decoded.ok) this.#handlers.onMessage(from, decoded.message, frame.byteLength);
      else this.#handlers.onRejected(from, decoded.error);
    }
  }
}
