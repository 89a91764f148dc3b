import { ConfigApplied } from '@audience-sync/contracts';
import { ConfigAppliedReporter, SendReports } from './config-applied-reporter';

type Sent = { key: string; value: ConfigApplied | null }[];

async function until(probe: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ConfigAppliedReporter', () => {
  it('sends one report per export, the newest, while an earlier send is under way; a deletion is a tombstone', async () => {
    const sends: Sent[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const send: SendReports = async (messages) => {
      sends.push(messages);
      if (sends.length === 1) await first;
    };
    const reporter = new ConfigAppliedReporter('sink-facebook', send);
    reporter.applied('a', 1);
    reporter.applied('a', 2);
    reporter.applied('b', 1);
    reporter.applied('a', 3);
    reporter.applied('b', null);
    release();
    await until(() => sends.length === 2, 'the second send');
    expect(sends).toEqual([
      [{ key: 'a', value: { exportId: 'a', stage: 'sink-facebook', version: 1 } }],
      [
        { key: 'a', value: { exportId: 'a', stage: 'sink-facebook', version: 3 } },
        { key: 'b', value: null },
      ],
    ]);
  });

  it('sends a report again after a failed send, unless a newer one for the export came meanwhile', async () => {
    const sends: Sent[] = [];
    const send: SendReports = async (messages) => {
      sends.push(messages);
      if (sends.length === 1) {
        reporter.applied('b', 2);
        throw new Error('broker unavailable');
      }
    };
    const reporter = new ConfigAppliedReporter('segment-streamer', send);
    reporter.applied('a', 1);
    await until(() => sends.length === 2, 'the retry');
    expect(sends[0]).toEqual([{ key: 'a', value: { exportId: 'a', stage: 'segment-streamer', version: 1 } }]);
    expect(sends[1]).toEqual([
      { key: 'b', value: { exportId: 'b', stage: 'segment-streamer', version: 2 } },
      { key: 'a', value: { exportId: 'a', stage: 'segment-streamer', version: 1 } },
    ]);
  });

  it('a failed report does not replace a newer one for the same export', async () => {
    const sends: Sent[] = [];
    const send: SendReports = async (messages) => {
      sends.push(messages);
      if (sends.length === 1) {
        reporter.applied('a', 2);
        throw new Error('broker unavailable');
      }
    };
    const reporter = new ConfigAppliedReporter('segment-streamer', send);
    reporter.applied('a', 1);
    await until(() => sends.length === 2, 'the retry');
    expect(sends[1]).toEqual([{ key: 'a', value: { exportId: 'a', stage: 'segment-streamer', version: 2 } }]);
  });
});
