/**
 * The real React UI in Debian's Chromium (driven by playwright-core; no browser is downloaded),
 * against three real headless daemons on loopback: everything a person does, through the UI.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { inviteLink } from '../../src/model/invite-link.ts';
import { ARTIFACTS, browserMissing, launchChromium } from '../helpers/browser.ts';
import { DaemonProcess, waitFor } from '../helpers/daemons.ts';

const missing = browserMissing;
if (missing !== null) console.log(`SKIPPED the browser end-to-end test: ${missing}`);

/** Counts the notifications a page shows (a headless browser displays none). */
const COUNT_NOTIFICATIONS = `
  const shown = [];
  const Real = window.Notification;
  class Counted extends Real {
    constructor(title, options) {
      super(title, options);
      shown.push(title + ': ' + (options && options.body ? options.body : ''));
    }
  }
  Object.defineProperty(window, 'Notification', { value: Counted });
  Object.defineProperty(window, 'shownNotifications', { value: shown });
`;

/** Puts a page's tab in the background or brings it back, as switching tabs does. */
const setVisibility = (state: 'hidden' | 'visible') => `
  Object.defineProperty(document, 'visibilityState', { value: '${state}', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
`;

describe('the app in a browser, against three headless nodes', { skip: missing ?? false }, () => {
  let base = '';
  let browser: Browser;
  const daemons: DaemonProcess[] = [];
  const pages: Page[] = [];
  const names = ['Alice', 'Bob', 'Carol'];

  /** What "synod open" prints: a link whose code works once. */
  const uiUrl = (d: DaemonProcess) => d.client.newLink();
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    base = await mkdtemp(join(tmpdir(), 'synod-e2e-'));
    for (let i = 0; i < 3; i++) {
      // No --api-port: the page finds its node again after a restart because the data directory
      // keeps the port it chose first.
      const d = new DaemonProcess(`n${i + 1}`, join(base, `n${i + 1}`));
      await d.start();
      daemons.push(d);
    }
    browser = await launchChromium();
    for (const d of daemons) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      // Browser-mode notifications: allowed, and counted here (a headless browser shows none).
      await context.grantPermissions(['notifications'], { origin: new URL(d.client.baseUrl).origin });
      await context.addInitScript({ content: COUNT_NOTIFICATIONS });
      const page = await context.newPage();
      page.on('pageerror', (error) => console.log(`page error on ${d.name}: ${error.message}`));
      await page.goto(await uiUrl(d));
      pages.push(page);
    }
  });

  after(async () => {
    await browser?.close();
    await Promise.all(daemons.map((d) => d.stop()));
    await rm(base, { recursive: true, force: true });
  });

  it('create a group, join with the invite, ask, propose at the same moment from two pages: all agree', async () => {
    const [alice, bob, carol] = pages;
    assert.ok(alice && bob && carol);
    await shot(alice, '01-first-run');

    await alice.getByLabel('Your name').fill('Alice');
    await alice.getByLabel('Group name').fill('Game night');
    await alice.getByRole('button', { name: 'Create group' }).click();
    const inviteBox = alice.getByTestId('invite');
    await assert.doesNotReject(inviteBox.waitFor());
    await waitFor(
      async () => (await inviteBox.inputValue()).startsWith('synod2:'),
      10_000,
      'the invite text',
    );
    const invite = await inviteBox.inputValue();
    await alice.getByAltText('QR code of the invite').waitFor();
    await shot(alice, '02-group-created');

    // Alone in the group, a question would be decided by Alice's laptop alone: she is told first.
    await alice.getByRole('textbox', { name: 'Your question' }).fill('Pizza tonight?');
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    await alice.getByRole('alertdialog').filter({ hasText: 'only you will decide this' }).waitFor();
    await shot(alice, '02b-only-you-decide');
    await alice.getByRole('button', { name: 'Wait for the others' }).click();
    assert.equal(await alice.getByRole('heading', { name: 'Pizza tonight?' }).count(), 0);
    await alice.getByRole('textbox', { name: 'Your question' }).fill('');

    // Invalid input gets a clear error, and nothing happens.
    await bob.getByLabel('Your name').fill('Bob');
    await bob.getByLabel('Invite').fill('not an invite');
    await bob.getByRole('button', { name: 'Join group' }).click();
    await bob.getByRole('alert').filter({ hasText: 'an invite starts with "synod2:"' }).waitFor();
    await shot(bob, '03-invalid-invite');

    // Bob opens the invite as a link (as a browser does once the page registered web+synod:): the
    // join form is filled, the link leaves the address bar, and nothing is joined before he clicks.
    await bob.goto('about:blank');
    await bob.goto(`${daemons[1]?.client.baseUrl}/#join=${encodeURIComponent(inviteLink(invite))}`);
    await waitFor(
      async () => (await bob.getByLabel('Invite').inputValue()) === invite,
      10_000,
      'the invite filled in',
    );
    assert.doesNotMatch(bob.url(), /join=/, 'the link is out of the address bar');
    assert.equal((await daemons[1]?.client.status())?.group, null, 'not joined before the click');
    await bob.getByLabel('Your name').fill('Bob');
    await bob.getByRole('button', { name: 'Join group' }).click();
    await carol.getByLabel('Your name').fill('Carol');
    await carol.getByLabel('Invite').fill(invite);
    await carol.getByRole('button', { name: 'Join group' }).click();
    for (const page of pages)
      await page.getByRole('heading', { name: 'Members (3 online)' }).waitFor({ timeout: 20_000 });
    // Each page lists its own member first, as "you".
    assert.match((await alice.getByTestId('peer-me').textContent()) ?? '', /Alice.*you, on this laptop/);

    await alice.getByRole('textbox', { name: 'Your question' }).fill('When do we attack?');
    await alice.getByLabel('Options (one per line, optional)').fill('Dawn\nDusk');
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    for (const page of pages) await page.getByRole('heading', { name: 'When do we attack?' }).waitFor();
    // Titles take the direction of their own text (Hebrew or Arabic titles read right to left).
    assert.equal(
      await alice.getByRole('heading', { name: 'When do we attack?' }).getAttribute('dir'),
      'auto',
    );
    await bob.getByText('Open: 3 of 3 online').waitFor();
    await bob.getByText('Decided by (needs 2 of these 3 online)').first().waitFor();
    await shot(bob, '04-question-open');

    await Promise.all([
      bob.getByRole('button', { name: 'Propose “Dawn”' }).click(),
      carol.getByRole('button', { name: 'Propose “Dusk”' }).click(),
    ]);
    const outcomes: string[] = [];
    for (const page of pages) {
      const outcome = page.getByTestId('outcome');
      await outcome.waitFor({ timeout: 20_000 });
      outcomes.push((await outcome.locator('.value').textContent()) ?? '');
    }
    assert.equal(new Set(outcomes).size, 1, `every page shows the same outcome: ${outcomes.join(', ')}`);
    assert.ok(['Dawn', 'Dusk'].includes(outcomes[0] ?? ''));
    await alice.getByRole('button', { name: 'How it was decided' }).click();
    const table = alice.getByRole('table');
    await table.waitFor();
    // The picture shows the acceptors' answers (Alice voted in every ballot of this question).
    assert.match((await table.textContent()) ?? '', /promise|rejected/);
    for (const [i, page] of pages.entries()) await shot(page, `05-decided-${names[i]}`);
  });

  it('kill -9 a node and restart it: its page shows the decisions, including one made while it was down', async () => {
    const [alice, bob, carol] = pages;
    const n3 = daemons[2];
    assert.ok(alice && bob && carol && n3);
    const first = (await alice.getByTestId('outcome').locator('.value').textContent()) ?? '';

    await n3.kill9();
    // Carol's page says at once that her node is gone, and no longer claims anyone is online.
    await carol.getByTestId('unreachable').waitFor({ timeout: 5_000 });
    await carol.getByRole('heading', { name: 'Members (not known now)' }).waitFor();
    await shot(carol, '06a-node-unreachable-Carol');
    await alice.getByRole('heading', { name: 'Members (2 online)' }).waitFor({ timeout: 20_000 });
    await alice.getByRole('textbox', { name: 'Your question' }).fill('Snacks?');
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    await bob.getByRole('heading', { name: 'Snacks?' }).waitFor();
    await bob.getByLabel('Your option').fill('Popcorn');
    await bob.getByRole('button', { name: 'Propose', exact: true }).click();
    await alice.getByText('Popcorn').first().waitFor();

    await n3.start();
    // Same address (the data directory kept its port): the page recovers by itself, without a reload.
    await carol.getByTestId('unreachable').waitFor({ state: 'detached', timeout: 20_000 });
    await carol.getByRole('heading', { name: 'Snacks?' }).waitFor({ timeout: 20_000 });
    // A new tab at the bare address (no code: a bookmark) opens the app with the saved session.
    const tab = await carol.context().newPage();
    await tab.goto(new URL(carol.url()).origin);
    await tab.getByRole('heading', { name: 'Snacks?' }).waitFor({ timeout: 20_000 });
    await tab.close();
    const decided = carol.getByTestId('outcome');
    await decided.filter({ hasText: 'Popcorn' }).waitFor({ timeout: 20_000 });
    await decided.filter({ hasText: first }).first().waitFor();
    await shot(carol, '06-after-restart-Carol');
  });

  it('a vote with a deadline: members vote, the laptops close it at the same moment, all pages show one final tally', async () => {
    const [alice, bob, carol] = pages;
    assert.ok(alice && bob && carol);
    await alice.getByRole('textbox', { name: 'Your question' }).fill('Which film?');
    await alice.getByLabel('Options (one per line, optional)').fill('Alien\nBrazil\nCasablanca');
    await alice.getByRole('radio', { name: /^Vote/ }).check();
    await alice.getByLabel(/Deadline in minutes/).fill('0.25');
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    const card = (page: Page) => page.getByTestId('question').filter({ hasText: 'Which film?' });
    for (const page of pages) await card(page).waitFor();
    await card(alice).getByRole('button', { name: 'Vote “Alien”' }).click();
    await card(bob).getByRole('button', { name: 'Vote “Brazil”' }).click();
    await card(carol).getByRole('button', { name: 'Vote “Alien”' }).click();
    await card(carol).getByRole('button', { name: 'Vote “Brazil”' }).click(); // Carol changes her mind
    for (const page of pages)
      await card(page)
        .getByTestId('tally')
        .filter({ hasText: /Brazil.*2 votes/ })
        .waitFor({ timeout: 10_000 });
    await shot(bob, '09-vote-running-tally');
    // At the deadline every acceptor's laptop closes it at the same moment, each with its own view of
    // the votes: Paxos chooses one close, and every page shows that one's tally.
    const finals: string[] = [];
    for (const page of pages) {
      const outcome = card(page).getByTestId('outcome');
      await outcome.filter({ hasText: 'Brazil' }).waitFor({ timeout: 40_000 });
      finals.push((await outcome.getByTestId('tally').textContent()) ?? '');
    }
    assert.equal(new Set(finals).size, 1, `one final tally on every page: ${finals.join(' | ')}`);
    assert.match(finals[0] ?? '', /Brazil.*2 votes.*Alien.*1 vote/);
    assert.equal(await card(bob).getByTestId('you-won').textContent(), 'Your choice won.');
    assert.equal(await card(alice).getByTestId('you-won').textContent(), 'Your choice did not win.');
    await card(alice).getByRole('button', { name: 'How it was decided' }).click();
    await card(alice)
      .getByTestId('story')
      .filter({ hasText: /closed the vote at .* with 3 votes/ })
      .waitFor();
    // Then the rounds as the papers draw them: a lane per laptop, an arrow per message.
    const lanes = card(alice).getByRole('img', { name: 'Messages between the nodes, ballot after ballot' });
    await lanes.waitFor();
    assert.ok((await lanes.locator('.arrow').count()) > 0, 'the picture has arrows');
    for (const [i, page] of pages.entries()) await shot(page, `10-vote-closed-${names[i]}`);
  });

  it('an auction: amounts show only after the close (and the app does not call them secret); the highest wins although a lower one came first', async () => {
    const [alice, bob, carol] = pages;
    assert.ok(alice && bob && carol);
    await alice.getByRole('textbox', { name: 'Your question' }).fill('The quilt');
    await alice.getByLabel('Options (one per line, optional)').fill('');
    await alice.getByRole('radio', { name: /^Auction/ }).check();
    // Until bids are sealed by cryptography, nothing on the page promises that they are hidden.
    assert.doesNotMatch((await alice.locator('body').textContent()) ?? '', /hidden until|sealed/i);
    await alice.getByLabel(/Deadline in minutes/).fill('');
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    const card = (page: Page) => page.getByTestId('question').filter({ hasText: 'The quilt' });
    for (const page of pages) await card(page).waitFor();
    // Amounts that no date or time on the card can contain (a bid of 50 once matched "1:50:44 AM").
    await card(bob).getByLabel('Your bid').fill('75');
    await card(bob).getByRole('button', { name: 'Place bid' }).click();
    await card(carol).getByLabel('Your bid').fill('120');
    await card(carol).getByRole('button', { name: 'Place bid' }).click();
    await card(alice).getByTestId('tally').filter({ hasText: '2 bids' }).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(
      (await card(alice).textContent()) ?? '',
      /120|75/,
      'no amount shows before the close',
    );
    await shot(alice, '11-auction-sealed');
    await card(alice).getByRole('button', { name: 'Close the auction' }).click();
    for (const page of pages)
      await card(page)
        .getByTestId('outcome')
        .filter({ hasText: 'Carol wins with 120' })
        .waitFor({ timeout: 20_000 });
    assert.equal(await card(carol).getByTestId('you-won').textContent(), 'Your choice won.');
    for (const [i, page] of pages.entries()) await shot(page, `12-auction-closed-${names[i]}`);
  });

  it('a tab in the background is told of decisions; members are added by address; history is searched and archived', async () => {
    const [alice, bob, carol] = pages;
    const n3 = daemons[2];
    assert.ok(alice && bob && carol && n3);
    // Bob's tab goes to the background: a decision shows in its title and as a notification.
    await bob.evaluate(setVisibility('hidden'));
    await alice.getByRole('textbox', { name: 'Your question' }).fill('Board game?');
    await alice.getByLabel('Options (one per line, optional)').fill('');
    await alice.getByRole('radio', { name: /^Quick decision/ }).check();
    await alice.getByRole('button', { name: 'Ask', exact: true }).click();
    await alice.getByLabel('Your option').fill('Go');
    await alice.getByRole('button', { name: 'Propose', exact: true }).click();
    await waitFor(async () => (await bob.title()).startsWith('(1) Synod'), 10_000, 'the count in the title');
    const shown = (await bob.evaluate('window.shownNotifications')) as string[];
    assert.deepEqual(shown, ['Decided: Board game?: Go (proposed by Alice)']);
    await bob.evaluate(setVisibility('visible'));
    assert.equal(await bob.title(), 'Synod', 'seen: the count goes');
    assert.match((await alice.getByTestId('notifications').textContent()) ?? '', /on/);

    // Adding a member by address: a dead one is refused next to the field, a live one connects.
    const carolId = (await n3.client.status()).peerId;
    await alice.getByText('Add a member by address').click();
    const field = alice.getByLabel(/^Address/);
    await field.fill('/ip4/127.0.0.1/tcp/9/p2p/12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX');
    await alice.getByRole('button', { name: 'Connect' }).click();
    await alice
      .locator('#add-member-result')
      .filter({ hasText: 'Nothing was added' })
      .waitFor({ timeout: 10_000 });
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    await shot(alice, '13-add-member-refused');
    const carolAddress = (await n3.client.status()).addresses[0] ?? '';
    await field.fill(carolAddress);
    await alice.getByRole('button', { name: 'Connect' }).click();
    await alice
      .locator('#add-member-result')
      .filter({ hasText: 'Connected to Carol' })
      .waitFor({ timeout: 10_000 });
    // Member ids and addresses are in each member's details, not in the list.
    const carolRow = alice.getByTestId('peer').filter({ hasText: 'Carol' });
    assert.doesNotMatch((await carolRow.locator('.muted').first().textContent()) ?? '', /12D3|…/);
    await carolRow.getByText('Details').click();
    await carolRow.getByText(carolId, { exact: true }).waitFor();
    assert.match((await carolRow.textContent()) ?? '', /online since/);
    await carolRow.getByTestId('last-dial').filter({ hasText: 'connected' }).waitFor({ timeout: 5_000 });

    // History: search, then archive one from this view.
    const search = alice.getByLabel('Search decided questions');
    await search.fill('film');
    const decided = alice.getByRole('region', { name: 'Decided' }).getByTestId('question');
    await waitFor(async () => (await decided.count()) === 1, 5_000, 'one question matches "film"');
    await decided.getByRole('button', { name: /^Archive/ }).click();
    await alice.getByText('No decided question matches.').waitFor();
    await search.fill('');
    assert.equal(
      await alice.getByRole('heading', { name: 'Which film?' }).count(),
      0,
      'archived: out of the list',
    );
    await alice.getByLabel('Show').selectOption('archived');
    await alice.getByRole('heading', { name: 'Which film?' }).waitFor();
    await alice.getByLabel('Show').selectOption('all');
    await shot(alice, '14-history-1280');

    // 420 px wide: the questions come first, the members after them.
    await alice.setViewportSize({ width: 420, height: 900 });
    const ask = await alice.getByRole('heading', { name: 'Ask a question' }).boundingBox();
    const members = await alice.getByRole('heading', { name: /^Members/ }).boundingBox();
    assert.ok(ask && members && ask.y < members.y, 'at 420 px the questions are above the members');
    const overflow = (await alice.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    )) as number;
    assert.ok(overflow <= 0, `nothing is wider than the window at 420 px (${overflow} px too wide)`);
    await shot(alice, '15-narrow-420');
    await alice.setViewportSize({ width: 1280, height: 900 });
  });

  it('a browser link works once: opened again, it opens nothing', async () => {
    const [n1] = daemons;
    assert.ok(n1);
    const link = await uiUrl(n1);
    const first = await (await browser.newContext()).newPage();
    await first.goto(link);
    await first.getByRole('heading', { name: /^Members/ }).waitFor();
    assert.equal(new URL(first.url()).hash, '', 'the code leaves the address bar');
    const second = await (await browser.newContext()).newPage();
    await second.goto(link);
    await second.getByRole('alert').filter({ hasText: 'used already' }).waitFor();
    await shot(second, '08-link-used-twice');
    await first.context().close();
    await second.context().close();
  });

  it('the dark theme and the keyboard work', async () => {
    const [alice] = pages;
    assert.ok(alice);
    const toggle = alice.getByRole('button', { name: /^Dark theme/ });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.focus();
    await alice.keyboard.press('Enter');
    assert.equal(await alice.locator('html').getAttribute('data-theme'), 'dark');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true', 'the button shows the current state');
    // Remembered: the next visit opens dark.
    await alice.reload();
    await alice.getByRole('heading', { name: /^Members/ }).waitFor();
    assert.equal(await alice.locator('html').getAttribute('data-theme'), 'dark');
    await shot(alice, '07-dark-theme');
  });

  it("the group page: a rename made by the group, a removal by the others' consent (the removed laptop is told), the history", async () => {
    const [alice, bob, carol] = pages;
    assert.ok(alice && bob && carol);
    await alice.getByRole('button', { name: 'Group and members' }).click();
    await alice.getByRole('heading', { name: 'Members of the group (3)' }).waitFor();
    assert.match(
      (await alice.getByTestId('deciders').textContent()) ?? '',
      /need 2 of these 3 members online: Alice, Bob, Carol\. Online now: 3\.$/,
    );
    assert.equal(
      await alice.getByRole('button', { name: 'Group and members' }).getAttribute('aria-current'),
      'page',
    );

    await alice.getByLabel('New name for the group').fill('Board games');
    await alice.getByRole('button', { name: 'Rename' }).click();
    for (const page of pages)
      await page.getByLabel('Your group').filter({ hasText: 'Board games' }).waitFor({ timeout: 20_000 });
    await alice
      .getByTestId('group-change')
      .filter({ hasText: 'Alice renamed the group "Board games"' })
      .waitFor();

    // Alice alone asks: Carol is not removed (one of the two others' approvals is not a majority).
    await alice.getByRole('button', { name: 'Remove Carol…' }).click();
    await alice.getByRole('alertdialog').filter({ hasText: 'Ask the group to remove Carol?' }).waitFor();
    await alice.getByRole('button', { name: 'Ask to remove Carol' }).click();
    await alice.getByTestId('removal').filter({ hasText: 'Approved by Alice: 1 of the 2 needed' }).waitFor();
    await shot(alice, '08-removal-asked');
    assert.equal(await carol.getByTestId('standing').count(), 0, 'Carol is still a member');

    // Bob sees the request on his group page, live, and approves: the group removes Carol.
    await bob.getByRole('button', { name: 'Group and members' }).click();
    await bob
      .getByTestId('removal')
      .filter({ hasText: 'Alice asked to remove Carol' })
      .waitFor({ timeout: 10_000 });
    await bob.getByRole('button', { name: 'Approve removing Carol' }).click();
    await carol
      .getByTestId('standing')
      .filter({ hasText: 'The members removed this laptop from the group' })
      .waitFor({ timeout: 20_000 });
    for (const page of [alice, bob]) {
      await page.getByRole('heading', { name: 'Members of the group (2)' }).waitFor({ timeout: 20_000 });
      await page
        .getByTestId('group-change')
        .filter({ hasText: 'Carol was removed, asked by Alice' })
        .waitFor();
    }
    assert.equal(await alice.getByTestId('removal').count(), 0, 'the request is done');
    // The member list beside it agrees: Carol is no member any more.
    await alice.getByRole('heading', { name: 'Members (2 online)' }).waitFor();
    assert.equal(await alice.getByTestId('peer').filter({ hasText: 'Carol' }).count(), 0);
    // The invite Carol joined with names her as what she is now.
    await alice.getByTestId('group-invite').filter({ hasText: 'used by Bob, Carol (removed)' }).waitFor();
    await shot(carol, '09-removed');
    await shot(bob, '10-group-page');
    // Carol's page still shows what she knew; it offers no question to ask, no invite, no change of the group.
    assert.equal(await carol.getByRole('textbox', { name: 'Your question' }).count(), 0);
    assert.equal(await carol.getByTestId('invite').count(), 0);
    await carol.getByRole('heading', { name: 'Board game?' }).waitFor();
    await carol.getByRole('button', { name: 'Group and members' }).click();
    await carol.getByTestId('group-change').first().waitFor();
    assert.equal(await carol.getByRole('button', { name: /^Remove / }).count(), 0);
    assert.equal(await carol.getByRole('button', { name: 'Rename' }).count(), 0);

    // Bob's laptop goes away: Alice alone is not a majority of the two who decide, and her page says so.
    await daemons[1]?.stop();
    const deciders = alice.getByTestId('deciders');
    await deciders
      .filter({ hasText: 'No join, rename or removal can be made until 1 more of them is back' })
      .waitFor({
        timeout: 20_000,
      });
    assert.match(
      (await deciders.textContent()) ?? '',
      /away: Bob, last seen .*no safe change of this group is possible/,
    );
    await shot(alice, '13-deciders-away');

    // An invite link opened on a laptop in a group already offers to join that group as well; nothing
    // is joined before a click.
    await alice.goto('about:blank');
    await alice.goto(
      `${daemons[0]?.client.baseUrl}/#join=${encodeURIComponent(inviteLink('synod2:whatever'))}`,
    );
    await alice.getByRole('heading', { name: 'Another group' }).waitFor();
    assert.equal(await alice.getByRole('textbox', { name: 'Invite' }).inputValue(), 'synod2:whatever');
    assert.equal((await daemons[0]?.client.groups())?.length, 1);
  });
});
