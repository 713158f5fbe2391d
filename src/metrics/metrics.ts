/**
 * Tessera's Prometheus metrics (API.md §10, docs/operations.md "Metrics and alerts"). Everything observed on the
 * request path is a counter or histogram bucket increment (fast-metrics.ts); prom-client renders them, adds the
 * process metrics, and aggregates the workers of a node:cluster primary (AggregatorRegistry).
 *
 * Where the numbers come from, so that no door or engine code has to remember to count:
 * - translations, validations, cancellations and rate-limit refusals: every audit event (one per operation,
 *   written by the engine and the doors), seen as it is written;
 * - request latency per door: the one dispatch loop of the HTTP server;
 * - issued-token write batches: the write batcher's BatchObserver;
 * - database errors: the query builder's `query-error` event;
 * - plugin failures and time-outs: the `tessera:plugin-failure` diagnostics channel PluginFailureError
 *   publishes on.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ERROR_TABLE } from '../engine/errors.js';
import type { AuditEventInput } from '../engine/types.js';
import { PLUGIN_FAILURE_CHANNEL, type PluginFailureMessage } from '../plugins/plugin-failure.js';
import type { BatchObserver } from '../persistence/write-batcher.js';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/** Label value for an instance or token type outside the bounded set (unknown names must not grow the series). */
export const OTHER = '(other)';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const BATCH_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const OUTCOMES = new Set<string>(['OK', ...Object.keys(ERROR_TABLE)]);

export interface MetricsOptions {
  /** Whether a name is a registered token kind (labels take only those). */
  isKind(name: string): boolean;
  /** Process metrics (CPU, memory, event loop, GC); default true. Off in unit tests that build many registries. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly translations = new FastCounter('tessera_translations_total', 'Token translations by instance, input kind, output kind and outcome (OK or the error code).', ['instance', 'input', 'output', 'outcome']);
  readonly validations = new FastCounter('tessera_token_checks_total', 'validateToken and cancelToken calls by action, instance, token kind and outcome.', ['action', 'instance', 'type', 'outcome']);
  readonly rateLimited = new FastCounter('tessera_rate_limited_total', 'Requests refused with RATE_LIMITED (password throttling), by action.', ['action']);
  readonly httpDuration = new FastHistogram('tessera_http_request_duration_seconds', 'HTTP request latency by door (the module that answered) and status code.', ['door', 'status'], LATENCY_BUCKETS);
  readonly batchSize = new FastHistogram('tessera_write_batch_size', 'Issued-token records and audit events written per group-commit transaction (units per batch).', [], BATCH_SIZE_BUCKETS);
  readonly batchSeconds = new FastHistogram('tessera_write_batch_duration_seconds', 'Time one group-commit transaction took, by outcome (ok or failed).', ['outcome'], BATCH_SECONDS_BUCKETS);
  readonly databaseErrors = new FastCounter('tessera_database_errors_total', 'Database statements that failed.', []);
  readonly pluginFailures = new FastCounter('tessera_plugin_failures_total', 'Plugin calls that failed a request, by plugin and reason (threw, timeout, malformed-result).', ['plugin', 'reason']);

  private readonly known = new Set<string>();
  private clusterCollector: (() => Promise<string>) | undefined;
  private readonly onPluginFailure = (m: unknown) => {
    const msg = m as PluginFailureMessage;
    this.pluginFailures.inc2(msg.plugin, msg.reason);
  };

  constructor(private readonly opts: MetricsOptions) {
    for (const m of [this.translations, this.validations, this.rateLimited, this.httpDuration, this.batchSize, this.batchSeconds, this.databaseErrors, this.pluginFailures]) {
      this.registry.registerMetric(m as never);
    }
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    subscribe(PLUGIN_FAILURE_CHANNEL, this.onPluginFailure);
  }

  /** The published instance names (refreshed on every configuration change); other names count as (other). */
  setInstances(names: Iterable<string>): void {
    this.known.clear();
    for (const n of names) this.known.add(n);
  }

  private instanceLabel(name: string | undefined): string {
    return name !== undefined && this.known.has(name) ? name : OTHER;
  }

  private kindLabel(name: string | undefined): string {
    return name !== undefined && this.opts.isKind(name) ? name : OTHER;
  }

  /** One audit event, as it is written. */
  audit(ev: AuditEventInput): void {
    const outcome = OUTCOMES.has(ev.outcome) ? ev.outcome : OTHER;
    switch (ev.action) {
      case 'translate':
        this.translations.inc4(this.instanceLabel(ev.instance), this.kindLabel(ev.inputType), this.kindLabel(ev.outputType), outcome);
        break;
      case 'validate':
      case 'cancel':
        this.validations.inc4(ev.action, this.instanceLabel(ev.instance), this.kindLabel(ev.outputType), outcome);
        break;
    }
    if (outcome === 'RATE_LIMITED') this.rateLimited.inc1(ev.action.length <= 40 ? ev.action : OTHER);
  }

  /** The write batcher's observer. */
  readonly batches: BatchObserver = {
    batch: (units, ms, failed) => {
      this.batchSize.observe0(units);
      this.batchSeconds.observe1(failed ? 'failed' : 'ok', ms / 1000);
    },
  };

  databaseError(): void {
    this.databaseErrors.inc0();
  }

  /** A request a door answered, `seconds` after dispatch. */
  request(door: string, status: number, seconds: number): void {
    this.httpDuration.observe2(door, STATUS[status] ?? String(status), seconds);
  }

  /** In a cluster worker: how to get every worker's metrics summed (asks the primary). */
  setClusterCollector(collect: () => Promise<string>): void {
    this.clusterCollector = collect;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition: this process's, or every worker's summed when running in a cluster. */
  exposition(): Promise<string> {
    return this.clusterCollector ? this.clusterCollector() : this.registry.metrics();
  }

  close(): void {
    unsubscribe(PLUGIN_FAILURE_CHANNEL, this.onPluginFailure);
  }
}

/** Status code labels, made once (no string per request). */
const STATUS: Record<number, string> = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [i + 100, String(i + 100)]));
