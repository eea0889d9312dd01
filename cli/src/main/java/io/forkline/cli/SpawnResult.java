package io.forkline.cli;

import io.forkline.lab.Latencies;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One engine at one concurrency: n timed spawns, the wall time they took, and the time until
 * each spawn call returned.
 */
record SpawnResult(String engine, int concurrency, int n, long elapsedNanos, long p50Nanos, long p99Nanos, long maxNanos,
        long[] sortedLatencies) {
    double spawnsPerSecond() {
        return n * 1e9 / elapsedNanos;
    }

    static SpawnResult of(String engine, int concurrency, long elapsedNanos, long[] sortedLatencies) {
        return new SpawnResult(engine, concurrency, sortedLatencies.length, elapsedNanos,
                Latencies.percentile(sortedLatencies, 50), Latencies.percentile(sortedLatencies, 99),
                sortedLatencies[sortedLatencies.length - 1], sortedLatencies);
    }

    /** Several runs of one engine at one concurrency as one result: their spawns over their summed time. */
    static SpawnResult pool(List<SpawnResult> runs) {
        long elapsed = runs.stream().mapToLong(SpawnResult::elapsedNanos).sum();
        long[] all = runs.stream().flatMapToLong(r -> java.util.Arrays.stream(r.sortedLatencies())).sorted().toArray();
        return of(runs.getFirst().engine(), runs.getFirst().concurrency(), elapsed, all);
    }

    /** The JSON object of the spawn benchmark's contract: exactly these keys. */
    Map<String, Object> json() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("engine", engine);
        fields.put("concurrency", concurrency);
        fields.put("n", n);
        fields.put("spawns_per_sec", spawnsPerSecond());
        fields.put("start_p50_us", p50Nanos / 1000.0);
        fields.put("start_p99_us", p99Nanos / 1000.0);
        fields.put("start_max_us", maxNanos / 1000.0);
        return fields;
    }
}
