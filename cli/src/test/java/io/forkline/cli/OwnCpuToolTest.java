package io.forkline.cli;

import io.forkline.sys.shim.NativeTool;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sanity check of forkline-owncpu, on which {@code bench parallel}'s runner CPU rests: CPU
 * burnt by the program itself (in any of its threads) is its own; CPU burnt by its child is not,
 * although wait4's rusage counts both.
 */
class OwnCpuToolTest {
    /** About 0.2 s of CPU in dash on this machine. */
    private static final String BURN = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";

    private static Path tool;

    @TempDir
    Path dir;

    @BeforeAll
    static void extract() throws Exception {
        tool = NativeTool.extract("forkline-owncpu");
    }

    @AfterAll
    static void remove() throws Exception {
        Files.deleteIfExists(tool);
    }

    private BenchParallelCommand.Measurement measure(String... argv) throws Exception {
        Path report = dir.resolve("report");
        List<String> command = new ArrayList<>(List.of(tool.toString(), report.toString()));
        command.addAll(List.of(argv));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isEqualTo(0);
        BenchParallelCommand.Measurement m = BenchParallelCommand.Measurement.parse(Files.readString(report));
        Files.delete(report);
        assertThat(m.pid()).isPositive();
        return m;
    }

    @Test
    void cpuBurntByTheProgramItselfIsItsOwn() throws Exception {
        BenchParallelCommand.Measurement m = measure("sh", "-c", BURN);
        assertThat(m.exitCode()).isEqualTo(0);
        assertThat(m.treeCpuMicros()).isGreaterThan(50_000);
        assertThat(m.ownCpuMicros()).isGreaterThan(m.treeCpuMicros() * 7 / 10);
        assertThat(m.childrenCpuMicros()).isLessThan(m.treeCpuMicros() / 10);
    }

    @Test
    void cpuBurntByItsChildIsNotItsOwnThoughRusageCountsIt() throws Exception {
        // "; exit 0" keeps the outer shell from exec'ing the inner one in its place.
        BenchParallelCommand.Measurement m = measure("sh", "-c", "sh -c '" + BURN + "'; exit 0");
        assertThat(m.exitCode()).isEqualTo(0);
        assertThat(m.treeCpuMicros()).isGreaterThan(50_000);
        assertThat(m.childrenCpuMicros()).isGreaterThan(m.treeCpuMicros() * 7 / 10);
        assertThat(m.ownCpuMicros()).isLessThan(m.treeCpuMicros() / 10);
    }

    @Test
    void everyThreadCounts() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        BenchParallelCommand.Measurement m = measure(java, "-cp", System.getProperty("java.class.path"),
                CpuBurner.class.getName(), "3", "300");
        assertThat(m.exitCode()).isEqualTo(0);
        assertThat(m.ownCpuMicros()).isGreaterThanOrEqualTo(3 * 300_000 - 20_000); // less two clock ticks of rounding
        assertThat(m.childrenCpuMicros()).isEqualTo(0);
    }

    @Test
    void reportsHowTheProgramEnded() throws Exception {
        assertThat(measure("sh", "-c", "exit 3").exitCode()).isEqualTo(3);
        BenchParallelCommand.Measurement killed = measure("sh", "-c", "kill -TERM $$");
        assertThat(killed.exitCode()).isEqualTo(-1);
        assertThat(killed.signal()).isEqualTo(15);
        assertThat(measure("/nonexistent/forkline-owncpu-test").exitCode()).isEqualTo(127);
    }
}
