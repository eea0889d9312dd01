package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Child.toProcess() behaves as code written against java.lang.Process expects. */
class ProcessAdapterTest extends LeakCheckedTest {
    /** The kind of code that takes a Process: it knows nothing of forkline. */
    private static String talkTo(Process process, String input) throws Exception {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            return out.readLine();
        }
    }

    @Test
    void streamsWaitForAndExitValue() throws Exception {
        Process process = launcher.spawn(Command.of("sh", "-c", "read x; echo \"hello $x\"; echo oops >&2; exit 3")
                .stdin(Stdio.pipe()).stdout(Stdio.pipe()).stderr(Stdio.pipe())).toProcess();
        assertThat(talkTo(process, "world\n")).isEqualTo("hello world");
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(process.waitFor()).isEqualTo(3);
        assertThat(process.exitValue()).isEqualTo(3);
        assertThat(process.isAlive()).isFalse();
        assertThat(process.waitFor(1, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void waitForWithTimeoutExitValueWhileRunningAndDestroy() throws Exception {
        Process process = launcher.spawn(Command.of("sleep", "30")).toProcess();
        assertThat(process.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
        assertThatThrownBy(process::exitValue).isInstanceOf(IllegalThreadStateException.class);
        assertThat(process.isAlive()).isTrue();
        assertThat(process.supportsNormalTermination()).isTrue();
        process.destroy();
        assertThat(process.waitFor()).as("128 + SIGTERM, as the JDK reports it").isEqualTo(143);
    }

    @Test
    void destroyForciblyAndOnExit() throws Exception {
        Process process = launcher.spawn(Command.of("sh", "-c", "trap '' TERM; sleep 30")).toProcess();
        assertThat(process.destroyForcibly()).isSameAs(process);
        Process exited = process.onExit().get(10, TimeUnit.SECONDS);
        assertThat(exited).isSameAs(process);
        assertThat(exited.exitValue()).isEqualTo(137);
    }

    @Test
    void pidAndHandle() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30"));
        Process process = child.toProcess();
        assertThat(process.pid()).isEqualTo(child.pid());
        ProcessHandle handle = process.toHandle();
        assertThat(handle.pid()).isEqualTo(child.pid());
        assertThat(handle.isAlive()).isTrue();
        assertThat(handle.parent()).contains(ProcessHandle.current());
        assertThat(handle.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("sleep"));
        assertThat(handle.destroy()).isTrue();
        assertThat(handle.onExit().get(10, TimeUnit.SECONDS).pid()).isEqualTo(child.pid());
        assertThat(handle.isAlive()).isFalse();
        assertThat(handle.destroyForcibly()).as("nothing left to signal").isFalse();
    }

    @Test
    void redirectedStreamsAreEmptyLikeTheJdks() throws Exception {
        Process process = launcher.spawn(Command.of("/bin/true").stdout(Stdio.discard())).toProcess();
        assertThat(process.getInputStream().read()).isEqualTo(-1);
        assertThat(process.getErrorStream().read()).isEqualTo(-1);
        assertThat(process.waitFor()).isZero();
    }
}
