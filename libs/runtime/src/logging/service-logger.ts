import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { z } from 'zod';
import { StructuredMessage } from './structured-message';

/** `json` (when unset: one object a line, for files and log collectors) or `text` (for a terminal). Optional, so configs built in code need not name it. */
export const logFormat = () =>
  z.enum(['json', 'text']).optional().describe('json (one JSON object a line; the default) or text (for reading in a terminal)');
export type LogFormat = NonNullable<z.infer<ReturnType<typeof logFormat>>>;

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
 * writes epoch milliseconds), the service's name on every line, and the fields of a StructuredMessage
 * (which cannot replace these). Colours only in text on a terminal, so no file ever holds ANSI codes.
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
    const base = {
      timestamp: new Date().toISOString(),
      level: options.logLevel,
      service: this.service,
      pid: process.pid,
      ...(options.context ? { context: options.context } : {}),
      message: message instanceof StructuredMessage ? message.text : message,
    };
    const line = {
      ...base,
      ...(message instanceof StructuredMessage ? message.fields : {}),
      ...base, // again, so a field of the message never replaces these
      ...(options.errorStack ? { stack: options.errorStack } : {}),
    };
    process[options.writeStreamType ?? 'stdout'].write(`${this.stringifyJsonLogObject(line)}\n`);
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    return super.stringifyMessage(message instanceof StructuredMessage ? message.toString() : message, logLevel);
  }
}
