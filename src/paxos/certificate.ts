import { compareBallots, sameBallot, type NodeId } from './ballot.ts';
import { isAcceptor, type DecisionConfig } from './config.ts';
import type { Certificate, Conflict, Value } from './messages.ts';

/**
 * What the core can check of a certificate without keys: a strict majority (`quorum`) of distinct
 * acceptors of the decision, and evidence only from its acceptors. Signatures were checked where the
 * certificate entered the node. Returns a reason to refuse, or null.
 */
export function certificateProblem(
  config: DecisionConfig,
  certificate: Certificate,
  quorum: number,
): string | null {
  const signers = certificate.accepted.map((a) => a.acceptor);
  if (new Set(signers).size !== signers.length) return 'a certificate that names an acceptor twice';
  if (signers.some((s) => !isAcceptor(config, s)))
    return 'a certificate signed by a node that is no acceptor';
  if (signers.length < quorum)
    return `a certificate with ${signers.length} acceptors where ${quorum} are needed`;
  const promisers = certificate.promises.map((p) => p.acceptor);
  if (new Set(promisers).size !== promisers.length || promisers.some((p) => !isAcceptor(config, p)))
    return "a certificate whose promises do not come from the decision's acceptors, once each";
  if (
    certificate.promises.some(
      (p) => p.accepted !== null && compareBallots(p.accepted.ballot, certificate.ballot) >= 0,
    )
  )
    return 'a certificate with a promise that reports a ballot it could not have accepted yet';
  return null;
}

/**
 * Two valid certificates for different values: which acceptors do their signatures convict? An
 * acceptor that signed Accepted at the lower ballot and then, in a Promise for the higher ballot,
 * reported nothing accepted, something lower, or another value at that ballot, lied (an honest one
 * reports what it accepted). So did one that signed two values at one ballot.
 */
export function conflictBetween(
  first: { readonly value: Value; readonly certificate: Certificate },
  second: { readonly value: Value; readonly certificate: Certificate },
): Conflict {
  const firstSigners = new Set(first.certificate.accepted.map((a) => a.acceptor));
  const signedBoth = second.certificate.accepted
    .map((a) => a.acceptor)
    .filter((a) => firstSigners.has(a))
    .sort();
  const order = compareBallots(first.certificate.ballot, second.certificate.ballot);
  const liars = new Set<NodeId>();
  if (order === 0) {
    for (const acceptor of signedBoth) liars.add(acceptor);
  } else {
    const [low, high] = order < 0 ? [first, second] : [second, first];
    const lowSigners = new Set(low.certificate.accepted.map((a) => a.acceptor));
    for (const promise of high.certificate.promises) {
      if (!lowSigners.has(promise.acceptor)) continue;
      const reported = promise.accepted;
      const hid =
        reported === null ||
        compareBallots(reported.ballot, low.certificate.ballot) < 0 ||
        (sameBallot(reported.ballot, low.certificate.ballot) && reported.value !== low.value);
      if (hid) liars.add(promise.acceptor);
    }
  }
  return { value: second.value, certificate: second.certificate, liars: [...liars].sort(), signedBoth };
}
