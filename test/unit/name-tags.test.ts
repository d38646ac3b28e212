import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameTags } from '../../renderer/src/format.ts';

describe('telling apart members who share a name', () => {
  it('tags only members whose names clash (ignoring case and width), with as much of the id as differs', () => {
    const tags = nameTags([
      { peerId: '12D3KooWaaaa1111', name: 'Sam' },
      { peerId: '12D3KooWbbbb2222', name: 'sam' },
      { peerId: '12D3KooWcccc3333', name: 'Ｓam' }, // a full-width S reads the same
      { peerId: '12D3KooWdddd4444', name: 'Alex' },
    ]);
    assert.deepEqual([...tags.entries()].sort(), [
      ['12D3KooWaaaa1111', '#1111'],
      ['12D3KooWbbbb2222', '#2222'],
      ['12D3KooWcccc3333', '#3333'],
    ]);
  });

  it('uses more of the id when the ends are the same', () => {
    const tags = nameTags([
      { peerId: '12D3KooWx9999', name: 'Kim' },
      { peerId: '12D3KooWy9999', name: 'Kim' },
    ]);
    assert.equal(tags.get('12D3KooWx9999'), '#x9999');
    assert.equal(tags.get('12D3KooWy9999'), '#y9999');
    assert.notEqual(tags.get('12D3KooWx9999'), tags.get('12D3KooWy9999'));
  });
});
