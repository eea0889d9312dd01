package io.forkline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real, unmodified client: a Maven build whose Surefire forks a test JVM whose test starts
 * processes, all under {@code JAVA_TOOL_OPTIONS=-javaagent:...}, so that Maven's own JVM (which
 * forks Surefire's) and the forked test JVM both run with the agent. The test inside writes
 * what the agent did in its JVM, and this test reads it.
 */
@Tag("agent-jar")
class MavenClientTest {
    @TempDir
    Path project;

    @Test
    void surefireForkedTestsSpawnThroughForkline() throws Exception {
        Path report = project.resolve("agent-report.txt");
        Files.createDirectories(project.resolve("src/test/java/demo"));
        Files.writeString(project.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>demo</groupId>
                  <artifactId>spawning-tests</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>25</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>org.junit.jupiter</groupId>
                      <artifactId>junit-jupiter</artifactId>
                      <version>%s</version>
                      <scope>test</scope>
                    </dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>
                      <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                      <plugin>
                        <artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version>
                        <configuration><forkCount>1</forkCount></configuration>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(System.getProperty("junit.version", "5.13.4")));
        Files.writeString(project.resolve("src/test/java/demo/SpawningTest.java"), """
                package demo;

                import java.nio.file.Files;
                import java.nio.file.Path;
                import org.junit.jupiter.api.Test;

                class SpawningTest {
                    @Test
                    void startsProcesses() throws Exception {
                        for (int i = 0; i < 5; i++) {
                            Process p = new ProcessBuilder("sh", "-c", "echo " + i).start();
                            String out = new String(p.getInputStream().readAllBytes()).trim();
                            if (p.waitFor() != 0 || !out.equals(Integer.toString(i))) throw new AssertionError(out);
                        }
                        Process exec = Runtime.getRuntime().exec(new String[] {"true"});
                        if (exec.waitFor() != 0) throw new AssertionError("true failed");
                        Files.writeString(Path.of(System.getProperty("report")),
                                "pid=" + ProcessHandle.current().pid()
                                + " status=" + System.getProperty("forkline.agent.status")
                                + " spawns=" + System.getProperty("forkline.agent.spawns") + "\\n");
                    }
                }
                """);
        Path mvnw = Path.of("..", "mvnw").toAbsolutePath().normalize();
        ProcessBuilder maven = new ProcessBuilder(mvnw.toString(), "-B", "-o", "-q", "-f", project.resolve("pom.xml").toString(),
                "-DargLine=-Dreport=" + report, "test")
                .directory(project.toFile()).redirectErrorStream(true);
        Map<String, String> environment = maven.environment();
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.put("JAVA_TOOL_OPTIONS", String.join(" ", AgentJvm.agentOptions()));
        Process build = maven.start();
        String output = new String(build.getInputStream().readAllBytes());
        assertThat(build.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(build.exitValue()).as(output).isZero();
        // The forked test JVM: a JVM other than Maven's, started by Surefire, itself under the agent.
        List<String> lines = Files.readAllLines(report);
        assertThat(lines).singleElement().asString().contains(" status=active spawns=6");
        assertThat(output).doesNotContain("forkline agent:");
    }
}
