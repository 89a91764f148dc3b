// One `npm test` runs both projects: unit specs beside the code, and integration tests under
// test/ that share one real Kafka broker and one MongoDB-wire server started by globalSetup.
const aliases = {
  '^@audience-sync/(contracts|config|kafka|runtime|identifiers|delivery|destinations)$': '<rootDir>/libs/$1/src',
};
// Transpile only: `npm test` type-checks the whole tree once in its build step.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

module.exports = {
  testTimeout: 90000,
  // With --coverage (npm test): every product file counts, also those no test loads; V8's own
  // counters, so the figures can be merged with those of services run as child processes. The console's
  // code runs in the browser tests' Chromium, which Node's coverage does not see.
  collectCoverageFrom: ['services/**/*.ts', 'libs/**/*.ts', 'deploy/**/*.ts', '!**/*.spec.ts', '!**/*.test.ts', '!services/connection-registry/console/**'],
  coverageProvider: 'v8',
  coverageReporters: ['json'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper: aliases,
      testMatch: ['<rootDir>/services/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleNameMapper: aliases,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
