import { Infrastructure } from '../../deploy/local/infrastructure';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __infrastructure?: Infrastructure }).__infrastructure?.stop();
}
