import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { z } from 'zod';
import { IdentifiedMessage } from './with-ids';

/** `json` (the default: one object a line, for files and log collectors) or `text` (for a terminal). */
export const logFormat = () =>
  z.enum(['json', 'text']).default('json').describe('json (one JSON object a line) or text (for reading in a terminal)');
export type LogFormat = z.infer<ReturnType<typeof logFormat>>;

const levels: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
/** The given level and every more severe one. */
export const levelsUpTo = (level: LogLevel): LogLevel[] => levels.slice(0, levels.indexOf(level) + 1);

/** What ConsoleLogger hands printAsJson besides the message. */
interface JsonOptions {
  context: string;
  logLevel: LogLevel;
  writeStreamType?: 'stdout' | 'stderr';
  errorStack?: unknown;
}

/**
 * Nest's console logger with its JSON mode made fit for collectors: an ISO timestamp in UTC (Nest
 * writes epoch milliseconds), the service's name on every line, and the ids of an IdentifiedMessage
 * as fields. Colours only in text on a terminal, so no file ever holds ANSI codes.
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(
    private readonly service: string,
    level: LogLevel,
    format: LogFormat,
  ) {
    super({ logLevels: levelsUpTo(level), json: format === 'json', colors: format === 'text' && process.stdout.isTTY === true });
  }

  protected override printAsJson(message: unknown, options: JsonOptions): void {
    const line = {
      timestamp: new Date().toISOString(),
      level: options.logLevel,
      service: this.service,
      pid: process.pid,
      ...(options.context ? { context: options.context } : {}),
      ...(message instanceof IdentifiedMessage ? { message: message.text, ...message.ids } : { message }),
      ...(options.errorStack ? { stack: options.errorStack } : {}),
    };
    process[options.writeStreamType ?? 'stdout'].write(`${this.stringifyJsonLogObject(line)}\n`);
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    return super.stringifyMessage(message instanceof IdentifiedMessage ? message.toString() : message, logLevel);
  }
}
