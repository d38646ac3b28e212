import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { GroupStatement } from '../../model/group/changes.ts';
import type { VoteReceipt } from '../../model/receipts.ts';
import type { CloseValue } from '../../model/rules.ts';
import type { Statement } from '../../paxos/index.ts';

/** What a member signs besides its votes: its proposals, its questions and its own member record. */
export type SignedStatement =
  | Statement
  | { readonly kind: 'proposal'; readonly decision: string; readonly option: string; readonly by: string }
  | {
      readonly kind: 'question';
      readonly id: string;
      readonly title: string;
      readonly options: readonly string[];
      readonly allowOther: boolean;
      readonly createdBy: string;
      readonly createdAt: number;
      readonly acceptors: readonly string[];
      readonly learners: readonly string[];
      readonly rule: string;
      readonly deadline: number | null;
      /** Who may vote (votes and auctions): covered by the signature, so no one who passes it on can add any. */
      readonly voters?: readonly string[] | undefined;
      /** The group log's epoch it was asked in (groups that keep one). */
      readonly epoch?: number | undefined;
    }
  | {
      readonly kind: 'vote';
      readonly question: string;
      readonly by: string;
      readonly option: string;
      readonly amount: number | null;
      readonly seq: number;
    }
  /** An acceptor's receipt for a vote it holds (see VoteReceipt): everything but its signature. */
  | (Omit<VoteReceipt, 'signature'> & { readonly kind: 'vote-receipt' })
  /** A close signs everything in its value but the signature itself. */
  | Omit<CloseValue, 'signature'>
  | {
      readonly kind: 'member';
      readonly peerId: string;
      readonly name: string;
      readonly addresses: readonly string[];
      readonly seq: number;
    }
  /** The group log's genesis, changes, approvals and invite uses (src/model/group/changes.ts). */
  | GroupStatement;

/**
 * What a signature covers (as UTF-8): a domain separator (protocol version and group id), the kind of
 * statement, and its fields in a fixed order. So a signature made for one group, kind or question can
 * never be replayed as another.
 */
function statementText(group: string, s: SignedStatement): string {
  const fields = ((): unknown[] => {
    switch (s.kind) {
      case 'promise': {
        const a = s.accepted;
        return [s.decision, s.ballot.round, s.ballot.node, a && [a.ballot.round, a.ballot.node, a.value]];
      }
      case 'accepted':
        return [s.decision, s.ballot.round, s.ballot.node, s.value];
      case 'proposal':
        return [s.decision, s.option, s.by];
      case 'question': {
        const fields = [
          s.id,
          s.title,
          s.options,
          s.allowOther,
          s.createdBy,
          s.createdAt,
          s.acceptors,
          s.learners,
        ];
        // Quick decisions without a deadline sign what they signed before rules existed.
        const ruled = s.rule === 'quick' && s.deadline === null ? fields : [...fields, s.rule, s.deadline];
        // The voters and the epoch, when a question has them, each after its name.
        return [
          ...ruled,
          ...(s.voters === undefined ? [] : ['voters', s.voters]),
          ...(s.epoch === undefined ? [] : ['epoch', s.epoch]),
        ];
      }
      case 'vote':
        return [s.question, s.by, s.option, s.amount, s.seq];
      case 'close':
        return [s.question, s.by, s.at, s.digest, s.count];
      case 'vote-receipt':
        return [s.question, s.voter, s.seq, s.vote, s.by];
      case 'member':
        return [s.peerId, s.name, s.addresses, s.seq];
      case 'group':
      case 'invite-use':
        return [...s.fields];
    }
  })();
  return JSON.stringify(['synod/2', group, s.kind, ...fields]);
}

/** Public keys decoded from peer ids, kept so that checking a signature costs one verify. */
const MAX_CACHED_KEYS = 1_024;

/**
 * Signatures this node made or found valid, kept so that each is checked once: an Accepted is checked
 * when it arrives and again inside the certificate that quotes it, a node's own signature comes back
 * in certificates, a Promise in every Accept. A hit needs the same signer and the same bytes.
 */
const MAX_CACHED_SIGNATURES = 4_096;

/**
 * Signs this node's statements with its identity key and checks others' with theirs. The peer id of
 * an Ed25519 key is the public key itself, so no key exchange is needed. Uses Node's own Ed25519.
 */
export class Signing {
  readonly group: string;
  readonly #key: KeyObject;
  readonly #publicKeys = new Map<string, KeyObject | null>();
  // The statement is kept as text: a small Buffer would hold on to an 8 KB slab of Node's pool.
  readonly #valid = new Map<string, { readonly signer: string; readonly text: string }>();
  readonly #self: string;
  /** Signature checks made (not answered from the cache): for benchmarks. */
  checks = 0;

  constructor(group: string, privateKey: PrivateKey) {
    if (privateKey.type !== 'Ed25519') throw new Error('a Synod identity is an Ed25519 key');
    this.group = group;
    this.#self = peerIdFromPublicKey(privateKey.publicKey).toString();
    const raw = privateKey.raw;
    this.#key = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(raw.subarray(0, 32)).toString('base64url'),
        x: Buffer.from(privateKey.publicKey.raw).toString('base64url'),
      },
    });
  }

  sign(statement: SignedStatement): string {
    const text = statementText(this.group, statement);
    const signature = sign(null, Buffer.from(text, 'utf8'), this.#key).toString('base64url');
    this.#remember(signature, this.#self, text);
    return signature;
  }

  /** True only for a valid signature by `signer`'s key of exactly this statement in this group. */
  verify(signer: string, statement: SignedStatement, signature: string): boolean {
    const text = statementText(this.group, statement);
    const known = this.#valid.get(signature);
    if (known !== undefined && known.signer === signer && known.text === text) return true;
    const key = this.#publicKey(signer);
    if (key === null) return false;
    const raw = Buffer.from(signature, 'base64url');
    if (raw.length !== 64) return false;
    this.checks++;
    if (!verify(null, Buffer.from(text, 'utf8'), key, raw)) return false;
    this.#remember(signature, signer, text);
    return true;
  }

  #remember(signature: string, signer: string, text: string): void {
    // Oldest first out: the signatures of the questions under way are the ones asked for again.
    if (this.#valid.size >= MAX_CACHED_SIGNATURES) {
      const oldest = this.#valid.keys().next();
      if (oldest.done !== true) this.#valid.delete(oldest.value);
    }
    this.#valid.set(signature, { signer, text });
  }

  #publicKey(peer: string): KeyObject | null {
    const cached = this.#publicKeys.get(peer);
    if (cached !== undefined) return cached;
    let key: KeyObject | null = null;
    try {
      const id = peerIdFromString(peer);
      if (id.type === 'Ed25519') {
        key = createPublicKey({
          format: 'jwk',
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(id.publicKey.raw).toString('base64url') },
        });
      }
    } catch {
      key = null;
    }
    if (this.#publicKeys.size >= MAX_CACHED_KEYS) this.#publicKeys.clear();
    this.#publicKeys.set(peer, key);
    return key;
  }
}

/** What every problem of a signature that does not verify says (see isForgery). */
const FORGED = '(a forged signature)';

/** Marks a problem as a signature that does not verify: a member's own mistake never makes one. */
export function forged(problem: string): string {
  return `${problem} ${FORGED}`;
}

/**
 * Whether a problem was a signature that does not verify. An honest node passes on only what it has
 * checked, so its sender is lying, or broken.
 */
export function isForgery(problem: string): boolean {
  return problem.includes(FORGED);
}
