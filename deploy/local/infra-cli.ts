import { join } from 'node:path';
import { provideInfrastructure } from './infrastructure';
import { projectRoot } from './paths';

/** `npm run infra`: only Kafka and the database, for running services by hand. Ctrl-C stops them. */
provideInfrastructure({ purpose: 'stack', dataDir: join(process.env.AUDIENCE_SYNC_DATA_DIR ?? join(projectRoot(), '.data'), 'infra') })
  .then((infra) => {
    process.stdout.write(`KAFKA_BROKERS=${infra.kafkaBrokers.join(',')}\nMONGODB_URI=${infra.mongoUri}\n(Ctrl-C stops them)\n`);
    const stop = () => void infra.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    setInterval(() => undefined, 1 << 30);
  })
  .catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
