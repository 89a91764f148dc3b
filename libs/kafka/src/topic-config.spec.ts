import { z } from 'zod';
import { loadConfig } from '@audience-sync/config';
import { topicConfig } from './topic-config';

const load = (value?: string) => loadConfig('svc', z.object(topicConfig), value === undefined ? {} : { PERSONAL_DATA_RETENTION_HOURS: value });

describe('PERSONAL_DATA_RETENTION_HOURS', () => {
  it('is optional: unset or empty leaves each topic its spec\'s retention', () => {
    expect(load().PERSONAL_DATA_RETENTION_HOURS).toBeUndefined();
    expect(load('').PERSONAL_DATA_RETENTION_HOURS).toBeUndefined();
  });

  it('takes a positive number of hours, fractions too', () => {
    expect(load('48').PERSONAL_DATA_RETENTION_HOURS).toBe(48);
    expect(load('0.5').PERSONAL_DATA_RETENTION_HOURS).toBe(0.5);
  });

  it.each(['0', '-24', 'a day', 'Infinity'])('refuses %p, naming the variable and what it expects', (value) => {
    expect(() => load(value)).toThrow(/PERSONAL_DATA_RETENTION_HOURS: .*\(expected a positive number of hours/);
  });
});
