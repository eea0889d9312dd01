package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.parallel.ShellQuoting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a person sees: {@code forkline parallel} in a real pseudo-terminal (a tmux pane),
 * captured while the jobs run and after the end.
 */
class ParallelProgressViewTest {
    private static final String SESSION = "forkline-test-" + ProcessHandle.current().pid();

    private static String tmux(Launcher launcher, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("tmux"));
        argv.addAll(List.of(args));
        Exit exit = launcher.spawn(Command.of(argv).stdout(Stdio.capture(1 << 20)).stderr(Stdio.capture(1 << 16))
                .timeout(Duration.ofSeconds(20))).waitFor();
        assertThat(exit.statusCode()).as("tmux " + String.join(" ", args) + ": " + exit.stderr().text()).isZero();
        return exit.stdout().text();
    }

    @Test
    void aTerminalShowsALiveBarAndTheSummaryAtTheEnd() throws Exception {
        boolean haveTmux = Files.isExecutable(Path.of("/usr/bin/tmux"));
        if (!haveTmux && "true".equals(System.getenv("CI"))) throw new AssertionError("CI needs tmux for the terminal test: apt-get install tmux");
        Assumptions.assumeTrue(haveTmux, "needs tmux (apt-get install tmux) for a real pseudo-terminal");
        List<String> args = new ArrayList<>(List.of("parallel", "-j", "2", "sleep", ":::"));
        for (int i = 0; i < 24; i++) args.add("0.3");
        String command = String.join(" ", CliHarness.javaCommand(List.of(), args).stream().map(ShellQuoting::quote).toList());
        try (Launcher launcher = Launcher.create()) {
            tmux(launcher, "new-session", "-d", "-s", SESSION, "-x", "160", "-y", "30", command + "; echo EXITED $?; sleep 60");
            try {
                String during = waitFor(launcher, Pattern.compile("forkline parallel +(\\d+)% .* (\\d+)/24 jobs .*jobs/s (\\d+) running, 0 failed"),
                        m -> Integer.parseInt(m.group(2)) > 0 && Integer.parseInt(m.group(2)) < 24);
                assertThat(during).as("the bar, while jobs run").isNotNull();
                String after = waitFor(launcher, Pattern.compile("EXITED (\\d+)"), m -> true);
                assertThat(after).as("the end").isNotNull().contains("EXITED 0").contains("24/24 jobs").contains("100%")
                        .contains("forkline parallel: 24 jobs: 24 succeeded, 0 failed, 0 retries")
                        .contains("per job").contains("wall time").contains("peak memory");
            } finally {
                tmux(launcher, "kill-session", "-t", SESSION);
            }
        }
    }

    /** Captures the pane until a line matches the pattern and the condition; returns the screen, or null after 20 s. */
    private static String waitFor(Launcher launcher, Pattern pattern, java.util.function.Predicate<Matcher> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            String screen = tmux(launcher, "capture-pane", "-p", "-t", SESSION);
            for (String line : screen.lines().toList()) {
                Matcher m = pattern.matcher(line);
                if (m.find() && condition.test(m)) return screen;
            }
            Thread.sleep(100);
        }
        return null;
    }
}
