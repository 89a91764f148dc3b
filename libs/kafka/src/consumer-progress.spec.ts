import { HealthIndicatorService } from '@nestjs/terminus';
import { ConsumerProgress } from './kafka-health';

describe('ConsumerProgress readiness before the consumers start', () => {
  const progress = () => new ConsumerProgress(new HealthIndicatorService());

  it('is not ready until the transport starts the consumers, saying what start-up waits for', () => {
    const p = progress();
    expect(p.check()).toEqual({ consumers: { status: 'down', message: 'not consuming yet: the consumers have not started yet' } });
    p.waitingFor('restoring the state from t: 10 of at most 40 records');
    expect(p.check()).toEqual({ consumers: { status: 'down', message: 'not consuming yet: restoring the state from t: 10 of at most 40 records' } });
    p.consuming();
    expect(p.check()).toEqual({ consumers: { status: 'up' } });
    // A late report from start-up work does not make a running service unready.
    p.waitingFor('reading the export configurations');
    expect(p.check()).toEqual({ consumers: { status: 'up' } });
  });
});

describe('ConsumerProgress readiness of a standby', () => {
  it('is ready while standing by, saying so, and not ready again once it takes over and restores', () => {
    const p = new ConsumerProgress(new HealthIndicatorService());
    p.standingBy('another instance is active');
    expect(p.check()).toEqual({ consumers: { status: 'up', message: 'standing by: another instance is active' } });
    p.waitingFor('restoring the state from t: 0 of at most 40 records');
    expect(p.check()).toEqual({ consumers: { status: 'down', message: 'not consuming yet: restoring the state from t: 0 of at most 40 records' } });
    p.consuming();
    p.standingBy('late');
    expect(p.check()).toEqual({ consumers: { status: 'up' } });
  });
});
