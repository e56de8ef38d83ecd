import type { OnApplicationShutdown } from '@nestjs/common';
import { InvalidOptionError } from '@steady/core';
import type { InstrumentSteadyOptions } from '@steady/otel';
import { prefixOptionError } from './option-errors.ts';
import { importOptionalPeer, type ModuleLoader } from './optional-peer.ts';

/** The part of `@steady/otel` this module uses (typed here so the peer stays optional). */
interface SteadyOtelModule {
  instrumentSteady(options?: InstrumentSteadyOptions): { shutdown(): void };
}

const OTEL_PEERS = ['@steady/otel', '@opentelemetry/api'] as const;

/**
 * The module's `otel` option: OpenTelemetry metrics (and spans, if asked) for every
 * upstream of the process through `@steady/otel`, loaded only when `otel` is set, and
 * shut down with the application. Injectable to check whether it is on.
 */
export class SteadyTelemetry implements OnApplicationShutdown {
  #instrumentation: { shutdown(): void } | undefined;

  /** Use {@link SteadyTelemetry.create}. */
  private constructor(instrumentation: { shutdown(): void } | undefined) {
    this.#instrumentation = instrumentation;
  }

  /**
   * Start the instrumentation the module options ask for (`otel: true` or the options of
   * `instrumentSteady()`). Without `@steady/otel` installed, throws a `MissingPeerError`
   * naming the packages; a bad `otel` option throws `InvalidOptionError` naming `otel.<path>`.
   */
  static async create(options: unknown, loader?: ModuleLoader): Promise<SteadyTelemetry> {
    const otel = (options as { otel?: unknown } | null | undefined)?.otel;
    if (otel === undefined || otel === false) return new SteadyTelemetry(undefined);
    if (otel !== true && (typeof otel !== 'object' || otel === null || Array.isArray(otel))) {
      throw new InvalidOptionError('otel', 'true, false or the options of instrumentSteady() (@steady/otel)', otel);
    }
    const { instrumentSteady } = await importOptionalPeer<SteadyOtelModule>(
      '@steady/otel',
      'SteadyModule `otel`',
      OTEL_PEERS,
      loader,
    );
    try {
      return new SteadyTelemetry(instrumentSteady(otel === true ? {} : (otel as InstrumentSteadyOptions)));
    } catch (error) {
      throw prefixOptionError(error, 'otel');
    }
  }

  /** Whether metrics are being recorded. */
  get active(): boolean {
    return this.#instrumentation !== undefined;
  }

  /** Stop recording (idempotent). */
  shutdown(): void {
    this.#instrumentation?.shutdown();
    this.#instrumentation = undefined;
  }

  /** Nest calls this on application shutdown. */
  onApplicationShutdown(): void {
    this.shutdown();
  }
}
