/**
 * Scrapes /metrics and parses it with Prometheus's reference text-format parser (test/support/prom_parse.py),
 * so a test reads what Prometheus itself would read.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  types: Record<string, string>;
  samples: Sample[];
  /** The value of the one sample with exactly these labels; 0 when there is none (a series not yet created). */
  value(name: string, labels?: Record<string, string>): number;
  /** The sum over every sample of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

export function parseExposition(text: string): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', [join(projectRoot(), 'test', 'support', 'prom_parse.py')], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the Prometheus parser refused the exposition: ${stderr || err.message}`));
      const parsed = JSON.parse(stdout) as { types: Record<string, string>; samples: Sample[] };
      const matches = (s: Sample, labels: Record<string, string>, exact: boolean) =>
        Object.entries(labels).every(([k, v]) => s.labels[k] === v) && (!exact || Object.keys(s.labels).length === Object.keys(labels).length);
      resolve({
        ...parsed,
        value(name, labels = {}) {
          const found = parsed.samples.filter((s) => s.name === name && matches(s, labels, true));
          if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
          return found[0]?.value ?? 0;
        },
        sum(name, labels = {}) {
          return parsed.samples.filter((s) => s.name === name && matches(s, labels, false)).reduce((a, s) => a + s.value, 0);
        },
      });
    });
    child.stdin!.end(text);
  });
}

export async function scrape(baseUrl: string, token?: string): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? '')) throw new Error(`content-type ${res.headers.get('content-type')}`);
  return parseExposition(await res.text());
}
