package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Sharding across machines: the Kubernetes Indexed Job and the Slurm array script in deploy/
 * are read as their engines read them, and their commands are run here, one process per shard
 * over one job list, all at once; the merged joblog and the jobs' own output prove that every
 * job ran exactly once.
 */
class ShardingRecipesTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    private static final int JOBS = 60;

    /** A job list of files to gzip; gzip -k refuses to write a .gz twice, so a job run twice fails. */
    private static Path jobList(Path work) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= JOBS; i++) {
            Path f = Files.writeString(work.resolve("file-" + i), "content of job " + i + "\n".repeat(i));
            lines.add(f.toString());
        }
        return Files.write(work.resolve("jobs.txt"), lines);
    }

    private static void assertEveryJobRanExactlyOnce(Path work, List<Path> joblogs) throws Exception {
        CliHarness.Result merged = CliHarness.inProcess(mergeArgs(joblogs));
        assertThat(merged.code()).as(merged.toString()).isZero();
        List<String> lines = merged.stdout().lines().skip(1).toList();
        assertThat(lines).extracting(l -> Integer.parseInt(l.split("\t")[0])).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, JOBS).boxed().toList());
        assertThat(lines).allSatisfy(l -> assertThat(l.split("\t")[6]).as(l).isEqualTo("0"));
        for (int i = 1; i <= JOBS; i++) assertThat(work.resolve("file-" + i + ".gz")).exists();
    }

    private static String[] mergeArgs(List<Path> joblogs) {
        List<String> args = new ArrayList<>(List.of("parallel", "--merge-joblogs"));
        joblogs.forEach(p -> args.add(p.toString()));
        return args.toArray(String[]::new);
    }

    @Test
    void shardsGivenAsKOfNRunEveryJobExactlyOnce(@TempDir Path work) throws Exception {
        Path list = jobList(work);
        List<Path> joblogs = new ArrayList<>();
        try (Launcher launcher = Launcher.create()) {
            List<Child> shards = new ArrayList<>();
            for (int k = 1; k <= 3; k++) {
                Path log = work.resolve("joblog." + k);
                joblogs.add(log);
                shards.add(CliHarness.start(launcher, List.of(), List.of("parallel", "-q", "-j", "2", "--shard", k + "/3", "--joblog",
                        log.toString(), "-a", list.toString(), "gzip", "-k"), null, Map.of()));
            }
            for (Child shard : shards) assertThat(shard.waitFor().statusCode()).isZero();
        }
        assertEveryJobRanExactlyOnce(work, joblogs);
    }

    @Test
    void theKubernetesIndexedJobRunsEveryJobExactlyOnce(@TempDir Path work) throws Exception {
        Map<String, Object> job;
        try (var in = Files.newInputStream(REPO.resolve("deploy/kubernetes/forkline-parallel-job.yaml"))) {
            job = new Yaml().load(in);
        }
        assertThat(job).containsEntry("apiVersion", "batch/v1").containsEntry("kind", "Job");
        Map<String, Object> spec = map(job.get("spec"));
        assertThat(spec).containsEntry("completionMode", "Indexed");
        int completions = (Integer) spec.get("completions");
        Map<String, Object> container = map(list(map(map(spec.get("template")).get("spec")).get("containers")).get(0));
        List<String> command = strings(container.get("command"));
        Map<String, String> env = new HashMap<>();
        for (Object e : list(container.get("env"))) env.put((String) map(e).get("name"), String.valueOf(map(e).get("value")));
        assertThat(env).as("the shard count the pods read is the Job's completions").containsEntry("FORKLINE_SHARD_COUNT",
                Integer.toString(completions));
        int parallel = command.indexOf("parallel");
        assertThat(command.subList(parallel, command.size())).containsSequence("--shard", "auto");
        // Run each pod's command here: the volume at /work is this test's directory, and
        // $(JOB_COMPLETION_INDEX) is expanded as the kubelet expands it from the pod's environment.
        Path list = jobList(work);
        assertThat(command).contains("/work/jobs.txt");
        List<Path> joblogs = new ArrayList<>();
        try (Launcher launcher = Launcher.create()) {
            List<Child> pods = new ArrayList<>();
            for (int index = 0; index < completions; index++) {
                List<String> args = new ArrayList<>();
                for (String word : command.subList(parallel, command.size())) {
                    args.add(word.replace("$(JOB_COMPLETION_INDEX)", Integer.toString(index)).replace("/work/", work + "/"));
                }
                Map<String, String> podEnv = new HashMap<>(env);
                podEnv.put("JOB_COMPLETION_INDEX", Integer.toString(index));
                joblogs.add(work.resolve("joblog." + index));
                pods.add(CliHarness.start(launcher, List.of(), args, null, podEnv));
            }
            for (Child pod : pods) {
                Exit exit = pod.waitFor();
                assertThat(exit.statusCode()).as(exit.stderr().text()).isZero();
            }
        }
        assertThat(list).exists();
        assertEveryJobRanExactlyOnce(work, joblogs);
    }

    @Test
    void theSlurmArrayScriptRunsEveryJobExactlyOnce(@TempDir Path work) throws Exception {
        Path script = REPO.resolve("deploy/slurm/forkline-parallel.sbatch");
        String text = Files.readString(script);
        Matcher array = Pattern.compile("(?m)^#SBATCH --array=(\\d+)-(\\d+)$").matcher(text);
        assertThat(array.find()).as("#SBATCH --array=MIN-MAX").isTrue();
        int min = Integer.parseInt(array.group(1));
        int max = Integer.parseInt(array.group(2));
        Matcher cpus = Pattern.compile("(?m)^#SBATCH --cpus-per-task=(\\d+)$").matcher(text);
        assertThat(cpus.find()).isTrue();
        jobList(work);
        // `forkline` on the PATH, as an installed one would be.
        Path bin = Files.createDirectory(work.resolve("bin"));
        Path forkline = bin.resolve("forkline");
        Files.writeString(forkline, "#!/bin/sh\nexec " + String.join(" ", CliHarness.javaCommand(List.of(), List.of()).stream()
                .map(io.forkline.parallel.ShellQuoting::quote).toList()) + " \"$@\"\n");
        assertThat(forkline.toFile().setExecutable(true)).isTrue();
        List<Path> joblogs = new ArrayList<>();
        try (Launcher launcher = Launcher.create()) {
            List<Child> tasks = new ArrayList<>();
            for (int id = min; id <= max; id++) {
                // What slurmd sets for an array task.
                Command task = Command.of("bash", script.toString())
                        .env("PATH", bin + ":" + System.getenv("PATH"))
                        .env("WORK", work.toString())
                        .env("SLURM_ARRAY_TASK_ID", Integer.toString(id))
                        .env("SLURM_ARRAY_TASK_MIN", Integer.toString(min))
                        .env("SLURM_ARRAY_TASK_MAX", Integer.toString(max))
                        .env("SLURM_ARRAY_TASK_COUNT", Integer.toString(max - min + 1))
                        .env("SLURM_ARRAY_TASK_STEP", "1")
                        .env("SLURM_CPUS_PER_TASK", cpus.group(1))
                        .stdout(Stdio.capture(1 << 20)).stderr(Stdio.capture(1 << 20)).timeout(Duration.ofMinutes(3));
                joblogs.add(work.resolve("joblog." + id));
                tasks.add(launcher.spawn(task));
            }
            for (Child t : tasks) {
                Exit exit = t.waitFor();
                assertThat(exit.statusCode()).as(exit.stderr().text()).isZero();
            }
        }
        assertEveryJobRanExactlyOnce(work, joblogs);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }
}
