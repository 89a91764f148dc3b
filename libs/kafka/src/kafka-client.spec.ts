import { logLevel } from 'kafkajs';
import { logMethod } from './kafka-client';

describe('kafkajs log lines through Nest', () => {
  const entry = (level: logLevel, error?: string) => ({ level, log: { timestamp: '', logger: 'kafkajs', message: 'Failed to send messages', ...(error ? { error } : {}) } });

  it('keeps kafkajs levels', () => {
    expect([logMethod(entry(logLevel.ERROR, 'Broker not available')), logMethod(entry(logLevel.WARN)), logMethod(entry(logLevel.INFO)), logMethod(entry(logLevel.DEBUG))]).toEqual(['error', 'warn', 'log', 'debug']);
  });

  it('logs a transaction begun while the broker still ends the previous one at debug: kafkajs retries it', () => {
    expect(logMethod(entry(logLevel.ERROR, 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'))).toBe('debug');
  });
});
