package org.opentela.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * House style (STYLE.md): a receive builder names a handler per message, {@code onMessage(X.class,
 * this::onX)}, or calls one in a one-line lambda; a multi-line lambda in a builder hides the actor's
 * protocol in its plumbing.
 */
class ReceiveBuilderStyleTest {
  private static final Pattern MULTI_LINE_CASE =
      Pattern.compile("\\.(onMessage|onMessageEquals|onSignal|onSignalEquals|onAnyMessage)\\(.*->\\s*\\{\\s*$");

  @Test
  void receiveBuildersHaveNoMultiLineLambdas() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java/org/opentela"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          if (MULTI_LINE_CASE.matcher(lines.get(i)).find()) {
            found.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    assertEquals(List.of(), found, "give each of these messages a handler method");
  }
}
