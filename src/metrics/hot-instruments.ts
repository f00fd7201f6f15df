// A counter and a histogram for what happens on every call (decisions, their
// latency, cache lookups), counted in plain numbers and read by prom-client only when
// scraped. prom-client's own label children validate and hash their labels on every
// inc() and observe(): measured, three of those cost a warm forward-auth decision more
// than the decision itself. These register in a prom-client Registry like any metric
// (its text format, its JSON for the cluster aggregator).
import type { Registry } from "prom-client";

type Labels = Readonly<Record<string, string>>;

interface Value {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly values: Value[];
  readonly aggregator: "sum";
}

/** Children by their label values, created once; the hot path holds the child. */
abstract class HotMetric<Child> {
  readonly aggregator = "sum";
  readonly name: string;
  readonly help: string;
  readonly #children = new Map<string, { readonly labels: Labels; readonly child: Child }>();

  constructor(name: string, help: string, registry: Registry) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as never);
  }

  protected abstract create(): Child;

  child(labels: Labels): Child {
    const key = JSON.stringify(labels);
    let known = this.#children.get(key);
    if (known === undefined) {
      known = { labels, child: this.create() };
      this.#children.set(key, known);
    }
    return known.child;
  }

  protected entries(): Iterable<{ readonly labels: Labels; readonly child: Child }> {
    return this.#children.values();
  }

  abstract get(): Promise<MetricJson>;
}

export interface CounterChild {
  inc(): void;
  readonly value: number;
}

export class HotCounter extends HotMetric<CounterChild> {
  readonly type = "counter";

  protected create(): CounterChild {
    let value = 0;
    return {
      inc: () => void value++,
      get value() {
        return value;
      },
    };
  }

  async get(): Promise<MetricJson> {
    const values = [...this.entries()].map(({ labels, child }) => ({ labels, value: child.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

interface Buckets {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class HotHistogram extends HotMetric<HistogramChild & { readonly buckets: Buckets }> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, bounds: readonly number[], registry: Registry) {
    super(name, help, registry);
    this.#bounds = bounds;
  }

  protected create(): HistogramChild & { readonly buckets: Buckets } {
    const bounds = this.#bounds;
    const buckets: Buckets = { counts: new Float64Array(bounds.length), sum: 0, count: 0 };
    return {
      buckets,
      observe(value) {
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        if (i < bounds.length) buckets.counts[i]!++;
        buckets.sum += value;
        buckets.count++;
      },
    };
  }

  /** Prometheus's cumulative buckets (le first, as prom-client writes them), then +Inf, sum and count. */
  async get(): Promise<MetricJson> {
    const values: Value[] = [];
    for (const { labels, child } of this.entries()) {
      const { counts, sum, count } = child.buckets;
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ labels: { le: String(bound), ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
