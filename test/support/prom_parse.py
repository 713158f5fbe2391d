"""Parses a Prometheus text exposition from standard input with the reference parser (prometheus_client,
Debian python3-prometheus-client) and prints every sample as JSON: [{"name", "labels", "value"}, ...].
Run with /usr/bin/python3."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
types = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for s in family.samples:
        samples.append({"name": s.name, "labels": s.labels, "value": s.value})
json.dump({"types": types, "samples": samples}, sys.stdout)
