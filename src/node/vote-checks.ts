import {
  decodeProposal,
  encodeProposal,
  isAllowedOption,
  type QuestionDefinition,
} from '../model/question.ts';
import {
  certificateProblem,
  quorumSize,
  type Certificate,
  type PaxosMessage,
  type Value,
} from '../paxos/index.ts';
import type { Signing } from './signing.ts';

/** How far ahead of this node's clock another member's may be: laptops' clocks drift, not by hours. */
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
      case 'accept':
        return this.valueProblem(question, message.value);
      case 'promise': {
        const { decision, ballot, accepted, signature } = message;
        if (!this.#signing.verify(from, { kind: 'promise', decision, ballot, accepted }, signature))
          return 'a promise without a valid signature of its sender';
        return accepted === null ? null : this.valueProblem(question, accepted.value);
      }
      case 'accepted': {
        const { decision, ballot, value, signature } = message;
        if (!this.#signing.verify(from, { kind: 'accepted', decision, ballot, value }, signature))
          return 'an accepted without a valid signature of its sender';
        return this.valueProblem(question, value);
      }
      case 'decided':
        return this.outcomeProblem(question, message.value, message.certificate);
    }
  }

  /** A value must be a proposal signed by the member it names, of an option the question allows. */
  valueProblem(question: QuestionDefinition, value: Value): string | null {
    const key = `${question.id}\n${value}`;
    if (this.#goodValues.has(key)) return null;
    const proposal = decodeProposal(value);
    if (proposal === null) return 'a value that is not a proposal';
    if (!isAllowedOption(question, proposal.option))
      return `"${proposal.option}" is not one of the question's options`;
    const { option, by, signature } = proposal;
    if (!this.#signing.verify(by, { kind: 'proposal', decision: question.id, option, by }, signature))
      return 'a proposal without a valid signature of the member it names';
    remember(this.#goodValues, key);
    return null;
  }

  /** An outcome holds when its value does, and a strict majority of the acceptors signed it. */
  outcomeProblem(question: QuestionDefinition, value: Value, certificate: Certificate): string | null {
    const key = `${question.id}\n${value}\n${JSON.stringify(certificate)}`;
    if (this.#goodCertificates.has(key)) return null;
    const valueProblem = this.valueProblem(question, value);
    if (valueProblem !== null) return valueProblem;
    const config = { acceptors: question.acceptors, learners: question.learners };
    const shape = certificateProblem(config, certificate, quorumSize(config));
    if (shape !== null) return shape;
    const decision = question.id;
    const { ballot } = certificate;
    for (const { acceptor, signature } of certificate.accepted) {
      if (!this.#signing.verify(acceptor, { kind: 'accepted', decision, ballot, value }, signature))
        return `a certificate with a signature that is not ${acceptor}'s`;
    }
    for (const { acceptor, accepted, signature } of certificate.promises) {
      if (!this.#signing.verify(acceptor, { kind: 'promise', decision, ballot, accepted }, signature))
        return `a certificate with a promise that is not ${acceptor}'s`;
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
    if (!this.#signing.verify(question.createdBy, { kind: 'question', ...fields }, signature))
      return 'a question without a valid signature of the member it names as its creator';
    return null;
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
