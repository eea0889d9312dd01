package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's switches and proofs, each in a child JVM: off when asked, off when the JDK's launch
 * mechanism is chosen, active after a late attach, no jspawnhelper exec, its JFR event, the
 * hand-over to the JDK when seccomp leaves forkline no way to spawn, and spawns under load with
 * 10,000 fds open.
 */
@Tag("agent-jar")
class AgentControlTest {
    @TempDir
    Path scratch;

    private AgentJvm.Result run(List<String> options, String mainClass, String... args) throws Exception {
        return AgentJvm.run(options, null, scratch, mainClass, args);
    }

    private static List<String> withAgent(String... more) {
        List<String> options = new ArrayList<>(AgentJvm.agentOptions());
        options.addAll(List.of(more));
        return options;
    }

    @Test
    void spawnsThroughForklineAndSaysSo() throws Exception {
        AgentJvm.Result result = run(withAgent(), SpawnOnce.class.getName());
        assertThat(result.stdout()).startsWith("hello\nexit=0\n");
        assertThat(result.agentLine()).isEqualTo("#agent status=active spawns=1 fallbacks=0");
        assertThat(result.stderr()).isEmpty();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> olderJdks() {
        return java.util.stream.Stream.of(org.junit.jupiter.params.provider.Arguments.of(17), org.junit.jupiter.params.provider.Arguments.of(21));
    }

    /**
     * JAVA_TOOL_OPTIONS hands the agent to every JVM a build starts: on this machine the default
     * java is Debian's JDK 17, and Debian trixie's is 21. Both are served: a program run as a
     * single source file (the JDK compiles it in the same JVM, before main) spawns through
     * forkline, and nothing is said.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "JDK {0}")
    @org.junit.jupiter.params.provider.MethodSource("olderJdks")
    void jdk17And21AreServedAndSayNothing(int feature) throws Exception {
        TestJvms.Jvm jvm = feature == 17 ? TestJvms.debian17() : TestJvms.trixie(feature);
        Path source = scratch.resolve("SpawnOnOlderJdk.java");
        Files.writeString(source, """
                public class SpawnOnOlderJdk {
                    public static void main(String[] args) throws Exception {
                        Process p = new ProcessBuilder("sh", "-c", "echo hello").start();
                        System.out.print(new String(p.getInputStream().readAllBytes()));
                        System.out.println("exit=" + p.waitFor());
                        System.out.println("#agent status=" + System.getProperty("forkline.agent.status")
                                + " spawns=" + System.getProperty("forkline.agent.spawns")
                                + " java=" + Runtime.version().feature());
                    }
                }
                """);
        AgentJvm.Result result = AgentJvm.runSource(jvm, AgentJvm.agentOptions(), source, scratch);
        assertThat(result.exit()).as("%s: %s", jvm, result.stderr()).isZero();
        assertThat(result.stdout()).as("%s", jvm).isEqualTo("hello\nexit=0\n#agent status=active spawns=1 java=" + feature + "\n");
        assertThat(result.stderr()).as("%s", jvm).isEmpty();
    }

    /**
     * JAVA_TOOL_OPTIONS also reaches JVMs older than the agent serves (a build tool's own JDK 8
     * or 11): Debian bullseye's JDK 11 must start, spawn with the JDK's own launcher, and hear
     * why in one line. Only -javaagent: JDK 11 refuses --enable-native-access as an unknown
     * option. The program is compiled for 11 here (that JDK is a JRE, without javac).
     */
    @Test
    void aJdkOlderThan17StartsUntouchedAndSaysWhyInOneLine() throws Exception {
        TestJvms.Jvm jvm = TestJvms.debian11();
        Path source = scratch.resolve("SpawnOnOldJdk.java");
        Files.writeString(source, """
                public class SpawnOnOldJdk {
                    public static void main(String[] args) throws Exception {
                        Process p = new ProcessBuilder("sh", "-c", "echo hello").start();
                        System.out.print(new String(p.getInputStream().readAllBytes()));
                        System.out.println("exit=" + p.waitFor());
                        System.out.println("#agent status=" + System.getProperty("forkline.agent.status"));
                    }
                }
                """);
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "--release", "11", "-d", scratch.toString(), source.toString())).isZero();
        AgentJvm.Result result = AgentJvm.run(jvm, scratch, List.of("-javaagent:" + AgentJvm.agentJar()), null, scratch, "SpawnOnOldJdk");
        String why = "JDK 11 is older than JDK 17, the oldest this agent serves";
        assertThat(result.exit()).as("%s: %s", jvm, result.stderr()).isZero();
        assertThat(result.stdout()).as("%s", jvm).isEqualTo("hello\nexit=0\n#agent status=off: " + why + "\n");
        assertThat(result.stderr().lines().toList()).as("%s", jvm)
                .containsExactly("forkline agent: off: " + why + "; the JDK's own process launcher is used");
    }

    @Test
    void offWhenAskedAndWhenTheLaunchMechanismIsChosen() throws Exception {
        AgentJvm.Result off = run(withAgent("-Dforkline.agent=off"), SpawnOnce.class.getName());
        assertThat(off.stdout()).startsWith("hello\nexit=0\n");
        assertThat(off.agentLine()).isEqualTo("#agent status=off: -Dforkline.agent=off spawns=null fallbacks=null");
        AgentJvm.Result fork = run(withAgent("-Djdk.lang.Process.launchMechanism=FORK"), SpawnOnce.class.getName());
        assertThat(fork.stdout()).startsWith("hello\nexit=0\n");
        assertThat(fork.agentLine()).startsWith("#agent status=off: jdk.lang.Process.launchMechanism is set");
    }

    @Test
    void attachedLateItRewritesTheLoadedProcessImpl() throws Exception {
        AgentJvm.Result result = run(List.of("--enable-native-access=ALL-UNNAMED", "-Djdk.attach.allowAttachSelf=true"),
                LateAttach.class.getName(), AgentJvm.agentJar().toString());
        assertThat(result.stdout()).as(result.stderr()).startsWith("before\nafter\n");
        assertThat(result.agentLine()).isEqualTo("#agent status=active spawns=1 fallbacks=0");
    }

    @Test
    void noJspawnhelperIsExecuted() throws Exception {
        assumeThat(Path.of("/usr/bin/strace")).as("strace (scripts/setup.sh installs it)").exists();
        assertThat(execsUnderStrace(List.of())).as("without the agent the JDK execs its helper").anyMatch(l -> l.contains("jspawnhelper"));
        List<String> execs = execsUnderStrace(AgentJvm.agentOptions());
        assertThat(execs).noneMatch(l -> l.contains("jspawnhelper")).anyMatch(l -> l.contains("\"/bin/sh\"") || l.contains("/sh\""));
    }

    /** @return the execve lines of strace -f for a JVM that spawns once */
    private List<String> execsUnderStrace(List<String> options) throws Exception {
        Path trace = scratch.resolve("trace-" + options.size());
        List<String> command = new ArrayList<>(List.of("/usr/bin/strace", "-f", "-qq", "-e", "trace=execve", "-o", trace.toString(),
                AgentJvm.JAVA.toString()));
        command.addAll(options);
        command.addAll(List.of("-cp", AgentJvm.TEST_CLASSES.toString(), SpawnOnce.class.getName()));
        Process strace = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(strace.getInputStream().readAllBytes());
        assertThat(strace.waitFor()).as(out).isZero();
        // the JVM's own execve first, then the children's
        return Files.readAllLines(trace).stream().filter(l -> l.contains("execve(") && !l.contains(AgentJvm.JAVA.toString())).toList();
    }

    @Test
    void eachSpawnIsAJfrEventBesideTheJdksOwn() throws Exception {
        Path recording = scratch.resolve("spawns.jfr");
        AgentJvm.Result result = run(withAgent("-XX:StartFlightRecording:filename=" + recording + ",settings=default"),
                SpawnOnce.class.getName());
        assertThat(result.agentLine()).startsWith("#agent status=active spawns=1");
        List<RecordedEvent> ours = new ArrayList<>();
        List<RecordedEvent> jdks = new ArrayList<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (event.getEventType().getName().equals("io.forkline.agent.Spawn")) ours.add(event);
            if (event.getEventType().getName().equals("jdk.ProcessStart")) jdks.add(event);
        }
        assertThat(ours).hasSize(1);
        assertThat(ours.get(0).getString("program")).isEqualTo("sh");
        assertThat(ours.get(0).getInt("pid")).isEqualTo(jdks.get(0).getLong("pid"));
        assertThat(ours.get(0).getBoolean("fallback")).isFalse();
    }

    @Test
    void whenSeccompRefusesClone3TheShimTakesCloneAndStaysForkline() throws Exception {
        AgentJvm.Result result = run(withAgent(), SeccompSpawn.class.getName(), "clone3");
        assertThat(result.stdout()).as(result.stderr()).startsWith("before\nexit=0\nafter\nexit=0\n");
        assertThat(result.agentLine()).isEqualTo("#agent status=active spawns=2 fallbacks=0");
    }

    @Test
    void whenForklineCannotSpawnAtAllTheJdkDoesAndItIsCountedAndSaidOnce() throws Exception {
        AgentJvm.Result result = run(withAgent(), SeccompSpawn.class.getName(), "pidfd");
        assertThat(result.stdout()).as(result.stderr()).startsWith("before\nexit=0\nafter\nexit=0\n");
        assertThat(result.agentLine()).isEqualTo("#agent status=active spawns=1 fallbacks=1");
        assertThat(result.stderr().lines().filter(l -> l.startsWith("forkline agent:")).toList()).hasSize(1)
                .allMatch(l -> l.contains("refused") && l.contains("JDK's own launcher"));
    }

    @Test
    void underLoadWithTenThousandFdsOpenEveryChildSeesOnlyItsStdio() throws Exception {
        int threads = 4;
        int perThread = Boolean.getBoolean("forkline.thorough") ? 500 : 50;
        AgentJvm.Result result = AgentJvm.run(withAgent(), Map.of("PATH", "/usr/bin:/bin"), scratch,
                ManyFdsManyThreads.class.getName(), Integer.toString(threads), Integer.toString(perThread));
        assertThat(result.exit()).as(result.stderr()).isZero();
        int total = 2 * threads * perThread;
        assertThat(result.stdout()).contains("good=" + total + " bad=0\n").contains("fds more than before: 0\n");
        assertThat(result.agentLine()).isEqualTo("#agent status=active spawns=" + total + " fallbacks=0");
    }
}
