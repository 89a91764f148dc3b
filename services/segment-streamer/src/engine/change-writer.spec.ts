import { AudienceChangeBatch, AudienceRef } from '@audience-sync/contracts';
import { BATCH_BYTES, BATCH_SIZE, ChangeWriter } from './change-writer';

const ref: AudienceRef = { exportId: 'e', exportVersion: 1, connectionId: 'c', destination: 'facebook-ads', audienceKey: 'a', facebookKeys: ['EMAIL'] };

describe('ChangeWriter batches', () => {
  it('cut at BATCH_SIZE changes for ordinary rows', async () => {
    const sent: AudienceChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'delta');
    for (let i = 0; i < BATCH_SIZE + 1; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, identifiers: { EMAIL: `p${i}@example.com` } });
    await writer.finish();
    expect(sent.map((b) => b.changes.length)).toEqual([BATCH_SIZE, 1]);
  });

  it('also cut by size, so the largest identifiers the upstream contract lets through still fit a Kafka message', async () => {
    const sent: AudienceChangeBatch[] = [];
    const writer = new ChangeWriter({ send: async (b) => void sent.push(...b) }, 'delta');
    // A 16 MiB refresh part of 5,000 members carries values of about 3.3 KB each.
    const long = `${'x'.repeat(3300)}@example.com`;
    for (let i = 0; i < BATCH_SIZE; i += 1) await writer.add(ref, { op: 'add', profileId: `p${i}`, identifiers: { EMAIL: long } });
    await writer.finish();
    expect(sent.length).toBeGreaterThan(1);
    for (const batch of sent) expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(BATCH_BYTES + 16 * 1024);
    expect(sent.reduce((n, b) => n + b.changes.length, 0)).toBe(BATCH_SIZE);
  });
});
