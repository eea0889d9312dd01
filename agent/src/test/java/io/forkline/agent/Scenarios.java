package io.forkline.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a program that spawns through ProcessBuilder and Runtime.exec can observe, printed line
 * by line: run once in a JVM without the agent and once with it, the two outputs must be the same
 * (AgentDifferentialTest). Pids, which differ between runs, are printed as "PID". The last line,
 * starting "#agent", says what the agent did and is not compared.
 *
 * <p>Arguments: the fixture directory that AgentDifferentialTest prepared (programs, scripts, a
 * file that is not executable, a directory named like a program), and the scenario group:
 * "all" in a JVM whose PATH leads through the fixture, "no-path" in a JVM with no PATH at all, or
 * "ignored-signals", where the JVM ignores SIGHUP, SIGPIPE and SIGCHLD as a native library may
 * make it (the case behind JDK-8364611).
 *
 * <p>It runs on every JDK the agent serves, so it is written for Java 17, and
 * AgentDifferentialTest compiles it with {@code --release 17} (the module's tests are compiled
 * for the build's release).
 */
public final class Scenarios {
    private static Path fixture;
    private static final StringBuilder report = new StringBuilder();

    private Scenarios() {}

    public static void main(String[] args) throws Throwable {
        fixture = Path.of(args[0]);
        long fdsBefore = openFds();
        switch (args[1]) {
            case "all" -> all();
            case "no-path" -> noPath();
            case "ignored-signals" -> ignoredSignals();
            default -> throw new IllegalArgumentException("no scenario group " + args[1]);
        }
        // The JDK closes a child's pipes on its reaper thread just after waitFor returns.
        for (int i = 0; i < 100 && openFds() > fdsBefore; i++) Thread.sleep(50);
        line("fds after all children: " + (openFds() - fdsBefore) + " more than before");
        line("children left: " + ProcessHandle.current().children().count());
        System.out.print(report);
        System.out.println("#agent status=" + System.getProperty("forkline.agent.status")
                + " spawns=" + System.getProperty("forkline.agent.spawns")
                + " fallbacks=" + System.getProperty("forkline.agent.fallbacks"));
    }

    private static void all() throws Exception {
        run("pipes and exit code", new ProcessBuilder("sh", "-c", "echo out; echo err >&2; exit 3"));
        run("stdin pipe", new ProcessBuilder("tr", "a-z", "A-Z"), "hello stdin\n");
        run("argv[0] as given", new ProcessBuilder("cat", "/proc/self/cmdline"));
        run("fds the child holds", new ProcessBuilder("ls", "/proc/self/fd"));
        run("signal mask and ignored signals", new ProcessBuilder("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"));
        run("cwd", new ProcessBuilder("pwd").directory(fixture.toFile()));
        run("cwd relative program", new ProcessBuilder("./localprog").directory(fixture.resolve("local").toFile()));
        run("inherited environment", new ProcessBuilder("sh", "-c", "env | grep -v '^_=' | sort"));
        ProcessBuilder cleared = new ProcessBuilder("/usr/bin/env");
        cleared.environment().clear();
        cleared.environment().put("ONLY", "this");
        cleared.environment().put("", "empty name");
        cleared.environment().put("WITH_NUL_FREE", "a=b=c");
        run("explicit environment verbatim", cleared);
        runExec("Runtime.exec with envp", new String[] {"/usr/bin/env"}, new String[] {"A=1", "=lead", "NOEQUALS", "B=x\u0000junk"});
        run("redirectErrorStream", new ProcessBuilder("sh", "-c", "echo one; echo two >&2; echo three").redirectErrorStream(true));
        Path input = fixture.resolve("input.txt");
        run("redirect from file", new ProcessBuilder("cat").redirectInput(input.toFile()));
        Path written = fixture.resolve("written.txt");
        Files.deleteIfExists(written);
        run("redirect to file", new ProcessBuilder("sh", "-c", "echo to file; echo err to file >&2")
                .redirectOutput(written.toFile()).redirectError(written.toFile()));
        line("  file: " + read(written));
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(written.toFile())) {
            out.write("kept\n".getBytes(StandardCharsets.UTF_8));
        }
        run("append to file", new ProcessBuilder("echo", "appended").redirectOutput(Redirect.appendTo(written.toFile())));
        line("  file: " + read(written));
        run("discard", new ProcessBuilder("sh", "-c", "echo gone; echo gone too >&2")
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD));
        run("inherit", new ProcessBuilder("echo", "inherited line").inheritIO());
        run("missing input file", new ProcessBuilder("cat").redirectInput(fixture.resolve("no-such-input").toFile()));
        pipeline();

        // PATH: the JVM's PATH is <fixture>/noexec:<fixture>/dirs:<fixture>/bin:/usr/bin:/bin
        run("EACCES, then found later in PATH", new ProcessBuilder("prog"));
        run("EACCES, then found, explicit environment", withEnvironment(new ProcessBuilder("prog")));
        run("only EACCES in PATH", new ProcessBuilder("onlyplain"));
        run("a directory named like the program", new ProcessBuilder("tool"));
        run("ENOEXEC through PATH", new ProcessBuilder("noshebang", "arg1"));
        run("ENOEXEC by path", new ProcessBuilder(fixture.resolve("scripts/noshebang").toString(), "arg1"));
        run("ENOEXEC through PATH, explicit environment", withEnvironment(new ProcessBuilder("noshebang", "arg1")));
        run("missing program", new ProcessBuilder("no-such-program-anywhere"));
        run("missing program, explicit environment", withEnvironment(new ProcessBuilder("no-such-program-anywhere")));
        run("missing absolute program", new ProcessBuilder("/no/such/program"));
        run("not executable", new ProcessBuilder(fixture.resolve("plain.txt").toString()));
        run("a directory as the program", new ProcessBuilder(fixture.toString()));
        run("empty program", new ProcessBuilder(""));
        run("missing cwd", new ProcessBuilder("pwd").directory(fixture.resolve("no-such-dir").toFile()));
        run("cwd is a file", new ProcessBuilder("pwd").directory(fixture.resolve("plain.txt").toFile()));
        run("NUL in an argument", new ProcessBuilder("echo", "a\u0000b"));
        run("huge argv (E2BIG)", new ProcessBuilder("echo", "x".repeat(200_000)));
        run("PATH set for the child only", withPath(new ProcessBuilder("childonly"), fixture.resolve("childpath").toString()));
        lifecycle();
    }

    /**
     * The JVM ignores SIGHUP, SIGPIPE and SIGCHLD while two children start: what each inherits,
     * and whether a writer into a closed pipe dies of SIGPIPE (JDK 25.0.3 and later set SIGPIPE
     * back to its default in the child; 17 and 21 do not; none touches SIGCHLD or SIGHUP). A
     * first child starts before, because ProcessImpl's class initialisation sets SIGCHLD to
     * SIG_DFL in the JVM itself, which would otherwise undo that one. The dispositions are put
     * back after. They are set through sun.misc.Signal (jdk.unsupported, in every JDK), whose
     * SIG_IGN is sigaction's, rather than FFM, which JDK 17 lacks; reached reflectively, since
     * javac warns of sun.misc at every use and the build turns warnings into errors.
     */
    private static void ignoredSignals() throws Throwable {
        run("before: ProcessImpl initialised", new ProcessBuilder("true"));
        Class<?> signal = Class.forName("sun.misc.Signal");
        Class<?> handler = Class.forName("sun.misc.SignalHandler");
        java.lang.reflect.Method handle = signal.getMethod("handle", signal, handler);
        Object ignore = handler.getField("SIG_IGN").get(null);
        String[] signals = {"HUP", "PIPE", "CHLD"};
        Object[] saved = new Object[signals.length];
        for (int i = 0; i < signals.length; i++) {
            saved[i] = handle.invoke(null, signal.getConstructor(String.class).newInstance(signals[i]), ignore);
        }
        try {
            run("signals the JVM ignores", new ProcessBuilder("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"));
            run("a writer into a closed pipe", new ProcessBuilder("sh", "-c", "yes | head -n 1"));
        } finally {
            for (int i = 0; i < signals.length; i++) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(signals[i]), saved[i]);
            }
        }
    }

    /** In a JVM with no PATH at all: the JDK's defaults, ":/bin:/usr/bin" and glibc's "/bin:/usr/bin". */
    private static void noPath() throws Exception {
        run("no PATH, inherited environment", new ProcessBuilder("ls", "-d", "/"));
        run("no PATH, explicit environment", withEnvironment(new ProcessBuilder("ls", "-d", "/")));
        run("no PATH, program in cwd, explicit environment",
                withEnvironment(new ProcessBuilder("localprog")).directory(fixture.resolve("local").toFile()));
        run("no PATH, program in cwd, inherited environment",
                new ProcessBuilder("localprog").directory(fixture.resolve("local").toFile()));
    }

    private static ProcessBuilder withEnvironment(ProcessBuilder builder) {
        builder.environment().put("FORKLINE_SCENARIO", "explicit");
        return builder;
    }

    private static ProcessBuilder withPath(ProcessBuilder builder, String path) {
        builder.environment().put("PATH", path);
        return builder;
    }

    private static void pipeline() {
        line("== pipeline of 3");
        try {
            List<Process> processes = ProcessBuilder.startPipeline(List.of(
                    new ProcessBuilder("printf", "b\\na\\nc\\nb\\n"), new ProcessBuilder("sort", "-u"),
                    new ProcessBuilder("tr", "a-z", "A-Z")));
            Process last = processes.get(processes.size() - 1);
            line("  stdout: " + printable(last.getInputStream().readAllBytes()));
            for (Process p : processes) line("  exit: " + p.waitFor() + " " + normalise(p.toString()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            line("  threw " + e.getClass().getName() + ": " + normalise(e.getMessage()));
        }
    }

    private static void lifecycle() throws Exception {
        line("== destroy, destroyForcibly, onExit, ProcessHandle");
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        line("  running: " + normalise(sleeper.toString()) + " alive=" + sleeper.isAlive()
                + " handle alive=" + sleeper.toHandle().isAlive());
        line("  parent is this JVM: " + sleeper.toHandle().parent().map(h -> h.pid() == ProcessHandle.current().pid()).orElse(false));
        line("  is a child of this JVM: " + ProcessHandle.current().children().anyMatch(h -> h.pid() == sleeper.pid()));
        line("  command: " + sleeper.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?")
                + " arguments: " + sleeper.info().arguments().map(Arrays::toString).orElse("?"));
        try {
            sleeper.exitValue();
        } catch (IllegalThreadStateException e) {
            line("  exitValue while running: " + normalise(e.getMessage()));
        }
        CompletableFuture<Process> exited = sleeper.onExit();
        CompletableFuture<ProcessHandle> handleExited = sleeper.toHandle().onExit();
        sleeper.destroy();
        line("  after destroy: exit=" + sleeper.waitFor() + " onExit=" + (exited.get(10, TimeUnit.SECONDS) == sleeper)
                + " handle onExit=" + (handleExited.get(10, TimeUnit.SECONDS).pid() == sleeper.pid())
                + " " + normalise(sleeper.toString()));
        Process stubborn = new ProcessBuilder("sh", "-c", "trap '' TERM; echo ready; sleep 30").start();
        stubborn.getInputStream().read(new byte[6]);
        stubborn.destroyForcibly();
        line("  after destroyForcibly: exit=" + stubborn.waitFor() + " " + normalise(stubborn.toString()));
        Process quick = new ProcessBuilder("true").start();
        line("  waitFor with timeout: " + quick.waitFor(10, TimeUnit.SECONDS) + " exit=" + quick.exitValue()
                + " supportsNormalTermination=" + quick.supportsNormalTermination());
        Process inherited = new ProcessBuilder("true").inheritIO().start();
        line("  streams of an inherited child: " + inherited.getInputStream().read() + " exit=" + inherited.waitFor());
    }

    private static void run(String name, ProcessBuilder builder) {
        run(name, builder, null);
    }

    private static void run(String name, ProcessBuilder builder, String stdin) {
        line("== " + name);
        try {
            Process p = builder.start();
            report(p, stdin);
        } catch (IOException | RuntimeException | InterruptedException e) {
            line("  threw " + e.getClass().getName() + ": " + normalise(e.getMessage()));
            if (e.getCause() != null) line("  cause " + e.getCause().getClass().getName() + ": " + normalise(e.getCause().getMessage()));
        }
    }

    private static void runExec(String name, String[] command, String[] environment) {
        line("== " + name);
        try {
            report(Runtime.getRuntime().exec(command, environment), null);
        } catch (IOException | RuntimeException | InterruptedException e) {
            line("  threw " + e.getClass().getName() + ": " + normalise(e.getMessage()));
        }
    }

    private static void report(Process p, String stdin) throws IOException, InterruptedException {
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        // Both streams drained at once, as a careful caller does, so no pipe fills.
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        byte[] out = readAll(p.getInputStream());
        line("  stdout: " + printable(out));
        line("  stderr: " + printable(err.join()));
        line("  exit: " + p.waitFor());
        line("  streams: " + p.getInputStream().getClass().getName() + " " + p.getErrorStream().getClass().getName()
                + " " + p.getOutputStream().getClass().getName());
        line("  " + normalise(p.toString()));
    }

    private static byte[] readAll(InputStream stream) {
        try {
            return stream.readAllBytes();
        } catch (IOException e) {
            return ("<" + e + ">").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static String read(Path file) throws IOException {
        // java.io, not Files: on JDK 17 the first FileChannel makes NIO keep a socket open for
        // the JVM's life (its pre-close fd), which the fd count would take for the spawns'.
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            return printable(in.readAllBytes());
        }
    }

    private static String printable(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.length() > 300) text = text.substring(0, 300) + "...(" + text.length() + " chars)";
        return text.replace("\u0000", "\\0").replace("\n", "\\n");
    }

    private static String normalise(String text) {
        return text == null ? "null" : text.replaceAll("pid=\\d+", "pid=PID").replaceAll("process \\d+", "process PID");
    }

    private static void line(String text) {
        report.append(text).append('\n');
    }

    private static long openFds() throws IOException {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.count();
        }
    }
}
