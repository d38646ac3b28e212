/**
 * Several groups on one laptop, through the app in Debian's Chromium against two real headless
 * daemons: an invite link opened while in a group joins one more, the switcher shows each group's
 * own questions and counts what is new in the others.
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

if (browserMissing !== null) console.log(`SKIPPED the browser test of several groups: ${browserMissing}`);

describe('the app with several groups on one laptop', { skip: browserMissing ?? false }, () => {
  let base = '';
  let browser: Browser;
  let page: Page;
  const alice = (): DaemonProcess => daemons[0] as DaemonProcess;
  const bob = (): DaemonProcess => daemons[1] as DaemonProcess;
  const daemons: DaemonProcess[] = [];

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    base = await mkdtemp(join(tmpdir(), 'synod-e2e-groups-'));
    for (const name of ['a', 'b']) {
      const d = new DaemonProcess(name, join(base, name));
      await d.start();
      daemons.push(d);
    }
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await Promise.all(daemons.map((d) => d.stop()));
    await rm(base, { recursive: true, force: true });
  });

  it('joins a second group from an invite link, switches between them, and counts what is new elsewhere', async () => {
    await alice().client.createGroup({ groupName: 'Book club', displayName: 'Alice' });
    await bob().client.createGroup({ groupName: 'Chess club', displayName: 'Bob' });
    const chessInvite = (await bob().client.invite()).invite;

    await page.goto(await alice().client.newLink());
    await page.getByRole('textbox', { name: 'Your question' }).waitFor();
    // The link opens the form for one more group, filled in; nothing is joined before the click.
    await page.goto('about:blank');
    await page.goto(`${alice().client.baseUrl}/#join=${encodeURIComponent(inviteLink(chessInvite))}`);
    await page.getByRole('heading', { name: 'Another group' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Invite' }).inputValue(), chessInvite);
    assert.equal(await page.getByRole('textbox', { name: 'Your name' }).inputValue(), 'Alice');
    assert.equal((await alice().client.groups()).length, 1);
    await page.getByRole('button', { name: 'Join group' }).click();

    // In the chess club now, on screen, beside the book club.
    const groups = page.getByRole('navigation', { name: 'Your groups' });
    await groups
      .getByRole('button', { name: 'Chess club' })
      .and(page.locator('[aria-current="true"]'))
      .waitFor();
    await page.getByLabel('Your group', { exact: true }).filter({ hasText: 'Chess club' }).waitFor();
    const listed = await alice().client.groups();
    assert.deepEqual(
      listed.map((g) => [g.name, g.first]),
      [
        ['Book club', true],
        ['Chess club', false],
      ],
    );
    const chessId = listed[1]?.id ?? '';
    const bobsQuestion = await bob().client.createQuestion({
      title: 'Which opening?',
      options: ['Sicilian'],
    });
    await page.getByRole('heading', { name: 'Which opening?' }).waitFor();

    // To the book club: its own questions only; then a new chess question is counted on the chess button.
    await groups.getByRole('button', { name: 'Book club' }).click();
    await page.getByLabel('Your group', { exact: true }).filter({ hasText: 'Book club' }).waitFor();
    await page.getByText('No open questions.').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Which opening?' }).count(), 0);
    await bob().client.createQuestion({ title: 'Blitz or classical?', options: ['Blitz', 'Classical'] });
    await groups.getByRole('button', { name: 'Chess club, 1 new' }).waitFor({ timeout: 15_000 });
    // Bob's first question is decided: new to Alice again.
    await bob().client.propose({ questionId: bobsQuestion.id, option: 'Sicilian', waitMs: 10_000 });
    await groups.getByRole('button', { name: 'Chess club, 2 new' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'groups-unread.png'), fullPage: true });

    await groups.getByRole('button', { name: /^Chess club/ }).click();
    await page.getByRole('heading', { name: 'Blitz or classical?' }).waitFor();
    await waitFor(
      async () => (await groups.getByTestId('unread').count()) === 0,
      10_000,
      'nothing new once the chess club is on screen',
    );
    // A question asked here goes to the chess club only.
    await page.getByRole('textbox', { name: 'Your question' }).fill('Next tournament?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await waitFor(
      async () => (await bob().client.questions()).some((q) => q.title === 'Next tournament?'),
      10_000,
      'Bob to know the question asked in the chess club',
    );
    assert.ok(!(await alice().client.questions()).some((q) => q.title === 'Next tournament?'));
    assert.ok(
      (await alice().client.inGroup(chessId).questions()).some((q) => q.title === 'Next tournament?'),
    );
  });

  it('a group whose deciders are gone: the page offers a new group that continues it; the old one turns read-only', async () => {
    // Bob's laptop goes for good: Alice alone is no majority of the chess club's two deciders.
    await bob().stop();
    await page.getByRole('button', { name: 'Group and members' }).click();
    await page
      .getByTestId('deciders')
      .filter({ hasText: 'no safe change of this group is possible' })
      .waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Start a new group that continues this one…' }).click();
    // Nothing is made before the confirmation.
    assert.equal((await alice().client.groups()).length, 2);
    await page.getByRole('button', { name: 'Start the new group' }).click();

    await waitFor(async () => (await alice().client.groups()).length === 3, 10_000, 'the new group');
    const [, oldChess, newChess] = await alice().client.groups();
    assert.equal(oldChess?.continuedIn, newChess?.id);
    assert.equal(newChess?.name, 'Chess club');
    // The new group is on screen; its page says where it came from, and leads there.
    await page
      .getByRole('navigation', { name: 'Your groups' })
      .getByRole('button', { name: 'Chess club (continued)', exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Group and members' }).click();
    const predecessor = page.getByTestId('predecessor');
    await predecessor.filter({ hasText: 'This group continues “Chess club”' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'groups-successor.png'), fullPage: true });
    await predecessor.getByRole('button', { name: 'Show “Chess club”' }).click();
    // The old one: read-only, says where this laptop continues it, and offers no question or change.
    await page
      .getByTestId('successor')
      .filter({ hasText: 'This laptop continues this group in “Chess club”' })
      .waitFor();
    await page.getByRole('button', { name: 'Questions' }).click();
    await page.getByRole('heading', { name: 'Blitz or classical?' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Your question' }).count(), 0);
    await page.getByTestId('successor').getByRole('button', { name: 'Go to “Chess club”' }).click();
    await page.getByRole('textbox', { name: 'Your question' }).waitFor();
  });
});
