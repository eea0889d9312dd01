package io.forkline.vmtest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** The test cases of a legacy JUnit XML report, as the console launcher's {@code --reports-dir} writes them. */
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
}
