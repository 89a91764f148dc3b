import { ConsoleLogger, Logger } from '@nestjs/common';
import { ServiceLogger } from './service-logger';
import { StructuredMessage, withIds } from './structured-message';

/** What the logger wrote to stdout and stderr while `act` ran. */
function written(act: () => void): string {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true);
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

const lines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('ServiceLogger', () => {
  afterEach(() => Logger.overrideLogger(new ConsoleLogger())); // Nest's default again

  it('writes one JSON object a line: UTC ISO time, level, service, context, message, and the ids as fields', () => {
    const logger = new ServiceLogger('sink-facebook', 'log', 'json');
    const text = written(() => {
      logger.warn(withIds({ exportId: 'e-1', runId: 'r-1', connectionId: undefined }, 'over the limit'), 'SinkRunner');
      logger.log('plain', 'Main');
      logger.debug('not at this level', 'Main');
    });
    const [warn, plain, ...rest] = lines(text);
    expect(rest).toEqual([]);
    expect(warn).toEqual({ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'warn', service: 'sink-facebook', pid: process.pid, context: 'SinkRunner', message: 'over the limit', exportId: 'e-1', runId: 'r-1' });
    expect(Math.abs(Date.parse(warn.timestamp as string) - Date.now())).toBeLessThan(5000);
    expect(plain).toMatchObject({ level: 'log', context: 'Main', message: 'plain' });
  });

  it('keeps an error stack as a field of the same line, and a field never replaces the line’s own', () => {
    const logger = new ServiceLogger('registry', 'log', 'json');
    const error = new Error('boom');
    const [line] = lines(written(() => logger.error(new StructuredMessage({ level: 'log', service: 'other', route: '/x' }, 'failed'), error.stack, 'Filter')));
    expect(line).toMatchObject({ level: 'error', service: 'registry', context: 'Filter', message: 'failed', route: '/x', stack: expect.stringContaining('Error: boom') });
  });

  it('through Nest’s Logger too, once it is the app’s logger', () => {
    Logger.overrideLogger(new ServiceLogger('identifier-hasher', 'log', 'json'));
    const [line] = lines(written(() => new Logger('Consumer').log(withIds({ exportId: 'e-2' }, 'hello'))));
    expect(line).toMatchObject({ service: 'identifier-hasher', context: 'Consumer', message: 'hello', exportId: 'e-2' });
  });

  it('writes text with the ids appended for LOG_FORMAT=text, without colours when not on a terminal', () => {
    const logger = new ServiceLogger('segment-streamer', 'log', 'text');
    const text = written(() => logger.warn(withIds({ exportId: 'e-3' }, 'left the export'), 'Engine'));
    expect(text).toMatch(/WARN \[Engine\] left the export \[exportId=e-3\]/);
    expect(text).not.toMatch(/\x1b\[/);
  });
});
