package io.forkline.cli;

import io.forkline.lab.Latencies;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CliTest {
    /** Runs the CLI in this JVM and returns {exit code, stdout, stderr}. */
    private static Object[] cli(String... args) {
        return CliHarness.inProcess(args).asArray();
    }

    @Test
    void percentilesAreNearestRank() {
        long[] values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(Latencies.percentile(values, 50)).isEqualTo(5);
        assertThat(Latencies.percentile(values, 99)).isEqualTo(10);
        assertThat(Latencies.percentile(values, 100)).isEqualTo(10);
        assertThat(Latencies.percentile(new long[] {42}, 99)).isEqualTo(42);
    }

    @Test
    void jsonEscapesAndFormats() {
        assertThat(Json.object(Map.of("k", "a\"b\\c\n"))).isEqualTo("{\"k\": \"a\\\"b\\\\c\\n\"}");
        assertThat(Json.array(List.of())).isEqualTo("[]");
    }

    @Test
    void benchCgroupJsonHasExactlyTheContractKeysForEveryMode() {
        Object[] result = cli("bench", "cgroup", "--n", "12", "--concurrency", "1,3", "--warmup", "0", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        String json = (String) result[1];
        Matcher objects = Pattern.compile("\\{([^}]*)}").matcher(json);
        int count = 0;
        while (objects.find()) {
            count++;
            List<String> keys = Pattern.compile("\"([a-z0-9_]+)\":").matcher(objects.group(1)).results().map(m -> m.group(1)).toList();
            assertThat(keys).containsExactly("mode", "concurrency", "n", "jobs_per_sec", "acquire_p50_us", "acquire_p99_us",
                    "acquire_max_us", "slow_path");
        }
        assertThat(count).isEqualTo(8); // four modes at two concurrencies
        assertThat(json).contains("\"mode\": \"none\"", "\"mode\": \"mkdir\"", "\"mode\": \"migrate\"", "\"mode\": \"pool\"");
        assertThat(leftoverBenchTrees()).isEmpty();
    }

    @Test
    void benchCgroupBurstReportsMkdirAndPool() {
        Object[] result = cli("bench", "cgroup", "--burst", "20", "--warmup", "0", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        assertThat((String) result[1]).contains("\"mode\": \"mkdir\"", "\"mode\": \"pool\"", "\"concurrency\": 20");
        assertThat(leftoverBenchTrees()).isEmpty();
    }

    @Test
    void runWithALimitReportsWhereItWentAndTheGroupsStats() {
        Object[] result = cli("run", "--limit", "pids.max=7", "--json", "--", "sh", "-c", "exit 4");
        assertThat(result[0]).as((String) result[2]).isEqualTo(4);
        assertThat((String) result[1]).isEmpty();
        assertThat((String) result[2]).contains("\"limit pids.max\": \"7 -> ").contains("pids.max\"")
                .contains("\"cgroup_cpu_usage_us\": ");
    }

    @Test
    void runWithALimitThatCannotBeAppliedSaysWhy() {
        Object[] result = cli("run", "--limit", "memory.max=1073741824", "--", "/bin/true");
        if ((Integer) result[0] == 0) return; // a host with memory on v2 applies it
        assertThat((String) result[2]).contains("memory.max").contains("memory controller is unavailable");
    }

    private static List<java.nio.file.Path> leftoverBenchTrees() {
        String mine = "forkline-bench-" + ProcessHandle.current().pid();
        return java.util.stream.Stream.of("/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu")
                .map(h -> java.nio.file.Path.of(h, mine))
                .filter(java.nio.file.Files::exists)
                .toList();
    }

    @Test
    void benchSpawnJsonHasExactlyTheContractKeys() {
        Object[] result = cli("bench", "spawn", "--n", "20", "--concurrency", "1,2", "--warmup", "0", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        String json = (String) result[1];
        Matcher objects = Pattern.compile("\\{([^}]*)}").matcher(json);
        int count = 0;
        while (objects.find()) {
            count++;
            List<String> keys = Pattern.compile("\"([a-z0-9_]+)\":").matcher(objects.group(1)).results().map(m -> m.group(1)).toList();
            assertThat(keys).containsExactly("engine", "concurrency", "n", "spawns_per_sec", "start_p50_us", "start_p99_us", "start_max_us");
        }
        assertThat(count).isEqualTo(6); // three engines at two concurrencies
        assertThat(json).contains("\"engine\": \"forkline\"", "\"engine\": \"processbuilder\"", "\"engine\": \"c\"");
    }

    @Test
    void benchSpawnRunsProcessBuilderInJvmsOfItsOwnWithAndWithoutTheAgent() {
        Object[] result = cli("bench", "spawn", "--engines", "processbuilder-jvm,processbuilder+agent", "--n", "20",
                "--rounds", "1", "--concurrency", "2", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        // the agent engine fails unless the agent was active in its JVM
        assertThat((String) result[1]).contains("\"engine\": \"processbuilder-jvm\"", "\"engine\": \"processbuilder+agent\"",
                "\"n\": 20");
    }

    @Test
    void benchAgentStartTimesThreeJvmsThatNeverSpawn() {
        Object[] result = cli("bench", "agent-start", "--n", "1", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        // each start must succeed with nothing on stderr (the agent says nothing when all is well)
        assertThat((String) result[1]).contains("\"variant\": \"plain\"", "\"variant\": \"forkline agent\"",
                "\"variant\": \"do-nothing agent\"", "\"median_ms\": ");
    }

    @Test
    void benchFirstSpawnTimesAFirstSpawnInFreshJvms() {
        Object[] result = cli("bench", "first-spawn", "--n", "1", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        assertThat((String) result[1]).contains("\"engine\": \"forkline\"", "\"engine\": \"processbuilder\"",
                "\"first_spawn_median_ms\": ", "\"jvm_median_ms\": ");
    }

    @Test
    void agentJdkSaysWhatJlinkRefusedAndLeavesNothing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path image = dir.resolve("image");
        Object[] result = cli("agent", "jdk", "--jdk", System.getProperty("java.home"), "--output", image.toString(),
                "--modules", "java.base,no.such.module");
        assertThat(result[0]).isEqualTo(1);
        assertThat((String) result[2]).startsWith("forkline agent jdk: jlink exited 1: Error: Module no.such.module not found");
        assertThat(image).doesNotExist();
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        Object[] unknownEngine = cli("bench", "spawn", "--engines", "nope", "--n", "5");
        assertThat(unknownEngine[0]).isEqualTo(2);
        assertThat((String) unknownEngine[2]).contains("unknown engine 'nope'");
        Object[] badN = cli("bench", "spawn", "--n", "0");
        assertThat(badN[0]).isEqualTo(2);
        assertThat((String) badN[2]).contains("--n must be 1 or more, got '0'");
    }

    @Test
    void runExitsWithTheChildsStatusAndPrintsItsExit() {
        Object[] result = cli("run", "--json", "--", "sh", "-c", "exit 7");
        assertThat(result[0]).isEqualTo(7);
        assertThat((String) result[2]).contains("\"exit_code\": 7", "\"signal\": null");
        Object[] killed = cli("run", "--", "sh", "-c", "kill -TERM $$");
        assertThat(killed[0]).isEqualTo(128 + 15);
    }

    @Test
    void runJsonLeavesStdoutToTheCommandAndReportsOnStderr() throws Exception {
        CliHarness.Result result = CliHarness.external(List.of(),
                List.of("run", "--json", "sh", "-c", "echo out; echo err >&2; exit 3"), null, Map.of());
        assertThat(result.code()).as(result.toString()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        List<String> stderr = result.stderr().lines().toList();
        assertThat(stderr).as(result.toString()).hasSize(2);
        assertThat(stderr.get(0)).isEqualTo("err");
        assertThat(stderr.get(1)).startsWith("{\"pid\": ").contains("\"exit_code\": 3").endsWith("}");
    }

    @Test
    void runJsonTakesOnlyAnAttachedFileSoTheNextWordIsTheCommand(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        CliHarness.Result ls = CliHarness.external(List.of(), List.of("run", "--json", "ls", dir.toString()), null, Map.of());
        assertThat(ls.code()).as(ls.toString()).isEqualTo(0);
        assertThat(ls.stdout()).isEmpty(); // ls ran, in an empty directory
        assertThat(ls.stderr()).contains("\"exit_code\": 0");
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("ls"))).isFalse();

        java.nio.file.Path report = dir.resolve("report.json");
        Object[] result = cli("run", "--json=" + report, "sh", "-c", "exit 5");
        assertThat(result[0]).as((String) result[2]).isEqualTo(5);
        assertThat((String) result[1]).isEmpty();
        assertThat((String) result[2]).isEmpty();
        assertThat(java.nio.file.Files.readString(report)).startsWith("{\"pid\": ").contains("\"exit_code\": 5").endsWith("}\n");
    }

    @Test
    void parallelJsonWithoutAFileNeverTakesTheNextWordEither() {
        Object[] result = cli("parallel", "--json", "true", ":::", "a");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        assertThat((String) result[2]).contains("\"command\": \"true a\"", "\"summary\": true");
    }

    @Test
    void runJsonFileIsNotTouchedWhenTheCommandLineIsBad(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path report = dir.resolve("report.json");
        java.nio.file.Files.writeString(report, "kept");
        Object[] result = cli("run", "--json=" + report, "--limit", "memory.max=256Q", "--", "true");
        assertThat(result[0]).isEqualTo(2);
        assertThat(java.nio.file.Files.readString(report)).isEqualTo("kept");
    }

    @Test
    void runTakesMemorySizesWithSuffixes() {
        Object[] result = cli("run", "--limit", "memory.max=10M", "--optional", "memory", "--json", "--", "/bin/true");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        // Applied where the host has memory on v2, skipped (and said) where it has not; the value is the byte count.
        assertThat((String) result[2]).containsPattern("\"limit memory.max\": \"(10485760 -> |skipped: )");
    }

    @Test
    void runReportsSpawnFailuresLikeAShell() {
        Object[] missing = cli("run", "--", "/nonexistent/forkline");
        assertThat(missing[0]).isEqualTo(127);
        assertThat((String) missing[2]).contains("execve(/nonexistent/forkline): ENOENT");
        Object[] notExecutable = cli("run", "--", "/etc/hostname");
        assertThat(notExecutable[0]).isEqualTo(126);
    }

    @Test
    void runCanStartACommandInACgroup() throws Exception {
        java.nio.file.Path v2 = java.nio.file.Path.of("/sys/fs/cgroup/unified");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isWritable(v2.resolve("cgroup.procs")),
                "needs a writable cgroup2 mount at " + v2 + " (a hybrid host, as root)");
        java.nio.file.Path group = java.nio.file.Files.createDirectory(v2.resolve("forkline-test-cli-" + System.nanoTime()));
        try {
            Object[] result = cli("run", "--cgroup", group.toString(), "--", "sh", "-c",
                    "grep -q '^0::/" + group.getFileName() + "$' /proc/self/cgroup");
            assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        } finally {
            for (int i = 0; i < 100; i++) {
                try {
                    java.nio.file.Files.delete(group);
                    break;
                } catch (java.nio.file.FileSystemException busy) {
                    Thread.sleep(20);
                }
            }
        }
    }

    @Test
    void mainBuildsOnlyTheSubcommandItRuns() {
        assertThat(Main.commandLine("run").getSubcommands().keySet()).containsExactly("run");
        assertThat(Main.commandLine("bench").getSubcommands().get("bench").getSubcommands()).containsKeys("spawn", "heap-probe");
        assertThat(Main.commandLine("--help").getSubcommands().keySet()).containsExactly("run", "parallel", "lab", "bench", "agent", "doctor");
        assertThat(Main.commandLine(null).getSubcommands().keySet()).containsExactly("run", "parallel", "lab", "bench", "agent", "doctor");
        assertThat(Main.commandLine("run").getSubcommands().get("run").getCommandSpec().qualifiedName(" ")).isEqualTo("forkline run");
        assertThat(Main.commandLine("lab").getSubcommands().get("lab").getSubcommands().get("fork-lock").getCommandSpec().qualifiedName(" "))
                .isEqualTo("forkline lab fork-lock");
    }

    @Test
    void everyAotTrainingCommandStillTakesItsPath() {
        for (AotTraining.Command command : AotTraining.COMMANDS) {
            PrintStream out = System.out;
            PrintStream err = System.err;
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            try {
                System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
                assertThat(AotTraining.run(command)).as(command.args() + ": " + stderr).isEqualTo(command.status());
            } finally {
                System.setOut(out);
                System.setErr(err);
            }
        }
    }

    @Test
    void doctorDescribesTheHost() {
        Object[] result = cli("doctor");
        assertThat(result[0]).isEqualTo(0);
        assertThat((String) result[1]).contains("clone3:", "cgroup v2:", "layout:");
        assertThat((String) result[1]).doesNotContain("pid_max:         3\n");
    }
}
