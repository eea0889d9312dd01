package io.forkline.cli;

import static io.forkline.cli.CliHarness.external;
import static io.forkline.cli.CliHarness.inProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code forkline parallel} end to end: the real CLI against real processes. */
class ParallelCliTest {
    /** The per-job cgroups of these tests live in a subtree of their own (the runs remove it). */
    static final String CGROUP_ROOT = "forkline-test-cli-parallel-" + ProcessHandle.current().pid();

    @Test
    void inputSourcesAndReplacementStrings(@TempDir Path dir) throws Exception {
        CliHarness.Result product = inProcess("parallel", "-q", "-k", "-j", "2", "echo", "{1}-{2}", "{#}", ":::", "a", "b", ":::", "x", "y");
        assertThat(product.stdout()).as(product.toString()).isEqualTo("a-x 1\na-y 2\nb-x 3\nb-y 4\n");
        Path list = Files.writeString(dir.resolve("list"), "dir/f.tar.gz\nplain\n");
        CliHarness.Result file = inProcess("parallel", "-q", "-k", "echo", "{.}", "{/}", "{//}", "{/.}", "::::", list.toString());
        assertThat(file.stdout()).isEqualTo("dir/f.tar f.tar.gz dir f.tar\nplain plain . plain\n");
        CliHarness.Result argFile = inProcess("parallel", "-q", "-k", "-a", list.toString(), "echo", ":::", "1");
        assertThat(argFile.stdout()).as("-a first, then :::; no replacement string: appended").isEqualTo("dir/f.tar.gz 1\nplain 1\n");
        CliHarness.Result slots = inProcess("parallel", "-q", "-j", "1", "echo", "{%}", ":::", "a", "b");
        assertThat(slots.stdout()).isEqualTo("1\n1\n");
        Path stdin = Files.writeString(dir.resolve("stdin"), "one\ntwo\n");
        CliHarness.Result fromStdin = external(List.of(), List.of("parallel", "-q", "-k", "echo", "got"), stdin, Map.of());
        assertThat(fromStdin.stdout()).as(fromStdin.toString()).isEqualTo("got one\ngot two\n");
    }

    @Test
    void noShellUnlessAskedForOne() {
        CliHarness.Result direct = inProcess("parallel", "-q", "echo", "$HOME", "|", "wc", ":::", "1");
        assertThat(direct.stdout()).isEqualTo("$HOME | wc 1\n");
        CliHarness.Result shell = inProcess("parallel", "-q", "--shell", "echo {} | tr a-z A-Z", ":::", "it's");
        assertThat(shell.stdout()).isEqualTo("IT'S\n");
    }

    @Test
    void dryRunPrintsTheCommandsAndRunsNothing(@TempDir Path dir) {
        CliHarness.Result r = inProcess("parallel", "--dry-run", "-k", "touch", dir + "/{}", ":::", "a b", "c");
        assertThat(r.code()).isZero();
        assertThat(r.stdout()).isEqualTo("touch '" + dir + "/a b'\ntouch " + dir + "/c\n");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void exitStatusIsGnuParallels() {
        assertThat(inProcess("parallel", "-q", "true", ":::", "1", "2").code()).isZero();
        assertThat(inProcess("parallel", "-q", "sh", "-c", "exit $1", "sh", ":::", "0", "1", "2", "3").code()).isEqualTo(3);
        List<String> many = new ArrayList<>(List.of("parallel", "-q", "false", ":::"));
        for (int i = 0; i < 105; i++) many.add(Integer.toString(i));
        assertThat(inProcess(many.toArray(String[]::new)).code()).isEqualTo(101);
        assertThat(inProcess("parallel", "-q", "--halt", "now,fail=1", "sh", "-c", "exit 7", ":::", "1").code()).isEqualTo(7);
    }

    @Test
    void aCommandThatDoesNotExistFailsThatJobAndTheOthersGoOn() {
        CliHarness.Result r = inProcess("parallel", "-k", "{}", ":::", "true", "no-such-command-here", "true");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).contains("job 2 failed: could not start: execve(no-such-command-here): ENOENT");
        assertThat(r.stderr()).contains("3 jobs: 2 succeeded, 1 failed");
    }

    @Test
    void badInputIsAOneLineUsageErrorWithExitStatus2(@TempDir Path dir) {
        String[][] cases = {
            {"parallel", "-j", "-1", "true", ":::", "1"},
            {"parallel", "-j", "many", "true", ":::", "1"},
            {"parallel", "--halt", "sometimes", "true", ":::", "1"},
            {"parallel", "--memory", "256Q", "true", ":::", "1"},
            {"parallel", "--shard", "3/2", "true", ":::", "1"},
            {"parallel", "--resume", "true", ":::", "1"},
            {"parallel", "--retries", "-2", "true", ":::", "1"},
            {"parallel", "--cpus", "0", "true", ":::", "1"},
            {"parallel", "echo", "{2}", ":::", "1"},
            {"parallel", "true", ":::"},
            {"parallel", ":::", "1"},
            {"parallel", "--output", "sideways", "true", ":::", "1"},
            {"parallel", "--no-such-option", "true", ":::", "1"},
        };
        for (String[] args : cases) {
            CliHarness.Result r = inProcess(args);
            assertThat(r.code()).as(String.join(" ", args) + "\n" + r).isEqualTo(2);
            assertThat(r.stderr()).as(String.join(" ", args)).doesNotContain("Exception", "\tat ");
            assertThat(r.stdout()).isEmpty();
        }
        assertThat(inProcess("parallel", "--shard", "3/2", "true", ":::", "1").stderr()).contains("shard 3 of 2 does not exist");
        assertThat(inProcess("parallel", "--memory", "256Q", "true", ":::", "1").stderr()).contains("memory.max").contains("256Q");
    }

    @Test
    void anUnreadableInputFileOrJoblogIsAnErrorBeforeAnyJob(@TempDir Path dir) {
        CliHarness.Result missing = inProcess("parallel", "touch", dir + "/ran", "::::", dir + "/missing");
        assertThat(missing.code()).isEqualTo(255);
        assertThat(missing.stderr()).contains(dir + "/missing").contains("ENOENT");
        CliHarness.Result joblogIsADirectory = inProcess("parallel", "--resume", "--joblog", dir.toString(), "touch", dir + "/ran", ":::", "1");
        assertThat(joblogIsADirectory.code()).isEqualTo(255);
        assertThat(joblogIsADirectory.stderr()).contains("cannot read the joblog " + dir);
        assertThat(Files.exists(dir.resolve("ran"))).isFalse();
    }

    @Test
    void theJoblogHasGnuParallelsColumnsAndResumeReadsIt(@TempDir Path dir) throws Exception {
        String log = dir.resolve("joblog").toString();
        CliHarness.Result first = inProcess("parallel", "-q", "--joblog", log, "sh", "-c", "echo $1 >> " + dir + "/ran; [ $1 != b ]", "sh",
                ":::", "a", "b", "c");
        assertThat(first.code()).isEqualTo(1);
        List<String> lines = Files.readAllLines(Path.of(log));
        assertThat(lines.get(0)).isEqualTo("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tPeakMem\tCPU\tForkFails\tTries");
        assertThat(lines).hasSize(4);
        for (String line : lines.subList(1, 4)) {
            assertThat(line).matches("[123]\t:\t\\d+\\.\\d{3}\t +\\d+\\.\\d{3}\t0\t0\t[01]\t0\tsh -c .*\t-\t\\d+\\.\\d{3}\t-\t1");
        }
        CliHarness.Result resumed = inProcess("parallel", "--resume-failed", "--joblog", log, "sh", "-c", "echo $1 >> " + dir + "/ran; true", "sh",
                ":::", "a", "b", "c");
        assertThat(resumed.code()).as("a different command: refused").isEqualTo(2);
        assertThat(resumed.stderr()).contains("belongs to a different command");
        CliHarness.Result again = inProcess("parallel", "-q", "--resume", "--joblog", log, "sh", "-c", "echo $1 >> " + dir + "/ran; [ $1 != b ]",
                "sh", ":::", "a", "b", "c");
        assertThat(again.code()).isZero();
        assertThat(Files.readAllLines(dir.resolve("ran"))).hasSize(3);
    }

    @Test
    void jsonGoesToStderrOrItsFileAndStdoutStaysTheJobs(@TempDir Path dir) throws Exception {
        CliHarness.Result r = inProcess("parallel", "--json", "-k", "sh", "-c", "echo out $1; exit $1", "sh", ":::", "0", "3");
        assertThat(r.stdout()).isEqualTo("out 0\nout 3\n");
        List<String> objects = r.stderr().lines().toList();
        assertThat(objects).hasSize(3);
        assertThat(keys(objects.get(0))).containsExactly("seq", "command", "values", "slot", "succeeded", "exit_code", "signal", "killed_by",
                "start_failure", "tries", "start_time", "wall_us", "cpu_us", "peak_memory_bytes", "memory_source", "fork_failures",
                "strays_killed", "oom_killed", "stdout_bytes");
        assertThat(objects).anySatisfy(o -> assertThat(o).contains("\"exit_code\": 3", "\"succeeded\": false"));
        assertThat(objects.get(2)).startsWith("{\"summary\": true, \"jobs\": 2, \"succeeded\": 1, \"failed\": 1")
                .contains("\"exit_status\": 1", "\"wall_us_p50\": ", "\"top_cpu\": [{\"seq\": ");
        Path file = dir.resolve("report.json");
        CliHarness.Result toFile = inProcess("parallel", "--json=" + file, "echo", ":::", "x");
        assertThat(toFile.stdout()).isEqualTo("x\n");
        assertThat(toFile.stderr()).as("the human summary stays on stderr").contains("1 jobs: 1 succeeded");
        assertThat(Files.readAllLines(file)).hasSize(2);
    }

    static List<String> keys(String object) {
        List<String> keys = new ArrayList<>();
        Matcher m = Pattern.compile("\"([a-z0-9_]+)\": ").matcher(object.replaceAll("\\[[^\\]]*]", "[]"));
        while (m.find()) keys.add(m.group(1));
        return keys;
    }

    @Test
    void aTimeoutKillsTheGrandchildrenToo() throws Exception {
        CliHarness.Result r = inProcess("parallel", "-q", "--timeout", "0.3s", "--kill-grace", "100ms", "sh", "-c", "sleep 1000 & echo $!; wait",
                ":::", "1", "2");
        assertThat(r.code()).isEqualTo(2);
        for (String pid : r.stdout().lines().toList()) assertThat(gone(Long.parseLong(pid))).as("grandchild " + pid).isTrue();
    }

    @Test
    void aJobThatLeavesADaemonHasItKilledWithItsCgroupAndSaysSo() throws Exception {
        CliHarness.Result r = inProcess("parallel", "--json", "--pids", "64", "--cgroup-root", CGROUP_ROOT, "sh", "-c",
                "setsid sleep 1000 >/dev/null 2>&1 & echo $!", ":::", "1");
        org.junit.jupiter.api.Assumptions.assumeTrue(r.code() != 255 || !r.stderr().contains("pids controller is unavailable"),
                "needs the pids controller on v2 or a v1 hierarchy");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("\"strays_killed\": 1", "\"jobs_with_strays_killed\": 1", "\"fork_failures\": 0");
        assertThat(gone(Long.parseLong(r.stdout().strip()))).isTrue();
        assertThat(ParallelSignalsTest.leftoverCgroupRoots(CGROUP_ROOT)).isEmpty();
    }

    @Test
    void resultsDirectoryAndTaggedLines(@TempDir Path dir) throws Exception {
        CliHarness.Result r = inProcess("parallel", "-q", "--results", dir + "/res", "sh", "-c", "echo $1; exit 2", "sh", ":::", "v");
        assertThat(r.code()).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("res/1/v/stdout"))).isEqualTo("v\n");
        assertThat(Files.readString(dir.resolve("res/1/v/exitval"))).isEqualTo("2");
        CliHarness.Result tagged = inProcess("parallel", "-q", "-k", "--tag", "--output", "lines", "printf", "a\\nb\\n", ":::", "x", "y");
        assertThat(tagged.stdout()).isEqualTo("x\ta\nx\tb\ny\ta\ny\tb\n");
    }

    @Test
    void mergeJoblogsCombinesShardsAndNamesWhatIsMissing(@TempDir Path dir) throws Exception {
        String a = dir + "/a";
        String b = dir + "/b";
        inProcess("parallel", "-q", "--shard", "1/2", "--joblog", a, "true", ":::", "1", "2", "3", "4", "5");
        inProcess("parallel", "-q", "--shard", "2/2", "--joblog", b, "true", ":::", "1", "2", "3", "4");
        CliHarness.Result merged = inProcess("parallel", "--merge-joblogs", a, b);
        assertThat(merged.stdout().lines().skip(1).map(l -> l.split("\t")[0]).toList()).containsExactly("1", "2", "3", "4", "5");
        assertThat(merged.code()).isZero();
        CliHarness.Result overlap = inProcess("parallel", "--merge-joblogs", a, a);
        assertThat(overlap.code()).isEqualTo(255);
        assertThat(overlap.stderr()).contains("the shards overlapped");
    }

    @Test
    void tenMillionLinesOfStdinRunInASmallHeap(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("lines");
        try (var out = new java.io.BufferedWriter(Files.newBufferedWriter(input), 1 << 16)) {
            for (int i = 1; i <= 10_000_000; i++) {
                out.write(Integer.toString(i));
                out.write('\n');
            }
        }
        // 24 MiB of heap: ten million lines kept in any form would not fit. One job in 20000 runs (500 jobs).
        CliHarness.Result r = external(List.of("-Xmx24m"), List.of("parallel", "-q", "-j", "2", "--shard", "1/20000", "--joblog", dir + "/log",
                "--json=" + dir + "/json", "true"), input, Map.of());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.readAllLines(dir.resolve("log"))).hasSize(501);
        assertThat(Files.readAllLines(dir.resolve("json")).getLast()).contains("\"jobs\": 500");
        CliHarness.Result dry = external(List.of("-Xmx24m"), List.of("parallel", "--dry-run", "-k", "--shard", "3/4", "echo"), input, Map.of());
        assertThat(dry.code()).as(dry.stderr()).isZero();
        assertThat(dry.stdout().lines().count()).isEqualTo(2_500_000);
    }

    @Test
    void aJobWritingMuchMoreThanTheHeapWithGroupedOutputSpillsToDisk() throws Exception {
        // 256 MiB of output through a 32 MiB heap, printed whole.
        CliHarness.Result r = external(List.of("-Xmx32m"), List.of("parallel", "-q", "--output", "grouped", "sh", "-c",
                "head -c 268435456 /dev/zero | tr '\\0' x; echo", ":::", "1"), null, Map.of());
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.stdoutBytes()).isEqualTo(268435457);
    }

    static boolean gone(long pid) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) return true;
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) return true;
            } catch (java.io.IOException e) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
