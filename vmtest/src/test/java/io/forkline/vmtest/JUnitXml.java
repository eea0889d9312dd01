package io.forkline.vmtest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The test cases of a legacy JUnit XML report, as the console launcher's {@code --reports-dir}
 * writes them (and the native harness, harness.c), and their replay as this build's tests.
 */
final class JUnitXml {
    private JUnitXml() {}

    /** How a test case ended. */
    enum Outcome { PASSED, FAILED, SKIPPED }

    /**
     * One test case.
     *
     * @param className the test class (for nested and dynamic tests, as the report names it)
     * @param name the method or display name
     * @param seconds how long it ran in the guest
     * @param outcome passed, failed (failure or error) or skipped
     * @param message the failure message or skip reason
     * @param detail the stack trace of a failure
     */
    record TestCase(String className, String name, double seconds, Outcome outcome, String message, String detail) {}

    static List<TestCase> read(Path report) throws IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList cases = factory.newDocumentBuilder().parse(report.toFile()).getElementsByTagName("testcase");
            List<TestCase> out = new ArrayList<>();
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                Outcome outcome = Outcome.PASSED;
                String message = "";
                String detail = "";
                for (String tag : List.of("failure", "error", "skipped")) {
                    NodeList found = c.getElementsByTagName(tag);
                    if (found.getLength() == 0) continue;
                    Element e = (Element) found.item(0);
                    outcome = tag.equals("skipped") ? Outcome.SKIPPED : Outcome.FAILED;
                    message = e.getAttribute("message");
                    detail = e.getTextContent().strip();
                    if (message.isEmpty() && outcome == Outcome.SKIPPED) message = detail;
                    break;
                }
                double seconds = c.getAttribute("time").isEmpty() ? 0 : Double.parseDouble(c.getAttribute("time").replace(",", ""));
                out.add(new TestCase(c.getAttribute("classname"), c.getAttribute("name"), seconds, outcome, message, detail));
            }
            return out;
        } catch (ParserConfigurationException | SAXException | NumberFormatException e) {
            throw new IOException("cannot read the JUnit XML report " + report + ": " + e.getMessage(), e);
        }
    }

    /**
     * A test case that ran elsewhere (in a VM, or in a process with another C library) as a
     * dynamic test named {@code label CLASS > name}: it fails with the case's failure message and
     * stack trace, or is skipped with its reason.
     */
    static DynamicTest replay(String label, TestCase c) {
        return DynamicTest.dynamicTest(label + " " + c.className() + " > " + c.name(), () -> {
            switch (c.outcome()) {
                case PASSED -> { }
                case SKIPPED -> Assumptions.abort("skipped in " + label + ": " + c.message());
                case FAILED -> Assertions.fail(c.className() + " > " + c.name() + " failed in " + label + ": " + c.message().strip()
                        + (c.detail().isEmpty() ? "" : "\n--- its stack trace ---\n" + c.detail()));
            }
        });
    }
}
