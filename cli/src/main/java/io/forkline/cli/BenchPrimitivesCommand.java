package io.forkline.cli;

import io.forkline.bench.PrimitivesReport;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code forkline bench primitives [--json]}: a short in-process JMH run of the concurrency
 * primitives against their baselines. The run forks benchmark JVMs with this JVM's class path,
 * which is the shaded {@code forkline.jar}, so they find the same classes.
 */
@Command(
        name = "primitives",
        mixinStandardHelpOptions = true,
        description = {
            "Benchmarks XorLock, PerCpuRwLock/BravoRwLock, RangeIdAllocator and ReplenishingPool against "
                    + "their baselines at 1, 2, 4 and 8 threads (short JMH run, a few minutes).",
            "Thread counts above the number of processors are labelled oversubscribed; baseline_ratio is "
                    + "throughput divided by the best baseline's at the same thread count."
        })
public final class BenchPrimitivesCommand implements Callable<Integer> {

    @Option(
            names = "--json",
            description = "Print a JSON array of {primitive, impl, threads, ops_per_sec, baseline_ratio}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<PrimitivesReport.Row> rows = PrimitivesReport.run(System.err);
        System.out.println(json ? PrimitivesReport.toJson(rows) : PrimitivesReport.toTable(rows));
        return 0;
    }
}
