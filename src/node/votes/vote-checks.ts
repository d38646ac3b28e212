import {
  decodeProposal,
  encodeProposal,
  isAllowedOption,
  mayVote,
  type QuestionDefinition,
} from '../../model/question.ts';
import {
  certificateProblem,
  quorumSize,
  type Certificate,
  type PaxosMessage,
  type Value,
} from '../../paxos/index.ts';
import {
  decodeClose,
  encodeClose,
  isAllowedVoteOption,
  MAX_VOTES_PER_QUESTION,
  standingVotes,
  voteSetDigest,
  type CloseValue,
  type MemberVote,
} from '../../model/rules.ts';
import type { VoteReceipt } from '../../model/receipts.ts';
import { forged, type Signing } from '../identity/signing.ts';

export { isForgery } from '../identity/signing.ts';
import { decisionConfigOf } from '../questions/question-voters.ts';

/**
 * How far ahead of this node's clock a question's creation time may be: laptops' clocks drift, not by
 * hours (a question dated ahead would only stay on top of the lists).
 */
export const MAX_CLOCK_AHEAD_MS = 10 * 60_000;

/** Values and certificates already checked, so that a repeat costs a lookup, not signatures. */
const MAX_REMEMBERED = 4_096;

/**
 * Checks, where Paxos messages enter the node, everything the pure core takes on trust: that each
 * value is a proposal signed by the member it credits, for an option the question allows; that a
 * Promise and an Accepted are signed by the acceptor that sent them; and that an outcome comes with
 * a certificate — the signed Accepteds of a strict majority of the question's acceptors.
 */
export class VoteChecks {
  readonly #signing: Signing;
  readonly #goodValues = new Set<string>();
  readonly #goodCertificates = new Set<string>();

  constructor(signing: Signing) {
    this.#signing = signing;
  }

  /** This node's proposal of `option`, as a value: signed, so nobody can credit it to another member. */
  propose(question: QuestionDefinition, option: string, self: string): Value {
    const signature = this.#signing.sign({ kind: 'proposal', decision: question.id, option, by: self });
    return encodeProposal({ option, by: self, signature });
  }

  /** Why `message` from `from` about `question` must be dropped, or null when it holds. */
  problem(question: QuestionDefinition, from: string, message: PaxosMessage): string | null {
    switch (message.kind) {
      case 'prepare':
      case 'nack':
      case 'query':
        return null;
      case 'accept': {
        const { decision, ballot } = message;
        // Its phase 1: each Promise signed by its acceptor for this very ballot (the core checks that
        // they are a majority and that the value is the one they allow).
        for (const { acceptor, accepted, signature } of message.promises) {
          const key = `promise\n${decision}\n${JSON.stringify(ballot)}\n${acceptor}\n${signature}\n${JSON.stringify(accepted)}`;
          if (this.#goodValues.has(key)) continue;
          if (!this.#signing.verify(acceptor, { kind: 'promise', decision, ballot, accepted }, signature))
            return forged(`an accept with a promise that is not ${acceptor}'s`);
          if (accepted !== null) {
            const problem = this.valueProblem(question, accepted.value);
            if (problem !== null) return `an accept with a promise of an invalid value: ${problem}`;
          }
          remember(this.#goodValues, key);
        }
        return this.valueProblem(question, message.value);
      }
      case 'promise': {
        const { decision, ballot, accepted, signature } = message;
        if (!this.#signing.verify(from, { kind: 'promise', decision, ballot, accepted }, signature))
          return forged('a promise without a valid signature of its sender');
        return accepted === null ? null : this.valueProblem(question, accepted.value);
      }
      case 'accepted': {
        const { decision, ballot, value, signature } = message;
        if (!this.#signing.verify(from, { kind: 'accepted', decision, ballot, value }, signature))
          return forged('an accepted without a valid signature of its sender');
        return this.valueProblem(question, value);
      }
      case 'decided':
        return this.outcomeProblem(question, message.value, message.certificate);
    }
  }

  /**
   * A quick decision's value must be a proposal signed by the member it names, of an option the
   * question allows; a vote's or an auction's must be a close signed by a member who may close it.
   */
  valueProblem(question: QuestionDefinition, value: Value): string | null {
    const key = `${question.id}\n${value}`;
    if (this.#goodValues.has(key)) return null;
    const problem =
      question.rule === 'quick'
        ? this.#proposalProblem(question, value)
        : this.#closeProblem(question, value);
    if (problem === null) remember(this.#goodValues, key);
    return problem;
  }

  #proposalProblem(question: QuestionDefinition, value: Value): string | null {
    const proposal = decodeProposal(value);
    if (proposal === null) return 'a value that is not a proposal';
    if (!isAllowedOption(question, proposal.option))
      return `"${proposal.option}" is not one of the question's options`;
    const { option, by, signature } = proposal;
    if (!this.#signing.verify(by, { kind: 'proposal', decision: question.id, option, by }, signature))
      return forged('a proposal without a valid signature of the member it names');
    return null;
  }

  /**
   * A close is signed by the member it names, who is the question's asker, or one of its voters (of
   * a question with a deadline: an acceptor takes such a close only once its own clock has passed the
   * deadline, see closesEarly; the date in the close decides nothing).
   */
  #closeProblem(question: QuestionDefinition, value: Value): string | null {
    const close = decodeClose(value);
    if (close === null) return 'a value that is not a close';
    const { by, at, digest, count, signature } = close;
    if (!this.#signing.verify(by, { kind: 'close', question: question.id, by, at, digest, count }, signature))
      return forged('a close without a valid signature of the member it names');
    if (!mayVote(question, by)) return `a close by ${by}, who is not among the question's voters`;
    // Before the deadline only the asker closes: judged by each acceptor's own clock when it first
    // accepts the close (closesEarly), not by the date the closer wrote in it.
    if (by !== question.createdBy && question.deadline === null)
      return 'a close by a member other than the asker of a question without a deadline';
    return null;
  }

  /** This node's close of `question` over `votes` (its standing votes), as a Paxos value. */
  close(question: QuestionDefinition, votes: readonly MemberVote[], self: string, now: number): CloseValue {
    const standing = standingVotes(votes);
    const fields = {
      question: question.id,
      by: self,
      at: now,
      digest: voteSetDigest(question.id, standing),
      count: standing.length,
    };
    return { kind: 'close', ...fields, signature: this.#signing.sign({ kind: 'close', ...fields }) };
  }

  /** The set a close committed to: it must be the votes whose digest the close names, each valid. */
  voteSetProblem(
    question: QuestionDefinition,
    close: CloseValue,
    votes: readonly MemberVote[],
  ): string | null {
    const closeProblem = this.valueProblem(question, encodeClose(close));
    if (closeProblem !== null) return closeProblem;
    if (votes.length > MAX_VOTES_PER_QUESTION) return 'a vote set larger than any group';
    if (new Set(votes.map((v) => v.by)).size !== votes.length)
      return 'a vote set with two votes of one member';
    if (votes.length !== close.count || voteSetDigest(question.id, votes) !== close.digest)
      return 'a vote set that is not the one the close names';
    for (const vote of votes) {
      const problem = this.voteProblem(question, vote);
      if (problem !== null) return `a vote set with an invalid vote: ${problem}`;
    }
    return null;
  }

  /** Signs this node's vote (`amount` null) or bid. */
  signVote(vote: Omit<MemberVote, 'signature'>): MemberVote {
    return { ...vote, signature: this.#signing.sign({ kind: 'vote', ...vote }) };
  }

  /**
   * A vote must be signed by its member, one of the question's voters, for this question, of the kind
   * and an option it allows, and cast before the deadline (by the voter's clock: its seq is that
   * clock, or one more than its previous vote's).
   */
  voteProblem(question: QuestionDefinition, vote: MemberVote): string | null {
    if (vote.question !== question.id) return 'a vote for another question';
    if (question.rule === 'quick') return 'a vote on a quick decision';
    if (!mayVote(question, vote.by)) return `a vote of ${vote.by}, who is not among the question's voters`;
    if (question.deadline !== null && vote.seq >= question.deadline) return 'a vote cast after the deadline';
    if ((question.rule === 'sealed-bid') !== (vote.amount !== null))
      return question.rule === 'sealed-bid' ? 'a vote without an amount in an auction' : 'a bid in a vote';
    if (!isAllowedVoteOption(question, vote.option))
      return `"${vote.option}" is not one of the question's options`;
    const { signature, ...fields } = vote;
    // The whole vote: a signature stays valid only with the fields it was made for.
    const key = `vote\n${JSON.stringify(vote)}`;
    if (this.#goodValues.has(key)) return null;
    if (!this.#signing.verify(vote.by, { kind: 'vote', ...fields }, signature))
      return forged('a vote without a valid signature of its member');
    remember(this.#goodValues, key);
    return null;
  }

  /** This acceptor's receipt for `vote` (see VoteReceipt). */
  signReceipt(vote: MemberVote, self: string): VoteReceipt {
    const fields = { question: vote.question, voter: vote.by, seq: vote.seq, vote: vote.signature, by: self };
    return { ...fields, signature: this.#signing.sign({ kind: 'vote-receipt', ...fields }) };
  }

  /** A receipt counts when one of the question's acceptors signed it, for this question. */
  receiptProblem(question: QuestionDefinition, receipt: VoteReceipt): string | null {
    if (receipt.question !== question.id) return 'a receipt for another question';
    if (!question.acceptors.includes(receipt.by))
      return `a receipt by ${receipt.by}, who is not among the question's acceptors`;
    const { signature, ...fields } = receipt;
    if (!this.#signing.verify(receipt.by, { kind: 'vote-receipt', ...fields }, signature))
      return forged('a receipt without a valid signature of its acceptor');
    return null;
  }

  /** An outcome holds when its value does, and a strict majority of the acceptors signed it. */
  outcomeProblem(question: QuestionDefinition, value: Value, certificate: Certificate): string | null {
    const key = `${question.id}\n${value}\n${JSON.stringify(certificate)}`;
    if (this.#goodCertificates.has(key)) return null;
    const valueProblem = this.valueProblem(question, value);
    if (valueProblem !== null) return valueProblem;
    const config = decisionConfigOf(question);
    const shape = certificateProblem(config, certificate, quorumSize(config));
    if (shape !== null) return shape;
    const decision = question.id;
    const { ballot } = certificate;
    for (const { acceptor, signature } of certificate.accepted) {
      if (!this.#signing.verify(acceptor, { kind: 'accepted', decision, ballot, value }, signature))
        return forged(`a certificate with a signature that is not ${acceptor}'s`);
    }
    for (const { acceptor, accepted, signature } of certificate.promises) {
      if (!this.#signing.verify(acceptor, { kind: 'promise', decision, ballot, accepted }, signature))
        return forged(`a certificate with a promise that is not ${acceptor}'s`);
    }
    remember(this.#goodCertificates, key);
    return null;
  }

  /**
   * A question from a peer must be signed by the member it names as its creator, must not claim to be
   * asked in the future (it would stay on top of every list), and may only name acceptors this node
   * knows as members.
   */
  questionProblem(
    question: QuestionDefinition,
    now: number,
    isMember: (peer: string) => boolean,
  ): string | null {
    if (question.createdAt > now + MAX_CLOCK_AHEAD_MS)
      return `a question created ${Math.round((question.createdAt - now) / 60_000)} minutes in the future`;
    const stranger = question.acceptors.find((a) => !isMember(a));
    if (stranger !== undefined) return `a question whose acceptor ${stranger} is no member this node knows`;
    return this.definitionProblem(question);
  }

  /** A question's definition must be signed by the member it names as its creator. */
  definitionProblem(question: QuestionDefinition): string | null {
    const { signature, ...fields } = question;
    if (signature === undefined) return "a question without its creator's signature";
    if (this.#signing.verify(question.createdBy, { kind: 'question', ...fields }, signature)) return null;
    // Signed by an older Synod, whose signature did not cover the voters: whoever passed it on could
    // have added some. Not taken; and not a forgery of the sender's, who may have held it since.
    if (
      question.voters !== undefined &&
      question.epoch === undefined &&
      this.#signing.verify(question.createdBy, { kind: 'question', ...fields, voters: undefined }, signature)
    )
      return "a question whose voters its asker's signature does not cover (asked with an older Synod)";
    return forged('a question without a valid signature of the member it names as its creator');
  }

  /** Signs a question this node creates. */
  signDefinition(question: Omit<QuestionDefinition, 'signature'>): QuestionDefinition {
    return { ...question, signature: this.#signing.sign({ kind: 'question', ...question }) };
  }
}

function remember(set: Set<string>, key: string): void {
  if (set.size >= MAX_REMEMBERED) set.clear();
  set.add(key);
}
