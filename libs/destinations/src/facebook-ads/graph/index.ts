/** What every Facebook Graph caller shares: the version it speaks and how a call proves the app. */
export * from './app-secret-proof';
export * from './version';
