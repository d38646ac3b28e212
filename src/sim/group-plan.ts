import { createHash } from 'node:crypto';
import {
  changeStatement,
  type GroupChange,
  type GroupStatement,
  type UnsignedChange,
} from '../model/group/changes.ts';
import type { Epoch, GroupVerifier } from '../model/group/epoch.ts';
import type { NodeId, PaxosMessage } from '../paxos/index.ts';
import type { Prng } from './prng.ts';

/*
 * The cast and the script of the group log's simulation (src/sim/group-log.ts): who the members are,
 * how they sign without keys, and what each seeded execution asks of them and does to them.
 */

export const MEMBERS = ['m1', 'm2', 'm3', 'm4', 'm5'];
export const NEWCOMERS = ['j1', 'j2'];
export const HOSTILE = 'm5';
export const CHAOS_MS = 6_000;
export const END_MS = 40_000;

/** Signatures the simulator can check without keys: a digest of the signer and the statement. */
export function fakeSign(signer: string, statement: GroupStatement): string {
  return createHash('sha512')
    .update(JSON.stringify([signer, statement]))
    .digest('base64url');
}

/** A made-up invite key, shaped like a peer id (base58). */
export function inviteKey(invite: string): string {
  return `Key${invite.replace(/0/g, 'z')}`;
}

export const verify: GroupVerifier = (signer, statement, signature) =>
  fakeSign(signer, statement) === signature;

export function signed<C extends UnsignedChange>(change: C): C & { signature: string } {
  return {
    ...change,
    signature: fakeSign(change.by, changeStatement({ ...change, signature: '' } as GroupChange)),
  };
}

/** The epoch every node starts from: five members (the newcomers hold it too, as if sent it). */
export function baseEpoch(): Epoch {
  return {
    groupId: '0123456789abcdef',
    n: 0,
    name: 'Sim club',
    at: 0,
    members: MEMBERS.map((peerId) => ({ peerId, name: peerId, joinedIn: 0 })),
    invites: [],
    departed: [],
    recent: [],
  };
}

export type Request =
  | { readonly kind: 'rename' | 'leave'; readonly by: string }
  | { readonly kind: 'invite'; readonly by: string; readonly invite: string }
  | { readonly kind: 'join'; readonly newcomer: string; readonly via: string; readonly invite: string }
  | {
      readonly kind: 'remove';
      readonly by: string;
      readonly target: string;
      readonly approvers: readonly string[];
    };

export type GroupEvent =
  | { readonly type: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly message: PaxosMessage }
  | { readonly type: 'fsync' | 'tick' | 'gossip'; readonly node: NodeId; readonly incarnation: number }
  | { readonly type: 'request'; readonly request: Request }
  | { readonly type: 'crash'; readonly node: NodeId; readonly downForMs: number }
  | { readonly type: 'restart'; readonly node: NodeId }
  | { readonly type: 'partition'; readonly side: ReadonlyMap<NodeId, number> }
  | { readonly type: 'heal' };

/** What happens in one execution: requests, crashes and a partition, all in the first seconds. */
export function planGroupRun(seed: number, rng: Prng): { at: number; event: GroupEvent }[] {
  const planned: { at: number; event: GroupEvent }[] = [];
  const push = (at: number, event: GroupEvent) => planned.push({ at, event });
  const at = (t: number, request: Request) => push(t, { type: 'request', request });
  const member = () => MEMBERS[rng.int(0, 3)] as string; // m1–m4: honest
  let t = 50;
  for (let i = 0; i < 10; i++) {
    t += rng.int(50, 600);
    const roll = rng.next();
    if (roll < 0.25) at(t, { kind: 'rename', by: member() });
    else if (roll < 0.5) {
      const newcomer = NEWCOMERS[rng.int(0, NEWCOMERS.length - 1)] as string;
      const invite = createHash('sha256').update(`${seed}:${i}`).digest('hex').slice(0, 16);
      const by = member();
      at(t, { kind: 'invite', by, invite });
      at(t + rng.int(300, 2_500), { kind: 'join', newcomer, via: member(), invite });
    } else if (roll < 0.6) at(t, { kind: 'leave', by: MEMBERS[rng.int(1, 3)] as string });
    else {
      const by = member();
      const target = rng.chance(0.5) ? HOSTILE : (MEMBERS.filter((m) => m !== by)[rng.int(0, 3)] as string);
      const others = MEMBERS.filter((m) => m !== by && m !== target);
      const approvers = others.filter(() => rng.chance(0.6));
      at(t, { kind: 'remove', by, target, approvers });
    }
  }
  // The hostile member asks removals that nobody approves.
  for (let i = 0; i < 2; i++)
    at(rng.int(100, 4_000), {
      kind: 'remove',
      by: HOSTILE,
      target: MEMBERS[rng.int(0, 3)] as string,
      approvers: [],
    });
  for (let i = 0; i < rng.int(0, 3); i++) {
    const node = [...MEMBERS, ...NEWCOMERS][rng.int(0, 6)] as string;
    push(rng.int(100, CHAOS_MS), { type: 'crash', node, downForMs: rng.int(100, 2_000) });
  }
  if (rng.chance(0.5)) {
    const side = new Map([...MEMBERS, ...NEWCOMERS].map((id) => [id, rng.int(0, 1)]));
    const splitAt = rng.int(200, CHAOS_MS - 1_000);
    push(splitAt, { type: 'partition', side });
    push(splitAt + rng.int(200, 1_500), { type: 'heal' });
  }
  return planned;
}
