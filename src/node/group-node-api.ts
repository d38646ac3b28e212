import { inputSchemas, parseInput } from '../api/schemas.ts';
import {
  SynodError,
  type ContinueGroupInput,
  type GroupSummary,
  type NodeStatus,
  type SynodApi,
  type SynodEvent,
  type TimelineEntry,
} from '../api/types.ts';
import type { GroupApi } from './group/group-api.ts';
import type { GroupLink } from './network/group-link.ts';
import type { NodeViews } from './node-views.ts';
import type { QuestionApi } from './questions/question-api.ts';

/** The parts of a group's node that answer its calls. */
export interface GroupNodeParts {
  readonly groupApi: GroupApi;
  readonly questionApi: QuestionApi;
  readonly views: NodeViews;
  readonly link: GroupLink;
  status(): NodeStatus;
  /** Whether the question is on disk here (a timeline is shown only of those). */
  shown(questionId: string): boolean;
  timeline(questionId: string): TimelineEntry[];
  subscribe(listener: (event: SynodEvent) => void): () => void;
  /** The laptop this group's node is part of: its groups. */
  readonly laptop: LaptopGroups;
  /** This group's id (null while the node is in none). */
  groupId(): string | null;
}

/** What a group's API says of the laptop's other groups, and asks of the laptop (see SynodNode). */
export interface LaptopGroups {
  groups(): Promise<readonly GroupSummary[]>;
  inGroup(groupId: string): SynodApi;
  /** A successor of the group `from` (see SynodApi.continueGroup). */
  continueGroup(from: string, input: ContinueGroupInput | undefined): Promise<NodeStatus>;
}

/** SynodApi for one group: each call handed to the part of the node that answers it. */
export function groupNodeApi(parts: GroupNodeParts): SynodApi {
  const { groupApi, questionApi, views, link } = parts;
  return {
    status: async () => parts.status(),
    createGroup: (input) => groupApi.createGroup(input),
    joinGroup: (input) => groupApi.joinGroup(input),
    invite: (input) => groupApi.invite(input),
    group: () => groupApi.group(),
    renameGroup: (input) => groupApi.renameGroup(input),
    revokeInvite: (input) => groupApi.revokeInvite(input),
    leaveGroup: () => groupApi.leaveGroup(),
    requestRemoval: (input) => groupApi.requestRemoval(input),
    approveRemoval: (input) => groupApi.approveRemoval(input),
    peers: async () => views.peers(),
    addPeer: (input) => link.addPeer(input),
    questions: async () => views.questions(),
    createQuestion: (input) => questionApi.createQuestion(input),
    vote: (input) => questionApi.vote(input),
    bid: (input) => questionApi.bid(input),
    close: (input) => questionApi.close(input),
    propose: (input) => questionApi.propose(input),
    timeline: async (input) => {
      const { questionId } = parseInput(inputSchemas.timeline, input);
      if (!parts.shown(questionId)) throw new SynodError('not-found', `there is no question ${questionId}`);
      return parts.timeline(questionId);
    },
    subscribe: (listener) => parts.subscribe(listener),
    groups: () => parts.laptop.groups(),
    continueGroup: (input) => {
      const id = parts.groupId();
      if (id === null) throw new SynodError('no-group', 'this node is in no group yet');
      return parts.laptop.continueGroup(id, input);
    },
    inGroup: (groupId) => parts.laptop.inGroup(groupId),
  };
}
