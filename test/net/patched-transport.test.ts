/**
 * Synod patches two js-libp2p packages (patches/, applied by `npm install`): these tests fail if an
 * install left a patch out, or if an upgrade of the package made it stop working.
 */
import { LengthPrefixedDecoder, multiaddrConnectionPair } from '@libp2p/utils';
import { yamux } from '@libp2p/yamux';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the patched transport', () => {
  it('yamux grants more credit after half of a window, not after every small message', async (t) => {
    const [outbound, inbound] = multiaddrConnectionPair();
    // No keep-alive pings (their answers would come back too) and a window that does not grow (yamux
    // grows a fast stream's window, with an update each time), so that every frame coming back is an
    // answer to the data.
    const window = 256 * 1024;
    const factory = yamux({
      enableKeepAlive: false,
      streamOptions: { initialStreamWindowSize: window, maxStreamWindowSize: window },
    })();
    const sender = factory.createStreamMuxer(outbound);
    const receiver = factory.createStreamMuxer(inbound);
    let received = 0;
    receiver.addEventListener('stream', (event) => {
      event.detail.addEventListener('message', (message) => (received += message.data.byteLength));
    });
    // Every frame the receiving side sends back (window updates, the stream's ACK) arrives here.
    let framesBack = 0;
    outbound.addEventListener('message', () => framesBack++);

    t.after(() => {
      sender.abort(new Error('the test is over'));
      receiver.abort(new Error('the test is over'));
    });
    const stream = await sender.createStream();
    const message = new Uint8Array(300).fill(7);
    const count = 200;
    for (let i = 0; i < count; i++) {
      stream.send(message);
      // One at a time, as votes go: each is a frame of its own.
      await until(() => received === (i + 1) * message.byteLength, `message ${i}`);
    }
    // 60 KB is under half of the window: only the stream's ACK comes back. Unpatched, each of the 200
    // frames is answered by a window update.
    assert.equal(framesBack, 1, `${framesBack} frames came back for ${count} messages`);
    const afterSmall = framesBack;

    // Past half of the window, the receiver does grant more credit, and the sender never stalls.
    const big = new Uint8Array(100 * 1024).fill(1);
    const before = received;
    for (let i = 0; i < 8; i++) {
      if (!stream.send(big))
        await new Promise((resolve) => stream.addEventListener('drain', resolve, { once: true }));
    }
    await until(() => received === before + 8 * big.byteLength, 'the large messages');
    assert.ok(framesBack > afterSmall, 'no window update was sent for 800 KB');
  });

  it('the length-prefixed decoder does not throw to find an empty buffer', () => {
    let calls = 0;
    const decoder = new LengthPrefixedDecoder({
      lengthDecoder: (data) => {
        calls++;
        if (data.byteLength < 2) throw new RangeError('Could not decode int16BE');
        const [high = 0, low = 0] = data.subarray(0, 2);
        return (high << 8) + low;
      },
      encodingLength: () => 2,
    });
    const frame = Uint8Array.from([0, 3, 1, 2, 3]);
    for (let i = 0; i < 10; i++)
      assert.deepEqual(
        [...decoder.decode(frame)].map((b) => b.subarray()),
        [Uint8Array.from([1, 2, 3])],
      );
    // Once per frame; unpatched, twice (the second to find nothing left, by a thrown RangeError).
    assert.equal(calls, 10);
    // A frame split across chunks still decodes.
    assert.deepEqual([...decoder.decode(frame.subarray(0, 1))], []);
    assert.deepEqual(
      [...decoder.decode(frame.subarray(1))].map((b) => b.subarray()),
      [Uint8Array.from([1, 2, 3])],
    );
  });
});
