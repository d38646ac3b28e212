/**
 * The typed interface between a Synod node and its user interface. The Electron preload exposes it
 * over IPC; the headless daemon serves it over HTTP on 127.0.0.1. The UI sees nothing else.
 */

export interface NodeStatus {
  readonly peerId: string;
  readonly displayName: string | null;
  readonly group: { readonly id: string; readonly name: string } | null;
  /** Where this node listens (multiaddrs with /p2p/), for adding it by hand elsewhere. */
  readonly addresses: readonly string[];
  /** Why this node refuses to vote (damaged state on disk), or null when all is well. */
  readonly storageError: string | null;
  /** Network messages rejected as malformed, oversized or from the wrong group since start. */
  readonly rejectedMessages: number;
  /** Of those, messages whose signature did not verify: a member that sends a few is cut off. */
  readonly forgedSignatures: number;
  /** Members cut off now for sending forged signatures (their connections are refused for a while). */
  readonly cutOffPeers: number;
  /** Synod messages sent to and received from peers since start: an idle group exchanges almost none. */
  readonly traffic: { readonly sent: number; readonly received: number };
}

/**
 * The group as its group log has it: the epoch this node holds, who belongs, the invites that can
 * still admit someone, and how the group came to be so, newest first. A group made before group logs
 * existed has none: `epoch` is null and `members` and `history` are empty (its members are whoever
 * says hello with its key; see `peers`).
 */
export interface GroupView {
  readonly id: string;
  readonly name: string;
  readonly epoch: number | null;
  readonly members: readonly { readonly peerId: string; readonly name: string; readonly joinedIn: number }[];
  /**
   * The members whose agreement makes the group's next change (the acceptors of its log's open slot,
   * the first seven it admitted): a strict majority of them must be online for any join, rename or
   * removal.
   */
  readonly deciders: readonly string[];
  /** Members who left or were removed (the most recent, bounded), so that history can name them. */
  readonly former: readonly {
    readonly peerId: string;
    readonly name: string;
    readonly how: 'left' | 'removed';
  }[];
  readonly invites: readonly {
    readonly id: string;
    readonly by: string;
    readonly expiresAt: number;
    readonly singleUse: boolean;
    readonly usedBy: readonly string[];
  }[];
  /** Each change, newest first (at most 200): the epoch it made, when, by whom, and what it did. */
  readonly history: readonly {
    readonly epoch: number;
    readonly at: number;
    readonly by: string;
    readonly change: 'founded' | 'invite' | 'join' | 'rename' | 'revoke' | 'leave' | 'remove';
    readonly summary: string;
  }[];
  /** Where this laptop stands: a member, joining (not let in yet), or gone ('left', 'removed'). */
  readonly self: 'member' | 'joining' | 'left' | 'removed';
  /** The group this one continues (named in its genesis: see `continueGroup`), or null. */
  readonly predecessor: { readonly groupId: string; readonly name: string; readonly epoch: number } | null;
  /**
   * The group this laptop continues this one in (it started or joined it): here it takes no more
   * part, and keeps what it knew. Null while it takes part here.
   */
  readonly successor: { readonly groupId: string; readonly name: string } | null;
  /**
   * Removals asked and not made yet: whom, who asked, who approves (the requester first), and how many
   * approvals of the members other than the one to be removed are needed (a strict majority).
   */
  readonly removals: readonly {
    readonly target: string;
    readonly targetName: string;
    readonly by: string;
    readonly approvedBy: readonly string[];
    readonly needed: number;
  }[];
}

/** One of the groups this laptop is in, is joining, or was in (see SynodNode). */
export interface GroupSummary {
  readonly id: string;
  readonly name: string;
  /** This laptop's name in it. */
  readonly displayName: string;
  /** The laptop's first group: the one that calls without a group address (`/api/...`, the CLI without --group). */
  readonly first: boolean;
  /** Where this laptop stands in it (see GroupView.self); a group without a group log: 'member'. */
  readonly self: 'member' | 'joining' | 'left' | 'removed';
  /** The questions this laptop holds of it. */
  readonly questions: number;
  /** The id of the group this laptop continues it in, or null (see GroupView.successor). */
  readonly continuedIn: string | null;
}

export interface PeerView {
  readonly peerId: string;
  readonly name: string;
  readonly online: boolean;
  /** Epoch ms when its last connection ended (or began, while it lasts); null if never connected. */
  readonly lastSeen: number | null;
  /** Epoch ms since when it is connected; null while it is not. */
  readonly connectedSince: number | null;
  readonly addresses: readonly string[];
  /** This node's last attempt to reach it: for telling why a member does not connect. */
  readonly lastDial: DialView | null;
}

export interface DialView {
  readonly at: number;
  /** The addresses tried. */
  readonly addresses: readonly string[];
  /** Why it failed, or null when it connected. */
  readonly error: string | null;
}

export interface JoinResult {
  readonly status: NodeStatus;
  /** The members this node reached while joining (none: it is in the group, but alone so far). */
  readonly reached: readonly NamedMember[];
  /** When it reached nobody: what was tried and what to do. */
  readonly problem: string | null;
  /**
   * Whether this laptop is a member now. False only in a group that keeps a group log, whose members
   * have not made its join yet (a majority of them must be online): it keeps asking, and is told
   * nothing of the group meanwhile.
   */
  readonly admitted: boolean;
}

export interface AddPeerResult {
  readonly peerId: string;
  readonly name: string;
}

export interface OutcomeView {
  /**
   * The option decided: the chosen proposal's, or the winner of the chosen votes or bids. Null when a
   * vote or an auction closed with nothing cast, or while this node fetches the chosen votes.
   */
  readonly option: string | null;
  /** Who proposed the chosen value: for a vote or an auction, who closed it. */
  readonly proposedBy: string;
  readonly proposedByName: string;
  /** For a vote or an auction: the final tally (null while this node fetches the chosen votes). */
  readonly close: CloseView | null;
  /** Whether this node's proposal, vote or bid won; null when it took no part. */
  readonly youWon: boolean | null;
  /**
   * Epoch ms when the group decided: when this node learned it, or, for a node that was away, the
   * time the member it caught up from had (not signed: a lying member can shift it, within the
   * question's lifetime).
   */
  readonly decidedAt: number | null;
  /**
   * Why this is the outcome: the acceptors whose signed Accepted it carries, and at which ballot. Null
   * only for an outcome learned before outcomes carried certificates.
   */
  readonly certificate: CertificateView | null;
}

/** A certificate as the protocol carries it (src/paxos/messages.ts), signatures in base64url. */
export interface Certificate {
  readonly ballot: { readonly round: number; readonly node: string };
  readonly accepted: readonly { readonly acceptor: string; readonly signature: string }[];
  readonly promises: readonly {
    readonly acceptor: string;
    readonly accepted: {
      readonly ballot: { readonly round: number; readonly node: string };
      readonly value: string;
    } | null;
    readonly signature: string;
  }[];
}

export interface CertificateView {
  readonly ballot: { readonly round: number; readonly node: string };
  readonly acceptedBy: readonly { readonly peerId: string; readonly name: string }[];
  /** The signatures themselves, as any member can check them (see `synod certificate`). */
  readonly proof: Certificate;
}

/**
 * Two valid certificates for different outcomes: safety was broken, which only acceptors that lie can
 * do. The first outcome stays; this names who is proven to have lied and who signed both.
 */
export interface SafetyViolationView {
  readonly otherOption: string | null;
  readonly otherProposedBy: string | null;
  readonly liars: readonly { readonly peerId: string; readonly name: string }[];
  readonly signedBoth: readonly { readonly peerId: string; readonly name: string }[];
  readonly otherCertificate: Certificate;
}

export type QuestionState = 'open' | 'waiting-for-quorum' | 'decided';

export interface NamedMember {
  readonly peerId: string;
  readonly name: string;
}

/** Votes or bids counted, by option, winner first. */
export interface TallyView {
  readonly counted: number;
  /** Sealed bids before the close: only how many there are, nothing else. */
  readonly sealed: boolean;
  readonly lines: readonly {
    readonly option: string;
    /** Votes for it; for bids, the highest amount bid for it. */
    readonly score: number;
    /** Who voted for it; for bids, who bid for it, highest first. */
    readonly members: readonly NamedMember[];
  }[];
}

export interface CloseView {
  readonly closedAt: number;
  /** The final tally: the votes of the close Paxos chose. Null while this node fetches them. */
  readonly tally: TallyView | null;
  /** For an auction: the winning bid. */
  readonly winningBid: { readonly member: NamedMember; readonly amount: number } | null;
}

export interface AcceptorView {
  readonly peerId: string;
  readonly name: string;
  readonly online: boolean;
}

export interface QuestionView {
  readonly id: string;
  readonly title: string;
  readonly options: readonly string[];
  /** Whether an answer that is not among `options` may be proposed. */
  readonly allowOther: boolean;
  readonly createdBy: string;
  readonly createdByName: string;
  readonly createdAt: number;
  readonly rule: DecisionRule;
  /** When any member may close it (before: only its asker); null for none. */
  readonly deadline: number | null;
  /** The running tally of a vote (sealed: only a count of the bids of an auction); null for quick. */
  readonly tally: TallyView | null;
  /**
   * This node's standing vote or bid, and how many of the question's acceptors hold it on disk and
   * said so (signed receipts): with `needed` of them (a strict majority) it is counted — every close
   * that can be chosen counts it; until then it is saved on this laptop and being delivered.
   */
  readonly myVote: {
    readonly option: string;
    readonly amount: number | null;
    readonly receipts: number;
    readonly needed: number;
  } | null;
  readonly acceptors: readonly AcceptorView[];
  readonly quorum: number;
  readonly reachableAcceptors: number;
  readonly state: QuestionState;
  readonly outcome: OutcomeView | null;
  readonly safetyViolation: SafetyViolationView | null;
  /** The option this node proposed, if any. */
  readonly myProposal: string | null;
}

export type ProposeResult =
  | { readonly state: 'decided'; readonly outcome: OutcomeView; readonly won: boolean }
  | { readonly state: 'pending'; readonly message: string };

/** One Paxos message this node sent or received, for the picture of how a question was decided. */
export interface TimelineEntry {
  readonly at: number;
  readonly direction: 'sent' | 'received';
  /** The other side (for a message to itself: this node). */
  readonly peer: string;
  readonly kind: 'prepare' | 'promise' | 'accept' | 'accepted' | 'nack' | 'decided' | 'query';
  readonly ballot: { readonly round: number; readonly node: string } | null;
  /** The option carried (accept, accepted, decided, or a promise's previously accepted one). */
  readonly option: string | null;
  /** For a nack: the ballot the acceptor had promised instead. */
  readonly promised: { readonly round: number; readonly node: string } | null;
}

export type SynodEvent =
  | { readonly type: 'status'; readonly status: NodeStatus }
  | { readonly type: 'peers'; readonly peers: readonly PeerView[] }
  | { readonly type: 'question'; readonly question: QuestionView }
  /**
   * In a group that keeps a group log, what `group()` shows changed: a new epoch (a join, a rename, a
   * removal…), or a removal asked or approved.
   */
  | { readonly type: 'group'; readonly group: GroupView }
  /**
   * From the client's side, not the node's: whether the node answers (a browser page loses it when the
   * daemon stops or the laptop sleeps, and gets it back by itself). `problem` says why, when not.
   */
  | { readonly type: 'connection'; readonly reachable: boolean; readonly problem: string | null }
  /**
   * From the app's shell, not the node: an invite link (`web+synod:…`) was opened with the app. The
   * page offers to join with it; nothing is joined without the user.
   */
  | { readonly type: 'open-invite'; readonly link: string };

/** A new group continuing this one: its name (default this one's) and yours in it (default the same). */
export interface ContinueGroupInput {
  readonly groupName?: string;
  readonly displayName?: string;
}

export interface CreateGroupInput {
  readonly groupName: string;
  readonly displayName: string;
}

export interface JoinGroupInput {
  readonly invite: string;
  readonly displayName: string;
  /** How long to wait for a member to answer before saying that none did (default 8 s, at most 30 s). */
  readonly waitMs?: number;
}

export interface CreateQuestionInput {
  readonly title: string;
  readonly options: readonly string[];
  /** Whether members may propose an answer not among `options` (default: only when none are listed). */
  readonly allowOther?: boolean;
  /**
   * Asked anyway when nobody else is online: this node alone is the acceptor, so it alone decides.
   * Without it such a question is refused with `needs-confirmation`.
   */
  readonly confirmAlone?: boolean;
  /** How the question is decided (default: quick). */
  readonly rule?: DecisionRule;
  /** Epoch ms when any member may close a vote or an auction (before it, only the asker). */
  readonly deadline?: number | null;
}

/** How a question is decided: see the README ("Decision rules"). */
export type DecisionRule = 'quick' | 'vote' | 'sealed-bid';

export interface VoteInput {
  readonly questionId: string;
  readonly option: string;
  /** How long to wait for the vote to be counted (myVote.receipts reaching needed); default 0. */
  readonly waitMs?: number;
}

export interface BidInput {
  readonly questionId: string;
  readonly amount: number;
  /** Which option the bid is for; omitted when the question lists none (a single lot). */
  readonly option?: string;
  /** How long to wait for the bid to be counted, as for a vote; default 0. */
  readonly waitMs?: number;
}

export interface CloseInput {
  readonly questionId: string;
  /** How long to wait for the close to be decided (default 10 s). */
  readonly waitMs?: number;
}

export interface ProposeInput {
  readonly questionId: string;
  readonly option: string;
  /** How long to wait for the outcome before answering 'pending' (default 10 s, at most 60 s). */
  readonly waitMs?: number;
}

export interface SynodApi {
  status(): Promise<NodeStatus>;
  createGroup(input: CreateGroupInput): Promise<NodeStatus>;
  /**
   * The way out of a group whose deciders are gone for good (no safe change of it is possible): a new
   * group, founded by this laptop, whose genesis names this one (id, name, newest epoch). This laptop
   * then takes no more part in this group and keeps what it knew of it, read-only; the members who
   * remain join the new one with its invites (joining it marks this group continued on their laptops
   * too). Answers the new group's status.
   */
  continueGroup(input?: ContinueGroupInput): Promise<NodeStatus>;
  /** Joins, then waits for a member to answer: the result says whom it reached, or why nobody. */
  joinGroup(input: JoinGroupInput): Promise<JoinResult>;
  /**
   * The invite another laptop needs to join. In a group that keeps a group log it is an entry of the
   * log: the same one for a day, for anyone who holds it; `singleUse`: a new one, for one newcomer.
   */
  invite(input?: { readonly singleUse?: boolean }): Promise<{ readonly invite: string }>;
  /** The group as its group log has it (see GroupView). */
  group(): Promise<GroupView>;
  /** Renames the group, through its group log (a group without one cannot be renamed). */
  renameGroup(input: { readonly name: string }): Promise<GroupView>;
  /** Ends an open invite of the group log: once made, it admits nobody. */
  revokeInvite(input: { readonly invite: string }): Promise<GroupView>;
  /** Leaves the group, through its group log: once made, this laptop takes no more part. */
  leaveGroup(): Promise<GroupView>;
  /**
   * Asks the group to remove a member (a peer id): it is removed once a strict majority of the other
   * members approve (this laptop's request counts as its approval).
   */
  requestRemoval(input: { readonly member: string }): Promise<GroupView>;
  /** Approves the pending request to remove a member. */
  approveRemoval(input: { readonly member: string }): Promise<GroupView>;
  peers(): Promise<readonly PeerView[]>;
  /**
   * Connects to a member by address and remembers the address; fails with `unreachable` (and
   * remembers nothing) when nobody of this group answers there.
   */
  addPeer(input: { readonly address: string }): Promise<AddPeerResult>;
  questions(): Promise<readonly QuestionView[]>;
  createQuestion(input: CreateQuestionInput): Promise<QuestionView>;
  propose(input: ProposeInput): Promise<ProposeResult>;
  /** Casts or changes this node's vote on a question decided by vote. */
  vote(input: VoteInput): Promise<QuestionView>;
  /** Places or changes this node's sealed bid on an auction. */
  bid(input: BidInput): Promise<QuestionView>;
  /** Closes a vote or an auction: Paxos chooses one closer's view of the votes as the final tally. */
  close(input: CloseInput): Promise<ProposeResult>;
  /** The Paxos messages this node saw for a question, oldest first. */
  timeline(input: { readonly questionId: string }): Promise<readonly TimelineEntry[]>;
  /** Live updates; returns the function that unsubscribes. */
  subscribe(listener: (event: SynodEvent) => void): () => void;
  /** The groups this laptop is in, is joining, or was in, its first group first (the same from any group). */
  groups(): Promise<readonly GroupSummary[]>;
  /** This API in another of the laptop's groups (`not-found`, at once or from its calls, if it is in no such group). */
  inGroup(groupId: string): SynodApi;
}

export type SynodErrorCode =
  | 'invalid-input'
  | 'needs-confirmation'
  | 'not-found'
  | 'no-group'
  | 'already-in-group'
  | 'storage-refused'
  | 'unreachable'
  /** Too many requests of one kind for now (questions a minute): try again later. */
  | 'rate-limited'
  | 'unauthorized';

/** An error the user can act on: `message` says what failed and what to do. */
export class SynodError extends Error {
  readonly code: SynodErrorCode;

  constructor(code: SynodErrorCode, message: string) {
    super(message);
    this.name = 'SynodError';
    this.code = code;
  }
}
