import type { QuestionView } from './types.ts';

/**
 * Where this laptop's vote or bid stands, in the words the app and the CLI both use: counted once a
 * strict majority of the question's acceptors hold it and said so (signed receipts), since every close
 * that can be chosen then counts it; before, saved here and still being delivered. Nothing more.
 */
export function myVoteStanding(question: Pick<QuestionView, 'myVote' | 'acceptors'>): string | null {
  const mine = question.myVote;
  if (mine === null) return null;
  const { receipts, needed } = mine;
  const laptops = (n: number) => `${n} laptop${n === 1 ? '' : 's'}`;
  return receipts >= needed
    ? `Counted: ${laptops(receipts)} of the ${question.acceptors.length} that decide hold it (${needed} needed), so the final tally includes it.`
    : `Saved on this laptop, not counted yet: ${receipts} of the ${needed} needed laptops that decide hold it so far. Keep this laptop connected until it is counted.`;
}
