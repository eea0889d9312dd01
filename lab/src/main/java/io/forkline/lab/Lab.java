package io.forkline.lab;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code forkline lab}: runs the seeds' experiments one after another on this host and gathers
 * what they found. Experiments run one at a time because each measures the machine; nothing
 * else of the lab runs beside them.
 */
public final class Lab {
    private Lab() {}

    /** Every experiment, in the order {@code forkline lab} runs them. */
    public static List<Experiment> experiments() {
        List<Experiment> all = new ArrayList<>();
        all.add(new ForkLockExperiment());
        all.add(new MigrationExperiment());
        all.add(new PidAllocationExperiment());
        all.add(new CgroupBurstExperiment());
        all.add(new ParentSizeExperiment());
        return List.copyOf(all);
    }

    /** @return the experiment with this id (E1) or name (fork-lock), any case */
    public static Optional<Experiment> experiment(String idOrName) {
        return experiments().stream().filter(e -> e.id().equalsIgnoreCase(idOrName) || e.name().equalsIgnoreCase(idOrName)).findFirst();
    }

    /** @return about how long these experiments take at this scale */
    public static Duration estimate(List<Experiment> experiments, Scale scale) {
        return experiments.stream().map(e -> e.estimate(scale)).reduce(Duration.ZERO, Duration::plus);
    }

    /**
     * What a lab run found.
     *
     * @param host the host's facts
     * @param scale the scale it ran at
     * @param started when it began
     * @param results one per experiment, in run order
     */
    public record Run(HostFacts host, Scale scale, Instant started, List<ExperimentResult> results) {
        public Run {
            results = List.copyOf(results);
        }

        /** @return every verdict line, experiment by experiment */
        public List<Finding> findings() {
            return results.stream().flatMap(r -> r.findings().stream()).toList();
        }
    }

    /**
     * Runs the experiments in order. Each one's children, cgroups and files are gone when it
     * returns; the run's work directory is removed at the end, also on interruption.
     *
     * @throws InterruptedException when the run is stopped; the experiments that finished are lost
     *     with it, since a report of half a lab would read as a whole one
     */
    public static Run run(List<Experiment> experiments, Scale scale, LabListener listener) throws Exception {
        HostFacts host = HostFacts.read();
        Instant started = Instant.now();
        Path work = Files.createTempDirectory("forkline-lab-" + ProcessHandle.current().pid() + "-");
        String cgroupTree = "forkline-lab-" + ProcessHandle.current().pid();
        try {
            List<ExperimentResult> results = new ArrayList<>();
            for (Experiment experiment : experiments) {
                if (Thread.interrupted()) throw new InterruptedException("stopped before " + experiment.id());
                listener.experimentStarted(experiment, experiment.estimate(scale));
                Path own = Files.createDirectory(work.resolve(experiment.id()));
                ExperimentResult result = experiment.run(new LabContext(scale, host, own, cgroupTree, listener));
                listener.experimentFinished(result);
                results.add(result);
            }
            return new Run(host, scale, started, results);
        } finally {
            deleteTree(work);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
