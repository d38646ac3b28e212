import { z } from 'zod';
import { decodeSlotValue, genesisSchema, type Genesis, type SlotValue } from '../../model/group/changes.ts';
import { genesisEpoch, genesisProblem, type Epoch } from '../../model/group/epoch.ts';
import { GroupLog } from '../../model/group/group-log.ts';
import { LIMITS } from '../../model/limits.ts';
import { peerIdSchema } from '../../model/question.ts';
import { signatureSchema, voteSchemas } from '../../model/vote-schemas.ts';
import { CorruptStateError, StateLog, type StorageFs } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';
import type { Signing } from '../identity/signing.ts';
import { groupVerifier } from './group-signing.ts';
import { certifiedSlotProblem, type CertifiedSlot } from './slot-checks.ts';

/** The most slots one call of `learn` takes, and `slotsFrom` hands out: a catch-up goes in pages. */
export const SLOTS_PER_PAGE = 64;
/** The longest slot value kept (a removal with the approvals of every member is the largest). */
const MAX_SLOT_VALUE_CHARS = 64 * 1024;

const ballot = z.object({
  round: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  node: peerIdSchema,
});
const { certificate } = voteSchemas({
  ballot,
  node: peerIdSchema,
  value: z.string().max(MAX_SLOT_VALUE_CHARS),
  signature: signatureSchema,
  maxSigners: LIMITS.maxAcceptors,
});

/** A certified slot as it comes from the wire or the disk: checked against this schema first. */
export const certifiedSlotSchema = z.object({
  value: z.string().max(MAX_SLOT_VALUE_CHARS),
  certificate,
}) satisfies z.ZodType<CertifiedSlot>;

type GroupLogRecord =
  | { readonly id: 'genesis'; readonly kind: 'genesis'; readonly genesis: Genesis }
  | {
      readonly id: string;
      readonly kind: 'slot';
      readonly slot: number;
      readonly value: string;
      readonly certificate: CertifiedSlot['certificate'];
    };

const recordSchema = z.discriminatedUnion('kind', [
  z.object({ id: z.literal('genesis'), kind: z.literal('genesis'), genesis: genesisSchema }),
  z.object({
    id: z.string().regex(/^slot:(0|[1-9][0-9]{0,14})$/),
    kind: z.literal('slot'),
    slot: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    ...certifiedSlotSchema.shape,
  }),
]) satisfies z.ZodType<GroupLogRecord>;

const WHAT = 'the group log';

/** What one call of `learn` did with the slots it was given. */
export interface Learned {
  /** The epochs the slots made, in order: on disk when `learn` resolves. */
  readonly epochs: readonly Epoch[];
  /** Why slots were refused (the sender lied, or holds another log: it is not believed). */
  readonly problems: readonly string[];
  /** Slots beyond a gap: they wait until the slots before them are learned. */
  readonly ahead: number;
}

/**
 * The group log on this member's disk: the genesis and each chosen slot with its certificate, so that
 * whoever catches up from this member can check every step. An epoch is this member's only once its
 * slot is on disk (every byte, then fsync): the head never shows what a crash could take back. On
 * opening, the whole log is checked again, signatures and all, as anything read from a disk is.
 */
export class GroupStore {
  readonly #log: StateLog<GroupLogRecord>;
  readonly #group: GroupLog;
  readonly #signing: Signing;
  readonly #slots: CertifiedSlot[];
  readonly #genesis: Genesis;
  /** `learn` calls run one after another: each checks slots against the head the one before left. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    log: StateLog<GroupLogRecord>,
    group: GroupLog,
    signing: Signing,
    slots: CertifiedSlot[],
    genesis: Genesis,
  ) {
    this.#genesis = genesis;
    this.#log = log;
    this.#group = group;
    this.#signing = signing;
    this.#slots = slots;
  }

  /** A new group's log: its genesis, on disk before this resolves. */
  static async create(dir: string, genesis: Genesis, signing: Signing, fs?: StorageFs): Promise<GroupStore> {
    const problem = genesisProblem(genesis, groupVerifier(signing));
    if (problem !== null) throw new Error(`cannot start a group log from ${problem}`);
    const opened = await openLog(dir, fs);
    if (opened.records.size > 0) {
      await opened.log.close();
      throw new Error(`${opened.log.path} holds a group log already`);
    }
    await opened.log.write([{ id: 'genesis', kind: 'genesis', genesis }]);
    return new GroupStore(
      opened.log,
      new GroupLog(genesisEpoch(genesis), groupVerifier(signing)),
      signing,
      [],
      genesis,
    );
  }

  /**
   * The log this member holds, checked from its genesis on; null when it has none. A log that does
   * not check (a damaged record, a gap, a slot its certificate does not hold) is refused with a
   * CorruptStateError that says which slot, never trimmed silently.
   */
  static async open(dir: string, signing: Signing, fs?: StorageFs): Promise<GroupStore | null> {
    const opened = await openLog(dir, fs);
    const { log, records } = opened;
    if (records.size === 0) {
      await log.close();
      return null;
    }
    const corrupt = (problem: string) => new CorruptStateError(log.path, null, problem, WHAT);
    try {
      const first = records.get('genesis');
      if (first?.kind !== 'genesis') throw corrupt('it has slots but no genesis');
      const problem = genesisProblem(first.genesis, groupVerifier(signing));
      if (problem !== null) throw corrupt(problem);
      const group = new GroupLog(genesisEpoch(first.genesis), groupVerifier(signing));
      const slots: CertifiedSlot[] = [];
      for (let n = 0; n < records.size - 1; n++) {
        const record = records.get(`slot:${n}`);
        if (record?.kind !== 'slot' || record.slot !== n) throw corrupt(`slot ${n} is missing`);
        const slot = { value: record.value, certificate: record.certificate };
        const checked = certifiedSlotProblem(group.head, slot, signing);
        if (checked.problem !== null) throw corrupt(`slot ${n}: ${checked.problem}`);
        group.append(checked.value);
        slots.push(slot);
      }
      return new GroupStore(log, group, signing, slots, first.genesis);
    } catch (error) {
      await log.close();
      throw error;
    }
  }

  /** The group's first epoch, as its founder signed it (what an invite carries). */
  get genesis(): Genesis {
    return this.#genesis;
  }

  /** The newest epoch on this member's disk. */
  get head(): Epoch {
    return this.#group.head;
  }

  /** Epoch n, from the genesis on. */
  epoch(n: number): Epoch | undefined {
    return this.#group.epoch(n);
  }

  /** The chosen value of slot n (what made epoch n + 1), if this member holds it. */
  value(n: number): SlotValue | undefined {
    return this.#group.value(n);
  }

  /** The genesis and the chosen slots from `from` on (a page at most), for a member catching up. */
  slotsFrom(from: number): readonly CertifiedSlot[] {
    return this.#slots.slice(Math.max(0, from), Math.max(0, from) + SLOTS_PER_PAGE);
  }

  /**
   * Takes chosen slots from anyone (a member catching up, an outcome announced): those that continue
   * this member's log, in slot order, each checked against the epoch it follows and certified by that
   * epoch's acceptors, are written to disk, and only then do they count. Slots this member holds
   * already are compared: another value there means two certified values for one slot, which only
   * lying acceptors can cause, and is reported, never taken.
   */
  learn(slots: readonly CertifiedSlot[]): Promise<Learned> {
    const run = this.#queue.then(() => this.#learn(slots));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #learn(given: readonly CertifiedSlot[]): Promise<Learned> {
    const problems: string[] = [];
    const bySlot = new Map<number, CertifiedSlot>();
    for (const slot of given.slice(0, SLOTS_PER_PAGE)) {
      const parsed = certifiedSlotSchema.safeParse(slot);
      const n = parsed.success ? (decodeSlotValue(parsed.data.value)?.slot ?? null) : null;
      if (!parsed.success || n === null) {
        problems.push('a slot that is not one');
        continue;
      }
      const held = this.#slots[n];
      if (held !== undefined) {
        if (held.value !== parsed.data.value)
          problems.push(`slot ${n} certified with another value than the one this member holds`);
        continue;
      }
      if (!bySlot.has(n)) bySlot.set(n, parsed.data);
    }
    // Checked in order against the epoch each follows, before anything is written.
    const epochs: Epoch[] = [];
    const taken: { slot: CertifiedSlot; value: SlotValue }[] = [];
    let head = this.head;
    const staged = new GroupLog(head, groupVerifier(this.#signing));
    for (let n = head.n; bySlot.has(n); n++) {
      const slot = bySlot.get(n) as CertifiedSlot;
      bySlot.delete(n);
      const checked = certifiedSlotProblem(head, slot, this.#signing);
      if (checked.problem !== null) {
        problems.push(`slot ${n}: ${checked.problem}`);
        break;
      }
      const next = staged.append(checked.value);
      if (typeof next === 'string') {
        problems.push(`slot ${n}: ${next}`);
        break;
      }
      head = next;
      epochs.push(next);
      taken.push({ slot, value: checked.value });
    }
    const ahead = [...bySlot.keys()].filter((n) => n > head.n).length;
    if (taken.length === 0) return { epochs: [], problems, ahead };
    const first = this.#slots.length;
    await this.#log.write(
      taken.map(({ slot }, i) => ({
        id: `slot:${first + i}`,
        kind: 'slot' as const,
        slot: first + i,
        ...slot,
      })),
    );
    for (const { slot, value } of taken) {
      // Checked above against the very epochs it now follows.
      this.#group.append(value);
      this.#slots.push(slot);
    }
    return { epochs, problems, ahead };
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#log.close();
  }
}

/** The group log's file, created empty when there is none. */
function openLog(dir: string, fs: StorageFs | undefined) {
  return StateLog.open(dir, { file: FILES.groupLog, schema: recordSchema, create: true, what: WHAT, fs });
}
