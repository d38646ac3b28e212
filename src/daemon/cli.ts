import { parseArgs } from 'node:util';
import { myVoteStanding } from '../api/vote-words.ts';
import { HttpSynodClient } from '../api/http-client.ts';
import { SynodError, type SynodEvent } from '../api/types.ts';
import { LIMITS } from '../model/limits.ts';
import { defaultDataDir } from '../node/durable/data-dir.ts';
import { readApiAccess } from './api-files.ts';
import { startDaemon } from './daemon.ts';
import { forTerminal, jsonForTerminal } from './terminal-text.ts';
import { chooseGroup, formatGroup, formatGroups, memberId } from './cli-group.ts';
import { counted, findQuestion, formatEvent, formatPeer, formatQuestion, ruleOptions } from './cli-words.ts';

const USAGE = `synod — agree on exactly one option with the laptops around you

Usage: synod <command> [options]

Run a node:
  daemon                      run a headless node and its local API
      --data-dir DIR          where this node keeps its state (default: the app's per-user directory,
                              or $SYNOD_DATA_DIR)
      --listen MULTIADDR      listen address, repeatable (default /ip4/0.0.0.0/tcp/0); a port 0 is
                              chosen once and kept, so this node's addresses stay the same
      --peer MULTIADDR        a member to dial (…/p2p/<peer id>), repeatable; for this run only (add-peer remembers one)
      --no-mdns               do not discover peers by multicast (use --peer or add-peer instead)
      --api-port PORT         port of the local API on 127.0.0.1 (default: the one this data directory
                              used before, chosen once, so the browser's address stays the same)
      --max-acceptors N       acceptors of the questions this node asks (1-15, default 7)
      --unlimited-questions   for benchmarks: no per-member question limits (every member must use it)
      --no-group-log          a group this node creates keeps no group log: anyone with the group
                              key takes part, as in groups made before the log (tests, comparisons)
      --verbose               log protocol traffic

Talk to the running node (all take --data-dir DIR and --json, and --group GROUP: a group id, an
id prefix or its name; without it, the laptop's first group):
  status                      this node: peer id, group, addresses
  groups                      the groups this laptop is in (one identity, a network of its own for each)
  create-group NAME --name YOU   a new group (one more, if this laptop is in a group already)
  join INVITE --name YOU       join a group (one more, if in a group already); exits with 3 if no
                              member answered (in the group, but alone so far)
  invite                      the text another member needs to join (in a group with a group log:
                              the same invite for a day, for anyone who holds it)
      --single-use            a new invite, for one newcomer only
  group                       the group as its group log has it: epoch, members, invites, history
  rename NAME                 rename the group (a group that keeps a group log)
  revoke INVITE_ID            end an open invite of the group log: it admits nobody
  remove MEMBER               ask the group to remove a member (a name or peer id); made once a
                              majority of the other members approve
  approve-removal MEMBER      approve the pending request to remove a member
  leave                       leave the group (a group that keeps a group log)
  continue [NAME]             when the group's deciders are gone for good: start a new group that
                              names this one (its members join it with its invites); this laptop then
                              keeps this group read-only [--name YOU: your name in the new group]
  peers                       members, online or when last seen
  add-peer MULTIADDR          connect to a member by address (when multicast is blocked); remembered
                              only if a member of this group answers there
  ask TITLE [--option X]...   create a question (the connected members become its acceptors)
      --rule RULE             quick (default: the first proposal a majority accepts wins), vote
                              (most votes when it is closed) or sealed-bid (highest bid when closed)
      --deadline DURATION     for a vote or an auction: when anyone may close it (e.g. 90s, 10m, 2h, 1d)
      --allow-other           members may also propose (or vote for) options that are not listed
      --alone                 ask even though nobody else is online (you alone would decide it)
  questions                   questions with their state and outcome
  propose QUESTION OPTION     propose an option; QUESTION is an id, an id prefix or the exact title
      --wait SECONDS          how long to wait for the outcome (default 10)
  vote QUESTION OPTION        vote (again, to change your vote) on a question decided by vote; exits
                              with 3 if it is not counted (held by a majority of the acceptors) within
      --wait SECONDS          (default 10): saved, and still being delivered
  bid QUESTION AMOUNT         place or change a bid (shown at the close; not secret from members' laptops)
                              [--option X: the lot, if it lists options]; --wait and exit code as for vote
  close QUESTION              close a vote or an auction (the asker; anyone after the deadline)
      --wait SECONDS          how long to wait for the final tally (default 10)
  watch                       print the current state, then live events, until interrupted
  open                        a new browser link to the app (each link works once, for an hour)
  rotate-token                a new API token: the old one, browser sessions and unused links stop working
`;

/** The exit status of a join that reached no member: in the group, but alone so far. */
const JOINED_ALONE = 3;
/** The exit status of a vote or bid not counted within --wait (it is saved, and still being delivered). */
const NOT_YET = 3;
/** How long vote and bid wait to be counted, unless --wait says otherwise. */
const DEFAULT_WAIT_MS = 10_000;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'daemon') return await runDaemon(rest);
    return await runClientCommand(command, rest);
  } catch (error) {
    const message = error instanceof SynodError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`synod ${command}: ${message}\n`);
    return 1;
  }
}

async function runDaemon(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'data-dir': { type: 'string' },
      listen: { type: 'string', multiple: true },
      peer: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean', default: false },
      'api-port': { type: 'string', default: '0' },
      'max-acceptors': { type: 'string', default: String(LIMITS.defaultAcceptors) },
      'unlimited-questions': { type: 'boolean', default: false },
      'no-group-log': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const acceptorsPerQuestion = Number(values['max-acceptors']);
  if (
    !Number.isInteger(acceptorsPerQuestion) ||
    acceptorsPerQuestion < 1 ||
    acceptorsPerQuestion > LIMITS.maxAcceptors
  ) {
    throw new Error(`--max-acceptors takes 1 to ${LIMITS.maxAcceptors}`);
  }
  const apiPort = Number(values['api-port']);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535)
    throw new Error('--api-port needs a port number');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const daemon = await startDaemon({
    dataDir,
    ...(values.listen === undefined ? {} : { listen: values.listen }),
    peers: values.peer ?? [],
    mdns: !values['no-mdns'],
    apiPort,
    acceptorsPerQuestion,
    unlimitedQuestions: values['unlimited-questions'],
    groupLog: !values['no-group-log'],
    verbose: values.verbose,
  });
  const status = await daemon.node.status();
  const others = (await daemon.node.groups()).filter((g) => !g.first);
  process.stdout.write(
    forTerminal(
      `synod daemon: peer ${status.peerId}\n  data ${dataDir}\n  API ${daemon.apiUrl} (token in ${dataDir}/api-token)\n` +
        (daemon.uiUrl === null
          ? '  (no browser UI: run "npm run build" first)\n'
          : // The link opens the API once: only to a person at a terminal, never into a log file that
            // another user of the machine may read (redirected output is often world-readable).
            process.stdout.isTTY
            ? `  open the app in a browser: ${daemon.uiUrl}\n`
            : '  for a link to the app in a browser, run "synod open" (not printed: this output is no terminal)\n') +
        (status.group
          ? `  group "${status.group.name}" as ${status.displayName}\n`
          : '  in no group yet: run "synod create-group" or "synod join"\n') +
        others.map((g) => `  also in "${g.name}" as ${g.displayName} (--group ${g.id})\n`).join('') +
        status.addresses.map((a) => `  listening on ${a}\n`).join('') +
        (status.storageError ? `  NOT VOTING: ${status.storageError}\n` : ''),
    ),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await daemon.stop();
  return 0;
}

async function runClientCommand(command: string, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      option: { type: 'string', multiple: true },
      wait: { type: 'string' },
      alone: { type: 'boolean', default: false },
      'allow-other': { type: 'boolean', default: false },
      'single-use': { type: 'boolean', default: false },
      rule: { type: 'string' },
      deadline: { type: 'string' },
      group: { type: 'string' },
    },
  });
  const access = await readApiAccess(values['data-dir'] ?? defaultDataDir());
  const laptop = new HttpSynodClient(access.url, access.token);
  const api =
    values.group === undefined ? laptop : laptop.inGroup((await chooseGroup(laptop, values.group)).id);
  const out = (json: unknown, text: string) =>
    process.stdout.write(values.json ? `${jsonForTerminal(json)}\n` : forTerminal(text));
  const arg = (index: number, what: string): string => {
    const value = positionals[index];
    if (value === undefined) throw new Error(`give ${what} (see "synod help")`);
    return value;
  };
  const waitOption = (): number | undefined => {
    const waitMs = values.wait === undefined ? undefined : Math.round(Number(values.wait) * 1000);
    if (waitMs !== undefined && !(waitMs >= 0 && waitMs <= 60_000))
      throw new Error('--wait takes 0 to 60 seconds');
    return waitMs;
  };
  const displayName = (): string => {
    if (typeof values.name !== 'string') throw new Error('give your display name with --name');
    return values.name;
  };

  switch (command) {
    case 'status': {
      const s = await api.status();
      out(
        s,
        `peer ${s.peerId}\n` +
          (s.group ? `group "${s.group.name}" (${s.group.id}) as ${s.displayName}\n` : 'in no group yet\n') +
          s.addresses.map((a) => `address ${a}\n`).join('') +
          `messages refused ${s.rejectedMessages} (forged signatures ${s.forgedSignatures}; members cut off now ${s.cutOffPeers})\n` +
          (s.storageError ? `NOT VOTING: ${s.storageError}\n` : ''),
      );
      return 0;
    }
    case 'groups': {
      const groups = await laptop.groups();
      out(groups, formatGroups(groups));
      return 0;
    }
    case 'create-group': {
      const s = await laptop.createGroup({ groupName: arg(0, 'the group name'), displayName: displayName() });
      out(s, `created the group "${s.group?.name}"; invite others with "synod invite"\n`);
      return 0;
    }
    case 'join': {
      const result = await laptop.joinGroup({ invite: arg(0, 'the invite'), displayName: displayName() });
      const joined = result.admitted
        ? `joined the group "${result.status.group?.name}" as ${result.status.displayName}`
        : `asked to join the group "${result.status.group?.name}" as ${result.status.displayName}`;
      if (result.problem !== null) {
        out(result, `${joined}, but ${result.problem}\n`);
        return JOINED_ALONE;
      }
      out(result, `${joined}; connected to ${result.reached.map((m) => m.name).join(', ')}\n`);
      return 0;
    }
    case 'invite': {
      const result = await api.invite(values['single-use'] ? { singleUse: true } : undefined);
      out(result, `${result.invite}\n`);
      return 0;
    }
    case 'group': {
      const group = await api.group();
      out(group, formatGroup(group));
      return 0;
    }
    case 'rename': {
      const group = await api.renameGroup({ name: arg(0, 'the new name') });
      out(group, `the group is now "${group.name}" (epoch ${group.epoch})\n`);
      return 0;
    }
    case 'revoke': {
      const group = await api.revokeInvite({ invite: arg(0, 'the invite id (see "synod group")') });
      out(group, `the invite is revoked: it admits nobody (epoch ${group.epoch})\n`);
      return 0;
    }
    case 'remove':
    case 'approve-removal': {
      const member = await memberId(api, arg(0, 'the member (its name or peer id, see "synod group")'));
      const group =
        command === 'remove' ? await api.requestRemoval({ member }) : await api.approveRemoval({ member });
      const pending = group.removals.find((r) => r.target === member);
      out(
        group,
        pending === undefined
          ? `the group has removed ${member} (epoch ${group.epoch})\n`
          : `removal of ${pending.targetName}: approved by ${pending.approvedBy.length} of the ${pending.needed} needed\n`,
      );
      return 0;
    }
    case 'leave': {
      const group = await api.leaveGroup();
      out(
        group,
        `you left "${group.name}": this laptop keeps what it knew of the group, and takes no more part\n`,
      );
      return 0;
    }
    case 'continue': {
      const s = await api.continueGroup({
        ...(positionals[0] === undefined ? {} : { groupName: positionals[0] }),
        ...(typeof values.name === 'string' ? { displayName: values.name } : {}),
      });
      out(
        s,
        `started "${s.group?.name}" (${s.group?.id}), which continues this group; invite its members with ` +
          `"synod invite --group ${s.group?.id}"\n`,
      );
      return 0;
    }
    case 'peers': {
      const peers = await api.peers();
      out(peers, peers.length === 0 ? 'no other members known yet\n' : peers.map(formatPeer).join(''));
      return 0;
    }
    case 'add-peer': {
      const address = arg(0, 'the address');
      const added = await api.addPeer({ address });
      out(added, `connected to ${added.name} (${added.peerId}); the address is remembered\n`);
      return 0;
    }
    case 'ask': {
      const q = await api
        .createQuestion({
          title: arg(0, 'the question'),
          options: values.option ?? [],
          confirmAlone: values.alone,
          ...(values['allow-other'] ? { allowOther: true } : {}),
          ...ruleOptions(values.rule, values.deadline),
        })
        .catch((error: unknown) => {
          if (error instanceof SynodError && error.code === 'needs-confirmation')
            throw new SynodError(error.code, `${error.message} Then add --alone.`);
          throw error;
        });
      out(
        q,
        `asked ${q.id}: ${q.title}\n  voters: ${q.acceptors.map((a) => a.name).join(', ')} (needs ${q.quorum} of these ${q.acceptors.length} online)\n`,
      );
      return 0;
    }
    case 'questions':
    case 'list': {
      const questions = await api.questions();
      out(questions, questions.length === 0 ? 'no questions yet\n' : questions.map(formatQuestion).join(''));
      return 0;
    }
    case 'propose': {
      const question = await findQuestion(api, arg(0, 'the question'));
      const waitMs = waitOption();
      const result = await api.propose({
        questionId: question.id,
        option: arg(1, 'the option'),
        ...(waitMs === undefined ? {} : { waitMs }),
      });
      out(
        result,
        result.state === 'decided'
          ? `decided: ${result.outcome.option} (proposed by ${result.outcome.proposedByName})${result.won ? '' : ' — not your proposal'}\n`
          : `${result.message}\n`,
      );
      return result.state === 'decided' ? 0 : 3;
    }
    case 'vote': {
      const question = await findQuestion(api, arg(0, 'the question'));
      const view = await api.vote({
        questionId: question.id,
        option: arg(1, 'the option'),
        waitMs: waitOption() ?? DEFAULT_WAIT_MS,
      });
      out(
        view,
        `voted "${view.myVote?.option ?? ''}" on ${view.title}; ${myVoteStanding(view) ?? ''}\n${formatQuestion(view)}`,
      );
      return counted(view) ? 0 : NOT_YET;
    }
    case 'bid': {
      const question = await findQuestion(api, arg(0, 'the question'));
      const amount = Number(arg(1, 'the amount'));
      const view = await api.bid({
        questionId: question.id,
        amount,
        ...(values.option?.[0] === undefined ? {} : { option: values.option[0] }),
        waitMs: waitOption() ?? DEFAULT_WAIT_MS,
      });
      out(
        view,
        `bid ${amount} on ${view.title} (amounts are shown at the close; not secret from members' laptops); ${myVoteStanding(view) ?? ''}\n`,
      );
      return counted(view) ? 0 : NOT_YET;
    }
    case 'close': {
      const question = await findQuestion(api, arg(0, 'the question'));
      const waitMs = waitOption();
      const result = await api.close({
        questionId: question.id,
        ...(waitMs === undefined ? {} : { waitMs }),
      });
      if (result.state !== 'decided') {
        out(result, `${result.message}\n`);
        return 3;
      }
      const { proposedByName, option, close } = result.outcome;
      const bid = close?.winningBid ?? null;
      out(
        result,
        `closed by ${proposedByName}: ${option ?? 'nothing was cast'}` +
          (bid === null ? '' : ` — ${bid.member.name} wins with ${bid.amount}`) +
          '\n',
      );
      return 0;
    }
    case 'watch': {
      // The state as it is now first, then each change. Changes that come while the state is read
      // wait, so that nothing printed is older than what was printed before it.
      let waiting: SynodEvent[] | null = [];
      api.subscribe((event) => {
        if (waiting === null) out(event, formatEvent(event));
        else waiting.push(event);
      });
      const [status, peers, questions] = await Promise.all([api.status(), api.peers(), api.questions()]);
      const now: SynodEvent[] = [
        { type: 'status', status },
        { type: 'peers', peers },
        ...questions.map((question) => ({ type: 'question' as const, question })),
      ];
      for (const event of [...now, ...waiting]) out(event, formatEvent(event));
      waiting = null;
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return 0;
    }
    case 'open': {
      const url = await api.newLink();
      out({ url }, `open the app in a browser (this link works once): ${url}\n`);
      return 0;
    }
    case 'rotate-token': {
      await api.rotateToken();
      out({ ok: true }, 'a new API token is in the data directory; browser sessions must open a new link\n');
      return 0;
    }
    default:
      throw new Error(`unknown command "${command}" (see "synod help")`);
  }
}
