package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Child;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.lab.Experiment;
import io.forkline.lab.Lab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** {@code forkline lab} end to end, at the smoke scale: every experiment's path runs, on the real kernel. */
class LabCliTest {
    private static final int SIGINT = 2;

    @Test
    void theWholeLabPrintsEveryExperimentsTablesAndVerdictsAndWritesTheReport(@TempDir Path dir) throws Exception {
        CliHarness.Result r = CliHarness.inProcess("lab", "--scale", "smoke", "--report", dir.resolve("report").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        String html = Files.readString(dir.resolve("report/index.html"));
        for (Experiment e : Lab.experiments()) {
            assertThat(r.stdout()).contains(e.id() + ": " + e.title());
            assertThat(html).contains("id=\"" + e.id() + "\"");
        }
        assertThat(r.stdout()).contains("verdicts on ").contains("verdict: ");
        assertThat(r.stderr()).contains("experiments at smoke scale, about").contains("report written to");
    }

    @Test
    void oneExperimentRunsAsASubcommandByNameOrIdAndJsonHasExactlyTheContractsKeys() throws Exception {
        Experiment first = Lab.experiments().getFirst();
        CliHarness.Result r = CliHarness.inProcess("lab", first.id().toLowerCase(java.util.Locale.ROOT), "--scale", "smoke", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        List<Map<String, Object>> rows = new Yaml().load(r.stdout()); // JSON is YAML
        assertThat(rows).isNotEmpty().allSatisfy(row -> {
            assertThat(row).containsOnlyKeys("experiment", "variant", "metric", "value", "unit", "seed_claim", "verdict");
            assertThat(row.get("experiment")).isEqualTo(first.id());
        });
        assertThat(rows).anyMatch(row -> row.get("verdict") != null);
        CliHarness.Result byName = CliHarness.inProcess("lab", first.name(), "--help");
        assertThat(byName.code()).isZero();
        assertThat(byName.stdout()).contains("Usage: forkline lab " + first.name()).contains(first.id() + ": ");
    }

    @Test
    void badInputIsAUsageError() {
        for (String[] args : new String[][] {{"lab", "--scale", "huge"}, {"lab", "no-such-experiment"}, {"lab", "--quick", "--scale", "smoke"}}) {
            CliHarness.Result r = CliHarness.inProcess(args);
            assertThat(r.code()).as(String.join(" ", args) + "\n" + r).isEqualTo(2);
            assertThat(r.stderr().lines().filter(l -> !l.isBlank()).count()).as(r.stderr()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void ctrlCStopsTheLabAndLeavesNoCgroupBehind() throws Exception {
        try (Launcher launcher = Launcher.create()) {
            Child cli = CliHarness.start(launcher, List.of(), List.of("lab", "migration", "--scale", "full"), null, Map.of());
            String tree = "forkline-lab-" + cli.pid();
            Path v2 = Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup");
            Path group = v2.resolve(tree + "-e2");
            for (int i = 0; i < 1500 && !Files.exists(group.resolve("a")); i++) Thread.sleep(20);
            assertThat(group.resolve("a")).as("the experiment got going").exists();
            Thread.sleep(300); // into the storms
            cli.signal(SIGINT);
            Exit exit = cli.waitFor();
            assertThat(exit.statusCode()).as(exit.stderr().text()).isEqualTo(130);
            assertThat(exit.stderr().text()).contains("SIGINT: stopping").contains("nothing of it is left running");
            assertThat(group).doesNotExist();
            assertThat(Files.list(Path.of(System.getProperty("java.io.tmpdir"))).map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith("forkline-lab-" + cli.pid() + "-"));
        }
    }
}
