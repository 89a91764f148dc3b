import { AudienceRef } from '@audience-sync/contracts';
import { BATCH_BYTES, BATCH_SIZE, ChangeBatch, ChangeWriter } from './change-writer';

const ref: AudienceRef = { exportId: 'e', exportVersion: 1, connectionId: 'c', destination: 'facebook-ads', audienceKey: 'a', facebookKeys: ['EMAIL'] };

describe('ChangeWriter batches', () => {
  it('cut at BATCH_SIZE changes for ordinary rows', async () => {
    const sent: ChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'delta');
    for (let i = 0; i < BATCH_SIZE + 1; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, columns: { EMAIL: `digest-${i}` } });
    await writer.finish();
    expect(sent.map((b) => b.changes.length)).toEqual([BATCH_SIZE, 1]);
  });

  it('also cut by size, so the longest values a row carries as given (EXTERN_ID) still fit a Kafka message', async () => {
    const sent: ChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'delta');
    // A 16 MiB refresh part of 5,000 members carries values of about 3.3 KB each.
    const long = 'x'.repeat(3300);
    for (let i = 0; i < BATCH_SIZE; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, columns: { EXTERN_ID: long } });
    await writer.finish();
    expect(sent.length).toBeGreaterThan(1);
    for (const batch of sent) expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(BATCH_BYTES + 16 * 1024);
    expect(sent.reduce((n, b) => n + b.changes.length, 0)).toBe(BATCH_SIZE);
  });

  it('a full sync cut by a smaller batch size numbers its batches from 1 and flags only the last', async () => {
    const sent: ChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'full-sync', { runId: 'r', trigger: 'on-demand', audiences: 1 }, 2);
    for (let i = 0; i < 5; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, columns: { EMAIL: `digest-${i}` } });
    await writer.finish();
    expect(sent.map((b) => [b.changes.length, b.mode])).toEqual([
      [2, { kind: 'full-sync', runId: 'r', seq: 1, last: false }],
      [2, { kind: 'full-sync', runId: 'r', seq: 2, last: false }],
      [1, { kind: 'full-sync', runId: 'r', seq: 3, last: true }],
    ]);
    expect(sent.map((b) => b.run?.last)).toEqual([false, false, true]);
  });

  it('a full sync whose rows end exactly at a batch boundary flags the batch held back as last', async () => {
    const sent: ChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'full-sync', { runId: 'r', trigger: 'on-demand', audiences: 1 }, 2);
    for (let i = 0; i < 4; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, columns: { EMAIL: `digest-${i}` } });
    await writer.finish();
    expect(sent.map((b) => [b.changes.length, b.mode])).toEqual([
      [2, { kind: 'full-sync', runId: 'r', seq: 1, last: false }],
      [2, { kind: 'full-sync', runId: 'r', seq: 2, last: true }],
    ]);
  });
});
