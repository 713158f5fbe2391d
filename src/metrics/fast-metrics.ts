/**
 * Counters and histograms whose hot path is a few Map lookups and number additions: no label object, no hash
 * string, no closure per observation. prom-client's own metrics hash their labels into a string on every
 * `inc`/`observe`; these keep one record per label combination in nested Maps and hand prom-client the values
 * only when it collects (a scrape), through the metric shape its Registry and AggregatorRegistry read
 * (`get()` → { name, help, type, values: [{ labels, value, metricName? }], aggregator }).
 *
 * Label values must come from bounded sets (instance names that exist, registered kinds, error codes, door
 * names): every combination seen stays in memory for the life of the process, as with any Prometheus client.
 */

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram' | 'gauge';
  values: MetricValue[];
  aggregator: 'sum';
}

type Tree<T> = Map<string, Tree<T> | T>;

/** The leaf for `values` (one per label), created on first use. */
function leaf<T>(root: Tree<T>, values: readonly string[] | string, make: () => T, depth: number): T {
  // Callers pass label values positionally through the fixed-arity methods below, so no array is built per call.
  let node: Tree<T> = root;
  for (let i = 0; i < depth - 1; i++) {
    const v = typeof values === 'string' ? values : values[i]!;
    let next = node.get(v) as Tree<T> | undefined;
    if (!next) node.set(v, (next = new Map()));
    node = next;
  }
  const last = typeof values === 'string' ? values : values[depth - 1]!;
  let l = node.get(last) as T | undefined;
  if (l === undefined) node.set(last, (l = make()));
  return l;
}

function* walk<T>(node: Tree<T>, depth: number, prefix: string[] = []): Generator<[string[], T]> {
  for (const [k, v] of node) {
    if (depth === 1) yield [[...prefix, k], v as T];
    else yield* walk(v as Tree<T>, depth - 1, [...prefix, k]);
  }
}

abstract class FastMetric<T> {
  protected readonly root: Tree<T> = new Map();
  readonly aggregator = 'sum' as const;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected at1(a: string): T {
    let l = this.root.get(a) as T | undefined;
    if (l === undefined) this.root.set(a, (l = this.make()));
    return l;
  }

  protected at2(a: string, b: string): T {
    let n = this.root.get(a) as Tree<T> | undefined;
    if (!n) this.root.set(a, (n = new Map()));
    let l = n.get(b) as T | undefined;
    if (l === undefined) n.set(b, (l = this.make()));
    return l;
  }

  protected at4(a: string, b: string, c: string, d: string): T {
    let n1 = this.root.get(a) as Tree<T> | undefined;
    if (!n1) this.root.set(a, (n1 = new Map()));
    let n2 = n1.get(b) as Tree<T> | undefined;
    if (!n2) n1.set(b, (n2 = new Map()));
    let n3 = n2.get(c) as Tree<T> | undefined;
    if (!n3) n2.set(c, (n3 = new Map()));
    let l = n3.get(d) as T | undefined;
    if (l === undefined) n3.set(d, (l = this.make()));
    return l;
  }

  protected abstract make(): T;

  protected entries(): Array<[Record<string, string>, T]> {
    if (this.labelNames.length === 0) {
      const l = this.root.get('') as T | undefined;
      return l === undefined ? [] : [[{}, l]];
    }
    const out: Array<[Record<string, string>, T]> = [];
    for (const [values, l] of walk(this.root, this.labelNames.length)) {
      out.push([Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])), l]);
    }
    return out;
  }

  /** Forgets every value (tests and `Registry.resetMetrics`). */
  reset(): void {
    this.root.clear();
  }

  /** The record for these label values, in labelNames order. */
  protected leafFor(values: readonly string[]): T {
    return leaf(this.root, values, () => this.make(), this.labelNames.length);
  }
}

export class FastCounter extends FastMetric<{ n: number }> {
  readonly type = 'counter' as const;
  protected make() {
    return { n: 0 };
  }
  inc0(by = 1): void {
    this.at1('').n += by;
  }
  inc1(a: string, by = 1): void {
    this.at1(a).n += by;
  }
  inc2(a: string, b: string, by = 1): void {
    this.at2(a, b).n += by;
  }
  inc4(a: string, b: string, c: string, d: string, by = 1): void {
    this.at4(a, b, c, d).n += by;
  }
  /** The current value for the labels (tests). */
  value(labels: readonly string[]): number {
    return this.labelNames.length === 0 ? ((this.root.get('') as { n: number } | undefined)?.n ?? 0) : this.leafFor(labels).n;
  }
  get(): MetricJson {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.entries().map(([labels, l]) => ({ labels, value: l.n })) };
  }
}

interface HistogramLeaf {
  /** Non-cumulative counts per bucket; the last is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric<HistogramLeaf> {
  readonly type = 'histogram' as const;
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  protected make(): HistogramLeaf {
    return { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }
  private add(l: HistogramLeaf, v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    l.counts[i]!++;
    l.sum += v;
    l.count++;
  }
  observe0(v: number): void {
    this.add(this.at1(''), v);
  }
  observe1(a: string, v: number): void {
    this.add(this.at1(a), v);
  }
  observe2(a: string, b: string, v: number): void {
    this.add(this.at2(a, b), v);
  }
  get(): MetricJson {
    const values: MetricValue[] = [];
    for (const [labels, l] of this.entries()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += l.counts[i]!;
        values.push({ labels: { ...labels, le: this.buckets[i]! }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: l.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: l.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: l.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
