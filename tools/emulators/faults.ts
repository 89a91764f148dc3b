import { z } from 'zod';
import { EmulatorRequest, EmulatorResponse } from './http-kit';

/** How an emulator answers with one scripted error (the platform builds it, e.g. from the request's path). */
export type ScriptedAnswer = (req: EmulatorRequest) => EmulatorResponse;

/**
 * One entry of `errorsNext`: the platform's own error description (its emulator reads the other
 * fields), answered to the next `times` calls.
 */
export const scriptedErrorSchema = z.looseObject({ times: z.number().int().min(1).default(1) });

/** Faults an emulator injects into its emulated API (never into the inspection API). */
export const faultSettingsSchema = z.object({
  /** Extra latency added to every emulated call. */
  latencyMs: z.number().int().min(0).max(60000).default(0),
  /** Share (0..1) of emulated calls answered with a transient server error. */
  serverErrorRate: z.number().min(0).max(1).default(0),
  /** The next N calls are answered with a server error, whatever the rate. */
  serverErrorsNext: z.number().int().min(0).default(0),
  /** Until this time (ms since epoch) every call is rate limited. */
  rateLimitedUntil: z.number().int().min(0).default(0),
  /** The next N calls are rate limited. */
  rateLimitNext: z.number().int().min(0).default(0),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const faultUpdateSchema = z.object({
  latencyMs: z.number().int().min(0).max(60000).optional(),
  serverErrorRate: z.number().min(0).max(1).optional(),
  serverErrorsNext: z.number().int().min(0).optional(),
  /** A rate-limit window starting now. */
  rateLimitForMs: z.number().int().min(0).optional(),
  rateLimitNext: z.number().int().min(0).optional(),
});

export class Faults {
  settings: FaultSettings = faultSettingsSchema.parse({});
  /** Scripted errors still to answer, in order; they come before every other fault. */
  private readonly scripted: { remaining: number; answer: ScriptedAnswer }[] = [];

  /** Queues `answer` for the next `times` calls, after the errors already queued. */
  script(answer: ScriptedAnswer, times = 1): void {
    this.scripted.push({ remaining: times, answer });
  }

  /** Calls still to be answered by a scripted error. */
  get scriptedPending(): number {
    return this.scripted.reduce((n, s) => n + s.remaining, 0);
  }

  /** This call's scripted answer, if one is queued. */
  nextScripted(): ScriptedAnswer | undefined {
    const next = this.scripted[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) this.scripted.shift();
    return next.answer;
  }

  update(input: unknown): FaultSettings {
    const change = faultUpdateSchema.parse(input);
    const { rateLimitForMs, ...rest } = change;
    this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    if (rateLimitForMs !== undefined) this.settings.rateLimitedUntil = Date.now() + rateLimitForMs;
    return this.settings;
  }

  reset(): void {
    this.settings = faultSettingsSchema.parse({});
    this.scripted.length = 0;
  }

  /** Decides this call's fate: 'server-error', 'rate-limit' or undefined. */
  draw(): 'server-error' | 'rate-limit' | undefined {
    const s = this.settings;
    if (s.serverErrorsNext > 0) {
      s.serverErrorsNext -= 1;
      return 'server-error';
    }
    if (s.rateLimitNext > 0) {
      s.rateLimitNext -= 1;
      return 'rate-limit';
    }
    if (Date.now() < s.rateLimitedUntil) return 'rate-limit';
    if (s.serverErrorRate > 0 && Math.random() < s.serverErrorRate) return 'server-error';
    return undefined;
  }

  async delay(): Promise<void> {
    if (this.settings.latencyMs > 0) await new Promise((r) => setTimeout(r, this.settings.latencyMs));
  }
}
