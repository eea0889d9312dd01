package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's rule: what a program observes is the JDK's. {@link Scenarios} runs in a JVM
 * without the agent and in one with it, and the two reports must be equal line for line:
 * exit codes, the bytes on each stream, exception types and messages, the environment, cwd,
 * fds and signal mask the child saw, Process.toString, pid, onExit and ProcessHandle. The run
 * with the agent must also show that it spawned through forkline. It runs on every JDK the agent
 * serves ({@link #jvms()}), each with its own ProcessImpl, libjava and jspawnhelper; the
 * scenarios are compiled once, for Java 17, so that every one of them runs the same class files.
 */
@Tag("agent-jar")
class AgentDifferentialTest {
    @TempDir
    static Path fixture;
    /** Scenarios' class files, compiled with --release 17. */
    static Path scenarios;

    @BeforeAll
    static void compileScenariosForJava17() throws IOException {
        scenarios = AgentJvm.TEST_CLASSES.resolveSibling("scenarios-17");
        Files.createDirectories(scenarios);
        Path source = Path.of("src/test/java/io/forkline/agent/Scenarios.java").toAbsolutePath();
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        java.io.StringWriter said = new java.io.StringWriter();
        boolean compiled = javac.getTask(said, null, null,
                List.of("--release", "17", "-Xlint:all", "-Werror", "-d", scenarios.toString()), null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile())).call();
        assertThat(compiled).as("javac --release 17 Scenarios.java: %s", said).isTrue();
    }

    @BeforeAll
    static void makeFixture() throws IOException {
        program("noexec/prog", "#!/bin/sh\necho never run\n", "rw-r--r--");
        program("noexec/onlyplain", "#!/bin/sh\necho never run\n", "rw-r--r--");
        program("bin/prog", "#!/bin/sh\necho prog from bin \"$0\" \"$@\"\n", "rwxr-xr-x");
        Files.createDirectories(fixture.resolve("dirs/tool"));
        program("bin/tool", "#!/bin/sh\necho tool from bin\n", "rwxr-xr-x");
        program("bin/noshebang", "echo script \"$0\" \"$1\"\n", "rwxr-xr-x");
        program("scripts/noshebang", "echo script \"$0\" \"$1\"\n", "rwxr-xr-x");
        program("local/localprog", "echo local program \"$0\"\n", "rwxr-xr-x");
        program("childpath/childonly", "#!/bin/sh\necho found in the child's PATH\n", "rwxr-xr-x");
        program("plain.txt", "not a program\n", "rw-r--r--");
        program("input.txt", "line one\nline two\n", "rw-r--r--");
    }

    private static void program(String name, String content, String permissions) throws IOException {
        Path file = fixture.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }

    private static Map<String, String> environmentWithPath(String path) {
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.keySet().removeIf(name -> name.startsWith("JAVA_TOOL_OPTIONS") || name.startsWith("JDK_JAVA_OPTIONS"));
        if (path == null) environment.remove("PATH");
        else environment.put("PATH", path);
        return environment;
    }

    private static void assertSameAsTheJdk(TestJvms.Jvm jvm, Map<String, String> inherited, String group) throws Exception {
        // The agent's run starts with no copy of its library cached, as a JVM's first spawn on a
        // new machine does (LibraryCache writes one): what that costs the program is compared too.
        Map<String, String> environment = new HashMap<>(inherited);
        Path cache = Files.createTempDirectory(fixture, "library-cache-");
        environment.put("XDG_CACHE_HOME", cache.toString());
        // The same options but the agent for both, so that no warning of the JDK's differs between them.
        AgentJvm.Result jdk = AgentJvm.run(jvm, scenarios, List.of("--enable-native-access=ALL-UNNAMED"), environment, fixture,
                Scenarios.class.getName(), fixture.toString(), group);
        AgentJvm.Result agent = AgentJvm.run(jvm, scenarios, AgentJvm.agentOptions(), environment, fixture,
                Scenarios.class.getName(), fixture.toString(), group);
        System.out.println(jvm + ", " + group + ": " + agent.agentLine() + "; the JDK's child: "
                + jdk.observed().lines().filter(l -> l.startsWith("  stdout: SigBlk")).findFirst().orElse("(no signal scenario)"));
        assertThat(jdk.exit()).as("JDK run: %s", jdk.stderr()).isZero();
        assertThat(agent.exit()).as("agent run: %s", agent.stderr()).isZero();
        assertThat(jdk.agentLine()).isEqualTo("#agent status=null spawns=null fallbacks=null");
        assertThat(agent.agentLine()).startsWith("#agent status=active spawns=").endsWith(" fallbacks=0");
        long spawns = Long.parseLong(agent.agentLine().replaceAll(".* spawns=(\\d+) .*", "$1"));
        assertThat(spawns).as("spawns the agent made on %s", jvm).isGreaterThan(0);
        assertThat(agent.stderr()).as("the agent says nothing when all is well").isEqualTo(jdk.stderr());
        try (var copies = Files.list(cache.resolve("forkline"))) {
            assertThat(copies.map(f -> f.getFileName().toString()).toList()).as("the library the agent's run cached")
                    .singleElement().asString().startsWith("libforkline-").endsWith(".so");
        }
        assertThat(differences(jdk.observed(), agent.observed())).as("lines that differ (JDK | agent)").isEmpty();
        // The report is not trivially equal: it holds what each scenario was to show.
        assertThat(jdk.observed()).contains("== ").contains("exit: ").contains("fds after all children: 0 more than before")
                .contains("children left: 0");
    }

    /** @return each line that differs, with the scenario it belongs to */
    private static List<String> differences(String jdk, String agent) {
        List<String> jdkLines = jdk.lines().toList();
        List<String> agentLines = agent.lines().toList();
        List<String> differences = new java.util.ArrayList<>();
        String scenario = "";
        for (int i = 0; i < Math.max(jdkLines.size(), agentLines.size()); i++) {
            String a = i < jdkLines.size() ? jdkLines.get(i) : "<none>";
            String b = i < agentLines.size() ? agentLines.get(i) : "<none>";
            if (a.startsWith("== ")) scenario = a;
            if (!a.equals(b)) differences.add(scenario + "\n    JDK:   " + a + "\n    agent: " + b);
        }
        return differences;
    }

    /**
     * Every JDK the agent serves, as it is tested: the build's own (Temurin 25), this machine's
     * default java (Debian bookworm's 17, whose child keeps SIGQUIT blocked and whose failures
     * say "error=2, ..."), and Debian trixie's 21 and 25 (another vendor's builds and updates,
     * run in the trixie root). A JVM that is missing is a skip that says so.
     */
    private static final String BUILD = "the build's JDK";
    private static final String BOOKWORM_17 = "Debian bookworm's OpenJDK 17";
    private static final String TRIXIE_21 = "Debian trixie's OpenJDK 21";
    private static final String TRIXIE_25 = "Debian trixie's OpenJDK 25";

    static List<String> jvms() {
        return List.of(BUILD, BOOKWORM_17, TRIXIE_21, TRIXIE_25);
    }

    private static TestJvms.Jvm jvm(String which) throws Exception {
        return switch (which) {
            case BUILD -> TestJvms.build();
            case BOOKWORM_17 -> TestJvms.debian17();
            case TRIXIE_21 -> TestJvms.trixie(21);
            case TRIXIE_25 -> TestJvms.trixie(25);
            default -> throw new IllegalArgumentException(which);
        };
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("jvms")
    void everyScenarioIsObservedAsWithTheJdk(String which) throws Exception {
        String path = fixture.resolve("noexec") + ":" + fixture.resolve("dirs") + ":" + fixture.resolve("bin") + ":/usr/bin:/bin";
        assertSameAsTheJdk(jvm(which), environmentWithPath(path), "all");
    }

    /**
     * JDK-8364611: from 25.0.3, SIGPIPE and SIGCHLD at their defaults in the child though the JVM
     * ignores them (17 and 21 leave them ignored); SIGHUP kept ignored on every JDK.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("jvms")
    void signalsTheJvmIgnoresReachTheChildAsWithTheJdk(String which) throws Exception {
        assertSameAsTheJdk(jvm(which), environmentWithPath(System.getenv("PATH")), "ignored-signals");
    }

    /**
     * The quiet install ({@code forkline agent jdk}): a jlink image of a JDK with the agent built
     * in through {@code --add-options}. Made from the build's Temurin 25 (no jmods: linked from
     * its run-time image) and from Debian's 17 (from its jmods), with the modules the scenarios
     * need; the same scenarios with the agent turned off by {@code -Dforkline.agent=off} are the
     * JDK's side. Nothing may be printed that the JDK would not print: no "Picked up" line.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {BUILD, BOOKWORM_17})
    void aJdkWithTheAgentBuiltInIsObservedAsTheJdk(String which) throws Exception {
        TestJvms.Jvm from = jvm(which);
        Path image = fixture.resolve("image-" + from.feature());
        AgentJdkImage.Result made = AgentJdkImage.build(from.home(), image, AgentJvm.agentJar(),
                List.of("java.base", "jdk.unsupported"));
        assertThat(made.agentStatus()).startsWith("installed: ");
        TestJvms.Jvm imageJvm = new TestJvms.Jvm(from.name() + ", jlink image with the agent", from.feature(),
                List.of(image.resolve("bin/java").toString()), image);
        Map<String, String> environment = environmentWithPath(fixture.resolve("bin") + ":/usr/bin:/bin");
        environment.put("XDG_CACHE_HOME", Files.createTempDirectory(fixture, "library-cache-").toString());
        AgentJvm.Result off = AgentJvm.run(imageJvm, scenarios, List.of("-Dforkline.agent=off"), environment, fixture,
                Scenarios.class.getName(), fixture.toString(), "all");
        AgentJvm.Result on = AgentJvm.run(imageJvm, scenarios, List.of(), environment, fixture,
                Scenarios.class.getName(), fixture.toString(), "all");
        assertThat(off.exit()).as("agent off: %s", off.stderr()).isZero();
        assertThat(on.exit()).as("agent on: %s", on.stderr()).isZero();
        assertThat(off.agentLine()).startsWith("#agent status=off: -Dforkline.agent=off");
        assertThat(on.agentLine()).startsWith("#agent status=active spawns=").endsWith(" fallbacks=0");
        assertThat(on.stderr()).as("the image's JVM says nothing").isEqualTo(off.stderr()).doesNotContain("Picked up");
        assertThat(differences(off.observed(), on.observed())).as("lines that differ (JDK | agent)").isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("jvms")
    void withNoPathAtAllTheJdkDefaultsApply(String which) throws Exception {
        assertSameAsTheJdk(jvm(which), environmentWithPath(null), "no-path");
    }
}
