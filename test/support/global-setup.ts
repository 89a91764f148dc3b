import { provideInfrastructure, Infrastructure } from '../../deploy/local/infrastructure';

/**
 * Starts (or finds) the broker and the database once for all integration tests and hands their
 * addresses to the workers through the environment, which they inherit.
 */
export default async function globalSetup(): Promise<void> {
  const infra = await provideInfrastructure({ purpose: 'test', say: (line) => process.stdout.write(`\n[infra] ${line}`) });
  process.stdout.write('\n');
  process.env.KAFKA_BROKERS = infra.kafkaBrokers.join(',');
  process.env.MONGODB_URI = infra.mongoUri;
  (globalThis as { __infrastructure?: Infrastructure }).__infrastructure = infra;
}
