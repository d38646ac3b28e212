import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { isForgery, VoteChecks } from '../../src/node/votes/vote-checks.ts';
import { closesEarly } from '../../src/node/votes/vote-receipts.ts';
import { encodeClose } from '../../src/model/rules.ts';
import type { Ballot, Certificate } from '../../src/paxos/index.ts';

const GROUP = '0123456789abcdef';

interface Member {
  readonly id: string;
  readonly signing: Signing;
  readonly checks: VoteChecks;
}

async function member(group = GROUP, key?: PrivateKey): Promise<Member> {
  const privateKey = key ?? (await generateKeyPair('Ed25519'));
  const signing = new Signing(group, privateKey);
  return { id: peerIdFromPrivateKey(privateKey).toString(), signing, checks: new VoteChecks(signing) };
}

const [alice, bob, carol, dave, mallory] = await Promise.all([
  member(),
  member(),
  member(),
  member(),
  member(),
]);
const acceptors = [alice, bob, carol];

function question(id: string, creator = alice): QuestionDefinition {
  return creator.checks.signDefinition({
    id,
    title: 'Where do we meet?',
    options: ['The park', 'The café'],
    allowOther: false,
    createdBy: creator.id,
    createdAt: Date.now(),
    acceptors: acceptors.map((m) => m.id),
    learners: [dave.id],
    rule: 'quick',
    deadline: null,
  });
}

/** The question with `changes`, signed again by `signer`. */
function resign(
  signer: Member,
  q: QuestionDefinition,
  changes: Partial<QuestionDefinition>,
): QuestionDefinition {
  const fields: Partial<QuestionDefinition> = { ...q, ...changes };
  delete fields.signature;
  return signer.checks.signDefinition(fields as Omit<QuestionDefinition, 'signature'>);
}

const q1 = question('1'.repeat(32));
const q2 = question('2'.repeat(32));
const ballot: Ballot = { round: 3, node: alice.id };

function certificate(
  q: QuestionDefinition,
  value: string,
  signers: readonly Member[],
  b = ballot,
): Certificate {
  return {
    ballot: b,
    accepted: signers.map((m) => ({
      acceptor: m.id,
      signature: m.signing.sign({ kind: 'accepted', decision: q.id, ballot: b, value }),
    })),
    promises: [],
  };
}

describe('signed proposals', () => {
  it('a proposal is valid only with the signature of the member it credits, for an option of the question', () => {
    const park = bob.checks.propose(q1, 'The park', bob.id);
    assert.equal(dave.checks.valueProblem(q1, park), null);
    // Credited to Bob, but signed by Mallory.
    const forged = mallory.checks.propose(q1, 'The park', bob.id);
    assert.match(dave.checks.valueProblem(q1, forged) ?? '', /signature of the member it names/);
    // Bob's signature for another question does not carry over.
    assert.match(dave.checks.valueProblem(q2, park) ?? '', /signature/);
    // Not one of the options, on a question that allows none other.
    const midnight = bob.checks.propose(q1, 'Midnight', bob.id);
    assert.match(dave.checks.valueProblem(q1, midnight) ?? '', /not one of the question's options/);
    assert.match(
      dave.checks.valueProblem(q1, JSON.stringify({ option: 'The park', by: bob.id })) ?? '',
      /not a proposal/,
    );
  });

  it('a signature made in another group is worth nothing here', async () => {
    const elsewhere = await member('fedcba9876543210');
    const mine = await member(GROUP);
    const value = elsewhere.checks.propose(q1, 'The park', elsewhere.id);
    assert.match(mine.checks.valueProblem(q1, value) ?? '', /signature/);
  });
});

describe('outcome certificates', () => {
  const value = bob.checks.propose(q1, 'The park', bob.id);

  it('a strict majority of the acceptors, each signing the ballot and value, makes a valid certificate', () => {
    assert.equal(dave.checks.outcomeProblem(q1, value, certificate(q1, value, [alice, carol])), null);
    assert.equal(dave.checks.outcomeProblem(q1, value, certificate(q1, value, acceptors)), null);
  });

  it('refuses forged, duplicated, out-of-set, too few and cross-question signatures', () => {
    const good = certificate(q1, value, [alice, bob]);
    const [first] = good.accepted as [Certificate['accepted'][number]];
    const cases: [string, Certificate, RegExp][] = [
      [
        'a signature by someone else in an acceptor’s name',
        {
          ...good,
          accepted: [
            first,
            {
              acceptor: bob.id,
              signature: mallory.signing.sign({ kind: 'accepted', decision: q1.id, ballot, value }),
            },
          ],
        },
        /not .*'s/,
      ],
      ['one acceptor twice', { ...good, accepted: [first, first] }, /twice/],
      ['a signer outside the acceptor set', certificate(q1, value, [alice, dave]), /no acceptor/],
      ['one of three', certificate(q1, value, [alice]), /1 acceptors where 2 are needed/],
      ['signatures of another question', certificate(q2, value, [alice, bob]), /signature/],
      [
        'signatures of another ballot',
        { ...certificate(q1, value, [alice, bob], { round: 2, node: alice.id }), ballot },
        /signature/,
      ],
      [
        'signatures of another value',
        certificate(q1, bob.checks.propose(q1, 'The café', bob.id), [alice, bob]),
        /signature/,
      ],
    ];
    for (const [what, cert, reason] of cases) {
      assert.match(dave.checks.outcomeProblem(q1, value, cert) ?? 'accepted', reason, what);
    }
  });

  it('a promise in the evidence must be signed by its acceptor for the certificate’s ballot', () => {
    const promise = (m: Member, b: Ballot) => ({
      acceptor: m.id,
      accepted: null,
      signature: m.signing.sign({ kind: 'promise', decision: q1.id, ballot: b, accepted: null }),
    });
    const good = {
      ...certificate(q1, value, [alice, bob]),
      promises: [promise(alice, ballot), promise(carol, ballot)],
    };
    assert.equal(dave.checks.outcomeProblem(q1, value, good), null);
    const stale = { ...good, promises: [promise(alice, { round: 1, node: alice.id })] };
    assert.match(dave.checks.outcomeProblem(q1, value, stale) ?? '', /promise that is not/);
  });
});

describe('signed questions', () => {
  const known = (peer: string) => [alice, bob, carol, dave].some((m) => m.id === peer);

  it('a question signed by its creator, with known acceptors, is taken', () => {
    assert.equal(dave.checks.questionProblem(q1, Date.now(), known), null);
  });

  it('refuses a question credited to someone who did not sign it, or changed after signing', () => {
    const forged = { ...resign(mallory, q1, {}), createdBy: alice.id };
    assert.match(dave.checks.questionProblem(forged, Date.now(), known) ?? '', /signature/);
    const changed = { ...q1, acceptors: [mallory.id] };
    assert.match(
      dave.checks.questionProblem(changed, Date.now(), (p) => known(p) || p === mallory.id) ?? '',
      /signature/,
    );
    const unsigned = { ...q1, signature: undefined };
    assert.match(dave.checks.questionProblem(unsigned, Date.now(), known) ?? '', /signature/);
  });

  it('its voters and its epoch are signed: one added by whoever passes it on is a forgery', () => {
    const vote = resign(alice, q1, {
      rule: 'vote',
      deadline: Date.now() + 60_000,
      voters: [alice.id, bob.id, carol.id],
    });
    assert.equal(dave.checks.questionProblem(vote, Date.now(), known), null, 'the control is taken');
    const stuffed = { ...vote, voters: [...(vote.voters ?? []), mallory.id] };
    const refused = dave.checks.questionProblem(stuffed, Date.now(), known);
    assert.ok(refused !== null && isForgery(refused), String(refused));
    const inEpoch = resign(alice, vote, { epoch: 4 });
    assert.equal(dave.checks.questionProblem(inEpoch, Date.now(), known), null);
    const moved = dave.checks.questionProblem({ ...inEpoch, epoch: 5 }, Date.now(), known);
    assert.ok(moved !== null && isForgery(moved), String(moved));
    // Signed by an older Synod (its signature left the voters out): not taken, and no forgery of
    // the sender's, who may have held it since.
    const older = {
      ...vote,
      signature: alice.signing.sign({ kind: 'question', ...vote, voters: undefined }),
    };
    const old = dave.checks.questionProblem(older, Date.now(), known);
    assert.ok(old !== null && !isForgery(old), String(old));
    assert.match(old, /older Synod/);
  });

  it('refuses a question from the future (it would stay on top of every list) and one with strangers as acceptors', () => {
    const future = resign(alice, q1, { createdAt: Date.now() + 3_600_000 });
    assert.match(dave.checks.questionProblem(future, Date.now(), known) ?? '', /in the future/);
    const strangers = resign(alice, q1, { acceptors: [alice.id, mallory.id] });
    assert.match(dave.checks.questionProblem(strangers, Date.now(), known) ?? '', /no member/);
  });
});

describe('votes, bids and closes', () => {
  const vote = resign(alice, q1, { id: '3'.repeat(32), rule: 'vote', deadline: Date.now() + 60_000 });
  const auction = resign(alice, q1, { id: '4'.repeat(32), rule: 'sealed-bid', options: [], deadline: null });
  const cast = (m: Member, option: string, amount: number | null = null, q = vote, seq = 1) =>
    m.checks.signVote({ question: q.id, by: m.id, option, amount, seq });

  it('a vote or bid counts only signed by its member, for its question, of the kind and an option it allows', () => {
    assert.equal(alice.checks.voteProblem(vote, cast(bob, 'The park')), null);
    assert.equal(alice.checks.voteProblem(auction, cast(bob, 'the lot', 120, auction)), null);
    assert.match(
      alice.checks.voteProblem(vote, { ...cast(bob, 'The park'), by: carol.id }) ?? '',
      /signature/,
    );
    assert.match(
      alice.checks.voteProblem(vote, { ...cast(bob, 'The park'), option: 'The café' }) ?? '',
      /signature/,
    );
    assert.match(alice.checks.voteProblem(vote, cast(bob, 'The moon')) ?? '', /not one of/);
    assert.match(
      alice.checks.voteProblem(vote, cast(bob, 'The park', null, q1)) ?? '',
      /quick|another question/,
    );
    assert.match(alice.checks.voteProblem(vote, cast(bob, 'The park', 5)) ?? '', /a bid in a vote/);
    assert.match(
      alice.checks.voteProblem(auction, cast(bob, 'the lot', null, auction)) ?? '',
      /without an amount/,
    );
  });

  it('a close is the asker’s before the deadline, anyone’s after, by the acceptor’s clock; its set must be the one it names', () => {
    const votes = [cast(bob, 'The park'), cast(carol, 'The café')];
    const byAsker = alice.checks.close(vote, votes, alice.id, Date.now());
    assert.equal(bob.checks.voteSetProblem(vote, byAsker, votes), null);
    const deadline = vote.deadline ?? 0;
    // Bob's close, whatever date his clock wrote in it: a valid value, taken by an acceptor only once
    // its own clock has passed the deadline; the asker's, at any time.
    const early = bob.checks.close(vote, votes, bob.id, Date.now());
    const datedLate = bob.checks.close(vote, votes, bob.id, deadline + 60_000);
    assert.equal(alice.checks.voteSetProblem(vote, early, votes), null);
    for (const close of [early, datedLate]) {
      assert.equal(
        closesEarly(vote, close, deadline - 1),
        true,
        'before the deadline by the acceptor’s clock',
      );
      assert.equal(closesEarly(vote, close, deadline), false, 'from the deadline on');
    }
    assert.equal(closesEarly(vote, byAsker, deadline - 60_000), false, 'the asker’s early close stays');
    assert.equal(
      closesEarly({ ...vote, deadline: null }, early, deadline + 1),
      true,
      'no deadline: the asker’s alone',
    );
    // (Checked by a member that has not seen it under the question with a deadline: values are cached.)
    assert.match(
      carol.checks.voteSetProblem({ ...vote, deadline: null }, early, votes) ?? '',
      /without a deadline/,
    );
    // A set that is not the one named, a vote changed after the fact, two votes of one member:
    assert.match(alice.checks.voteSetProblem(vote, byAsker, votes.slice(0, 1)) ?? '', /not the one/);
    const changed = [{ ...votes[0], option: 'The café' } as (typeof votes)[0], votes[1] as (typeof votes)[0]];
    assert.match(alice.checks.voteSetProblem(vote, byAsker, changed) ?? '', /not the one|invalid vote/);
    const twice = [cast(bob, 'The park', null, vote, 1), cast(bob, 'The café', null, vote, 2)];
    const closeTwice = alice.checks.close(vote, twice, alice.id, Date.now());
    assert.match(alice.checks.voteSetProblem(vote, closeTwice, twice) ?? '', /two votes of one member/);
    // A close forged in the asker's name:
    const forged = { ...early, by: alice.id };
    assert.match(bob.checks.voteSetProblem(vote, forged, votes) ?? '', /signature/);
  });

  it('only the voters the question names vote, bid or close; the others count nowhere', () => {
    const named = resign(alice, vote, { id: '5'.repeat(32), voters: [alice.id, bob.id, carol.id] });
    assert.equal(dave.checks.voteProblem(named, cast(bob, 'The park', null, named)), null);
    // Dave is a learner, but not a voter of this question; Mallory is in no list at all.
    for (const who of [dave, mallory])
      assert.match(
        alice.checks.voteProblem(named, cast(who, 'The park', null, named)) ?? '',
        /not among the question's voters/,
      );
    const late = (named.deadline ?? 0) + 1;
    assert.equal(
      dave.checks.valueProblem(named, encodeClose(bob.checks.close(named, [], bob.id, late))),
      null,
    );
    assert.match(
      dave.checks.valueProblem(named, encodeClose(mallory.checks.close(named, [], mallory.id, late))) ?? '',
      /not among the question's voters/,
    );
    // A set that carries a vote of someone who is not a voter is refused as a whole.
    const stuffed = [cast(bob, 'The park', null, named), cast(mallory, 'The café', null, named)];
    const close = alice.checks.close(named, stuffed, alice.id, Date.now());
    assert.match(dave.checks.voteSetProblem(named, close, stuffed) ?? '', /not among the question's voters/);
    // A question from before voters were named: its asker, acceptors and learners vote, nobody else.
    assert.equal(alice.checks.voteProblem(vote, cast(dave, 'The park')), null);
    assert.match(alice.checks.voteProblem(vote, cast(mallory, 'The park')) ?? '', /not among/);
  });

  it('a vote cast at or after the deadline counts nowhere', () => {
    const deadline = vote.deadline ?? 0;
    assert.equal(alice.checks.voteProblem(vote, cast(bob, 'The park', null, vote, deadline - 1)), null);
    assert.match(
      alice.checks.voteProblem(vote, cast(bob, 'The park', null, vote, deadline)) ?? '',
      /after the deadline/,
    );
    const votes = [cast(bob, 'The park', null, vote, deadline + 5)];
    const close = alice.checks.close(vote, votes, alice.id, deadline + 10);
    assert.match(alice.checks.voteSetProblem(vote, close, votes) ?? '', /after the deadline/);
  });

  it("a vote set's digest and count are checked against the close", () => {
    const votes = [cast(bob, 'The park'), cast(carol, 'The café')];
    const close = alice.checks.close(vote, votes, alice.id, Date.now());
    assert.equal(dave.checks.voteSetProblem(vote, close, votes), null);
    const other = [cast(bob, 'The park'), cast(dave, 'The café')];
    assert.match(dave.checks.voteSetProblem(vote, close, other) ?? '', /not the one the close names/);
    const recounted = alice.checks.close(vote, votes, alice.id, Date.now());
    const lying = { ...recounted, count: 3 };
    assert.match(dave.checks.voteSetProblem(vote, lying, votes) ?? '', /signature|not the one/);
  });
});

describe('promises', () => {
  const value = bob.checks.propose(q1, 'The park', bob.id);
  const promise = (signer: Member, b: Ballot, accepted: { ballot: Ballot; value: string } | null) => ({
    kind: 'promise' as const,
    decision: q1.id,
    ballot: b,
    accepted,
    signature: signer.signing.sign({ kind: 'promise', decision: q1.id, ballot: b, accepted }),
  });
  const earlier: Ballot = { round: 1, node: bob.id };

  it('a Promise counts only signed by its sender, and its signature covers its ballot and what it reports accepted', () => {
    assert.equal(alice.checks.problem(q1, bob.id, promise(bob, ballot, null)), null);
    assert.equal(alice.checks.problem(q1, bob.id, promise(bob, ballot, { ballot: earlier, value })), null);
    const cases = [
      { ...promise(mallory, ballot, null) },
      { ...promise(bob, ballot, null), ballot: { round: 9, node: alice.id } },
      { ...promise(bob, ballot, null), accepted: { ballot: earlier, value } },
      { ...promise(bob, ballot, { ballot: earlier, value }), accepted: null },
      {
        ...promise(bob, ballot, { ballot: earlier, value }),
        accepted: { ballot: { round: 2, node: bob.id }, value },
      },
      { ...promise(bob, ballot, null), decision: q2.id },
    ];
    for (const message of cases) {
      const problem = alice.checks.problem(q1, bob.id, message) ?? '';
      assert.ok(isForgery(problem), `${JSON.stringify(message).slice(0, 80)}: ${problem}`);
    }
  });

  it('an Accept counts only with promises signed by their acceptors for its very ballot', () => {
    const accept = (promises: { acceptor: string; accepted: null; signature: string }[]) => ({
      kind: 'accept' as const,
      decision: q1.id,
      ballot,
      value,
      promises,
    });
    const signedBy = (m: Member, b: Ballot) => ({
      acceptor: m.id,
      accepted: null,
      signature: m.signing.sign({ kind: 'promise', decision: q1.id, ballot: b, accepted: null }),
    });
    assert.equal(
      dave.checks.problem(q1, alice.id, accept([signedBy(alice, ballot), signedBy(bob, ballot)])),
      null,
    );
    const otherBallot = signedBy(bob, { round: 2, node: alice.id });
    assert.ok(
      isForgery(dave.checks.problem(q1, alice.id, accept([signedBy(alice, ballot), otherBallot])) ?? ''),
    );
    const byMallory = { ...signedBy(mallory, ballot), acceptor: bob.id };
    assert.ok(
      isForgery(dave.checks.problem(q1, alice.id, accept([signedBy(alice, ballot), byMallory])) ?? ''),
    );
  });
});

describe('each signature is checked once', () => {
  it('a valid signature checked again, or one this node made, costs no second check; a changed statement or another signer still fails', async () => {
    const reader = await member();
    const statement = {
      kind: 'accepted',
      decision: 'q1',
      ballot: { round: 1, node: bob.id },
      value: 'v',
    } as const;
    const signature = bob.signing.sign(statement);
    const before = reader.signing.checks;
    assert.ok(reader.signing.verify(bob.id, statement, signature));
    assert.ok(reader.signing.verify(bob.id, statement, signature));
    assert.equal(reader.signing.checks - before, 1);
    assert.equal(reader.signing.verify(bob.id, { ...statement, value: 'w' }, signature), false);
    assert.equal(reader.signing.verify(carol.id, statement, signature), false);
    // Its own signature comes back (in a certificate): known without a check.
    const own = reader.signing.sign(statement);
    const afterOwn = reader.signing.checks;
    assert.ok(reader.signing.verify(reader.id, statement, own));
    assert.equal(reader.signing.checks, afterOwn);
    // A bad signature is never remembered: it fails each time it is checked.
    const forged = `${signature.slice(0, -4)}AAAA`;
    assert.equal(reader.signing.verify(bob.id, statement, forged), false);
    assert.equal(reader.signing.verify(bob.id, statement, forged), false);
  });
});
