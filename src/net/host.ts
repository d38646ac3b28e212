import { noise } from '@chainsafe/libp2p-noise';
import { identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { mdns } from '@libp2p/mdns';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';

export interface HostOptions {
  readonly privateKey: PrivateKey;
  readonly group: { readonly id: string; readonly key: string };
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/0. */
  readonly listen: readonly string[];
  readonly mdns: boolean;
  readonly mdnsIntervalMs?: number;
  /** libp2p's own connection-manager defaults instead of Synod's: only for the test that shows why. */
  readonly libp2pDoorDefaults?: boolean;
}

/**
 * The door: how inbound connections are let in. A connection is pending from the first TCP byte until
 * the group key (pnet), Noise and yamux are done — milliseconds on a LAN. libp2p's defaults (10
 * pending at most in all, each allowed 10 s) let a stranger without the key hold the door shut with 10
 * silent sockets (it did). Here a pending connection gets 2 s; each address may open 5 a second (so
 * one address holds at most 10 pending); and 256 may be pending in all, room for every member at once.
 * A stranger would need dozens of addresses on the LAN to crowd the door.
 */
export const DOOR = {
  inboundUpgradeTimeout: 2_000,
  inboundConnectionThreshold: 5,
  maxIncomingPendingConnections: 256,
  /** 256 members, each perhaps briefly connected twice, and room to spare. */
  maxConnections: 600,
} as const;

/**
 * The libp2p host of one member: TCP, Noise, yamux, identify, and mDNS under a service tag of the
 * group's own. The group key is a libp2p private-network key: a peer without it cannot complete
 * even the first handshake, so it can neither read nor send anything.
 *
 * It is returned stopped: the caller registers its protocol handler and its connection listeners, then
 * starts it. A host that listened first would let a member that redials at once (a restart on the same
 * port) connect before anyone listens: its hello lost, and no hello sent back (it was).
 */
export async function createHost(options: HostOptions): Promise<Libp2p> {
  return createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: [...options.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: swarmKey(options.group.key) }),
    connectionManager: options.libp2pDoorDefaults ? { dialTimeout: 5_000 } : { dialTimeout: 5_000, ...DOOR },
    // mDNS as a service (libp2p still uses it for discovery): its own 'peer' event fires on every
    // response, whereas 'peer:discovery' fires once per peer id — a peer back after a network cut
    // or a sleep is only noticed through the former.
    services: {
      identify: identify(),
      ...(options.mdns
        ? {
            mdns: mdns({
              serviceTag: serviceTag(options.group.id),
              interval: options.mdnsIntervalMs ?? 5_000,
            }),
          }
        : {}),
    },
  });
}

/** Calls `listener` on every mDNS response (when mDNS is on). */
export function onMdnsPeer(host: Libp2p, listener: (peer: string, addresses: string[]) => void): void {
  const service = (host.services as Record<string, unknown>).mdns as
    | {
        addEventListener(
          type: 'peer',
          cb: (
            event: CustomEvent<{ id: { toString(): string }; multiaddrs: { toString(): string }[] }>,
          ) => void,
        ): void;
      }
    | undefined;
  service?.addEventListener('peer', (event) =>
    listener(event.detail.id.toString(), event.detail.multiaddrs.map(String)),
  );
}

/** mDNS service names are short: "_synod-" and 8 hex digits of the group id fit. */
export function serviceTag(groupId: string): string {
  return `_synod-${groupId.slice(0, 8)}._udp.local`;
}

/** The key in the swarm-key text format @libp2p/pnet reads. */
export function swarmKey(hex: string): Uint8Array {
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`);
}
