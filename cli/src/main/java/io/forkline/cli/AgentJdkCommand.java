package io.forkline.cli;

import io.forkline.agent.AgentJdkImage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline agent jdk}: a copy of a JDK with the drop-in agent built in, for a quiet
 * install. It parses and prints; {@link AgentJdkImage} makes the image.
 */
@picocli.CommandLine.Command(
        name = "jdk",
        mixinStandardHelpOptions = true,
        description = {"Makes a copy of a JDK (a jlink image) whose every JVM starts with the drop-in agent, printing nothing: "
                + "unlike JAVA_TOOL_OPTIONS, no 'Picked up JAVA_TOOL_OPTIONS' line on stderr. Point JAVA_HOME at it.",
            "The image refers to its own copy of the agent by absolute path: leave it where it was made."})
final class AgentJdkCommand implements Callable<Integer> {
    @Option(names = "--jdk", required = true, description = "The JDK to copy: its home directory (with bin/jlink).")
    Path jdk;

    @Option(names = "--output", required = true, description = "The image's directory; it must not exist.")
    Path output;

    @Option(names = "--modules", split = ",", description = "Only these modules (default: every module of the JDK).")
    List<String> modules = List.of();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        AgentJdkImage.Result made;
        try {
            made = AgentJdkImage.build(jdk, output, ChildJvmSpawnLoop.agentJar(), modules);
        } catch (IllegalArgumentException e) {
            throw Errors.usage(spec, e.getMessage());
        } catch (IllegalStateException e) {
            // jlink refused (a module the JDK lacks, a full disk) or the image did not start with the
            // agent: what it said, up to its own stack trace, and nothing is left behind
            String said = e.getMessage().lines().takeWhile(l -> !l.startsWith("java.") && !l.startsWith("\tat "))
                    .collect(java.util.stream.Collectors.joining(" "));
            System.err.println("forkline agent jdk: " + said);
            return 1;
        }
        System.out.println("forkline agent jdk: made " + made.image() + " from " + jdk.toAbsolutePath().normalize() + " ("
                + made.modules().size() + " modules); its JVMs start with the agent: forkline.agent.status=" + made.agentStatus());
        for (String module : made.leftOut()) System.out.println("  left out: " + module);
        System.out.println("  use it: export JAVA_HOME=" + made.image() + " PATH=" + made.image() + "/bin:$PATH");
        return 0;
    }
}
