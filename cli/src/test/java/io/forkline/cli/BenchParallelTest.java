package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code forkline bench parallel}, run in this JVM as CliTest runs the CLI, with tiny counts. */
class BenchParallelTest {
    /** Runs the CLI in this JVM and returns {exit code, stdout, stderr}. */
    private static Object[] cli(String... args) {
        return CliHarness.inProcess(args).asArray();
    }

    /** Whether GNU parallel is installed, found independently of the bench's own look-up. */
    private static boolean gnuParallelInstalled() throws Exception {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "parallel");
            if (!Files.isExecutable(candidate)) continue;
            Process p = new ProcessBuilder(candidate.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 && out.startsWith("GNU parallel");
        }
        return false;
    }

    private static List<String> benchTemporaries() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.startsWith("forkline-bench-parallel-") || name.startsWith("forkline-owncpu-"))
                    .sorted().toList();
        }
    }

    @Test
    void jsonHasExactlyTheContractKeysForEveryRunnerAndWorkload() throws Exception {
        List<String> before = benchTemporaries();
        Object[] result = cli("bench", "parallel", "--n", "20", "--files", "10", "--rounds", "1", "--json");
        assertThat(result[0]).as((String) result[2]).isEqualTo(0);
        String json = (String) result[1];
        List<String> runners = new ArrayList<>(List.of("forkline", "forkline-cgroup", "xargs"));
        if (gnuParallelInstalled()) runners.add("gnu-parallel");
        else assertThat((String) result[2]).contains("GNU parallel is not installed");

        Matcher objects = Pattern.compile("\\{([^}]*)}").matcher(json);
        List<String> seen = new ArrayList<>();
        while (objects.find()) {
            String body = objects.group(1);
            List<String> keys = Pattern.compile("\"([a-z0-9_]+)\":").matcher(body).results().map(m -> m.group(1)).toList();
            assertThat(keys).containsExactlyElementsOf(BenchParallelCommand.JSON_KEYS);
            String runner = field(body, "runner");
            String workload = field(body, "workload");
            seen.add(runner + "/" + workload);
            assertThat(Integer.parseInt(field(body, "jobs"))).as(body).isEqualTo(workload.equals("true") ? 20 : 10);
            assertThat(Double.parseDouble(field(body, "jobs_per_sec"))).as(body).isPositive();
            assertThat(Double.parseDouble(field(body, "runner_cpu_us_per_job"))).as(body).isGreaterThanOrEqualTo(0);
        }
        List<String> expected = new ArrayList<>();
        for (String workload : List.of("true", "gzip")) for (String runner : runners) expected.add(runner + "/" + workload);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
        // A JVM runner does cost CPU of its own: the measurement sees it.
        assertThat(json).containsPattern("\"runner\": \"forkline\", \"workload\": \"true\", \"jobs\": 20, \"jobs_per_sec\": [0-9.]+, "
                + "\"runner_cpu_us_per_job\": [1-9]");
        assertThat((String) result[2]).contains("targets:", ">= 1.00x xargs -P 2 on /bin/true: ");
        assertThat(benchTemporaries()).isEqualTo(before);
    }

    @Test
    void theLeftoverCheckSeesTheGroupsOfARunningForklineParallel() throws Exception {
        List<String> argv = new ArrayList<>(BenchParallelCommand.forklineCommand());
        argv.addAll(List.of("parallel", "--quiet", "--pids", "64", "-j", "1", "sleep", ":::", "3"));
        Process runner = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            long deadline = System.nanoTime() + 20_000_000_000L;
            List<Path> groups = List.of();
            while (groups.isEmpty() && runner.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                groups = BenchParallelCommand.leftoverGroups((int) runner.pid());
            }
            assertThat(groups).as("the groups of a running forkline parallel --pids").isNotEmpty();
            assertThat(runner.waitFor()).isEqualTo(0);
            assertThat(BenchParallelCommand.leftoverGroups((int) runner.pid())).isEmpty();
        } finally {
            runner.destroyForcibly();
            runner.waitFor();
        }
    }

    @Test
    void theBenchStartsItsParallelRunnersWithTheFlagsTheScriptGivesParallel() throws IOException {
        // The bench gives its forkline runners its own JVM's flags and those the script hands it
        // for parallel: right only while ./forkline gives parallel exactly those.
        String script = Files.readString(Path.of("..", "forkline"));
        assertThat(script).contains("export FORKLINE_PARALLEL_JVM_OPTIONS=\"${quick[*]}\"")
                .containsPattern("(?m)^  \\*\\) jvm=\\(--enable-native-access=ALL-UNNAMED \"\\$\\{quick\\[@]}\"\\) ;;$");
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        Object[] badRunner = cli("bench", "parallel", "--runners", "make");
        assertThat(badRunner[0]).isNotEqualTo(0);
        assertThat((String) badRunner[2]).contains("unknown runner 'make'");
        Object[] badFiles = cli("bench", "parallel", "--files", "0");
        assertThat(badFiles[0]).isNotEqualTo(0);
        assertThat((String) badFiles[2]).contains("--files must be 1 or more");
    }

    private static String field(String body, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\"([^\"]*)\"|[^,}]+)").matcher(body);
        assertThat(m.find()).as(key + " in " + body).isTrue();
        return m.group(2) != null ? m.group(2) : m.group(1).trim();
    }
}
