import { stackProcesses } from './stack';

describe('the processes npm start runs', () => {
  const env = { STREAMER_STATE_DIR: '/data/segment-streamer', STREAMER_PORT: '3001' };

  it('is one per service by default', () => {
    expect(stackProcesses(env).map((p) => `${p.name}:${p.port}`)).toEqual(['connection-registry:3000', 'segment-streamer:3001', 'identifier-hasher:3002', 'sink-facebook:3003', 'sink-microsoft-ads:3004']);
  });

  it('runs the streamer STREAMER_INSTANCES times, each on a port and a state directory of its own', () => {
    const streamers = stackProcesses({ ...env, STREAMER_INSTANCES: '3' }).filter((p) => p.service.name === 'segment-streamer');
    expect(streamers.map(({ name, port, env: own }) => ({ name, port, own }))).toEqual([
      { name: 'segment-streamer', port: 3001, own: {} },
      { name: 'segment-streamer-2', port: 3101, own: { STREAMER_PORT: '3101', STREAMER_STATE_DIR: '/data/segment-streamer-2' } },
      { name: 'segment-streamer-3', port: 3201, own: { STREAMER_PORT: '3201', STREAMER_STATE_DIR: '/data/segment-streamer-3' } },
    ]);
  });

  it.each(['0', '1.5', 'two', '10'])('stops on STREAMER_INSTANCES=%s, naming the variable', (value) => {
    expect(() => stackProcesses({ ...env, STREAMER_INSTANCES: value })).toThrow(`STREAMER_INSTANCES must be a whole number from 1 to 9 (how many segment-streamer processes to run), not "${value}"`);
  });
});
