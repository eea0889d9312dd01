package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * Blocking calls must not pin a carrier for the life of a child. JFR's jdk.VirtualThreadPinned
 * event fires whenever a virtual thread parks while pinned; with a 20 ms threshold, waiting for
 * a 300 ms child while pinned would fire it, and a short native call (the spawn itself) would not.
 */
class VirtualThreadTest {
    @Test
    void waitingAndReadingDoNotPinCarriers() throws Exception {
        Path jfr = Files.createTempFile("forkline-pinning", ".jfr");
        // What the JDK keeps once JFR has recorded and dumped is not ours: JDK 21's JFR holds a
        // socket from then on. One empty recording first, so that the baseline has it too.
        try (Recording warmUp = new Recording()) {
            warmUp.start();
            warmUp.stop();
            warmUp.dump(jfr);
            RecordingFile.readAllEvents(jfr);
        }
        ProcessResources before = ProcessResources.baseline();
        List<RecordedEvent> pinned = new ArrayList<>();
        try (Launcher launcher = Launcher.create(); Recording recording = new Recording()) {
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ofMillis(20)).withStackTrace();
            recording.start();
            // The first spawn once JFR runs loads the spawn event's class, and class loading pins
            // the 50 threads that wait for it (a JDK limit, not a wait of ours): load it here.
            launcher.spawn(Command.of("/bin/true")).waitFor();
            try (ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    results.add(virtual.submit(() -> {
                        Child child = launcher.spawn(Command.of("sh", "-c", "sleep 0.3; echo " + n)
                                .stdin(Stdio.pipe()).stdout(Stdio.pipe()));
                        child.stdin().write("ignored".getBytes());
                        child.stdin().close();
                        String out = new String(child.stdout().readAllBytes()).trim();
                        child.waitFor();
                        return out;
                    }));
                }
                for (int i = 0; i < results.size(); i++) assertThat(results.get(i).get()).isEqualTo(String.valueOf(i));
            }
            recording.stop();
            recording.dump(jfr);
            for (RecordedEvent event : RecordingFile.readAllEvents(jfr)) {
                if (event.getEventType().getName().equals("jdk.VirtualThreadPinned")) pinned.add(event);
            }
        } finally {
            Files.deleteIfExists(jfr);
        }
        assertThat(pinned).as("pinned virtual threads").isEmpty();
        ProcessResources.now().assertNothingLeakedSince(before);
    }
}
