/** The Lab threshold kept equal to the setting both ways, with no message or write echoing the other side. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThresholdSync } from '../src/client/panels/threshold-sync';

/** A setting whose writes complete when the test says so (as settings.json writes complete later), and that
 *  reports each completed write as VS Code does, through the change event. */
function fakeSetting(initial: number) {
  let value = initial;
  const pending: { value: number; done: () => void; fail: (e: Error) => void }[] = [];
  const fake = {
    writes: [] as number[],
    sent: [] as number[],
    sync: undefined as unknown as ThresholdSync,
    read: () => value,
    write: (v: number) =>
      new Promise<void>((done, fail) => {
        fake.writes.push(v);
        pending.push({ value: v, done, fail });
      }),
    /** Finishes the oldest write: the value lands, the change event fires, then the write's promise resolves. */
    async finishWrite(meanwhile?: () => void) {
      const w = pending.shift()!;
      value = w.value;
      fake.sync.settingChanged();
      meanwhile?.();
      w.done();
      await new Promise((r) => setImmediate(r));
    },
    async failWrite() {
      pending.shift()!.fail(new Error('settings.json is not valid JSON'));
      await new Promise((r) => setImmediate(r));
    },
    /** Someone edits the setting outside the page (settings editor, settings.json). */
    edit(v: number) {
      value = v;
      fake.sync.settingChanged();
    },
  };
  fake.sync = new ThresholdSync(fake, (v) => fake.sent.push(v));
  return fake;
}

describe('threshold sync between the Lab page and electraLab.heatmap.threshold', () => {
  it('sends the setting when the page is ready, and again after a reload, even when it did not change', () => {
    const s = fakeSetting(0.4);
    s.sync.pageReady();
    s.sync.pageReady();
    assert.deepEqual(s.sent, [0.4, 0.4]);
  });

  it('sends an edit of the setting once; a change event with the same value sends nothing', () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    s.edit(0.8);
    s.edit(0.8);
    s.sync.settingChanged();
    assert.deepEqual(s.sent, [0.5, 0.8]);
  });

  it('writes the value the page sets and does not send it back to the page', async () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    const written = s.sync.pageSet(0.65);
    await s.finishWrite();
    await written;
    assert.deepEqual(s.writes, [0.65]);
    assert.deepEqual(s.sent, [0.5]);
  });

  it('does not write a value the setting already holds', async () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    await s.sync.pageSet(0.5);
    assert.deepEqual(s.writes, []);
    assert.deepEqual(s.sent, [0.5]);
  });

  it('a slider moved faster than the writes: the running write and the newest value, and no flicker back', async () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    const first = s.sync.pageSet(0.6);
    void s.sync.pageSet(0.62);
    const last = s.sync.pageSet(0.7);
    assert.equal(first, last, 'one chain of writes');
    await s.finishWrite(); // 0.6 lands while the page already shows 0.7: not sent
    await s.finishWrite();
    await last;
    assert.deepEqual(s.writes, [0.6, 0.7]);
    assert.deepEqual(s.sent, [0.5]);
  });

  it('a failed write puts the setting back on the page and rejects', async () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    const rejected = assert.rejects(s.sync.pageSet(0.9), /not valid JSON/);
    await s.failWrite();
    await rejected;
    assert.deepEqual(s.sent, [0.5, 0.5]);
    // And it still works afterwards.
    const again = s.sync.pageSet(0.3);
    await s.finishWrite();
    await again;
    assert.deepEqual(s.writes, [0.9, 0.3]);
  });

  it('an edit of the setting that lands while a write of ours is returning reaches the page when it returns', async () => {
    const s = fakeSetting(0.5);
    s.sync.pageReady();
    const written = s.sync.pageSet(0.6);
    await s.finishWrite(() => {
      s.edit(0.2);
      assert.deepEqual(s.sent, [0.5], 'nothing while the write is under way');
    });
    await written;
    assert.deepEqual(s.sent, [0.5, 0.2]);
  });
});
