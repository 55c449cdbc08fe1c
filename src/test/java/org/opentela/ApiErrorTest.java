package org.opentela;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The error catalogue is consistent, and README.md's error table lists exactly its entries. */
class ApiErrorTest {
  private static final Pattern CODE = Pattern.compile("`([a-z][a-z0-9_]*)`");

  /** Code → status, from the rows of the table under README.md's "**Errors**" paragraph. */
  static Map<String, Integer> readmeTable() throws IOException {
    List<String> lines = Files.readAllLines(Path.of(System.getProperty("basedir", ".")).resolve("README.md"));
    int at = 0;
    while (at < lines.size() && !lines.get(at).startsWith("**Errors**")) {
      at++;
    }
    while (at < lines.size() && !lines.get(at).startsWith("| status | code |")) {
      at++;
    }
    assertTrue(at < lines.size(), "README.md has an error table (| status | code | when |) after **Errors**");
    Map<String, Integer> table = new TreeMap<>();
    for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      String[] cells = lines.get(i).split("\\|");
      int status = Integer.parseInt(cells[1].trim());
      Matcher m = CODE.matcher(cells[2]);
      while (m.find()) {
        Integer before = table.put(m.group(1), status);
        assertNull(before, "README lists " + m.group(1) + " twice");
      }
    }
    return table;
  }

  @Test
  void theReadmeTableListsEveryCodeWithItsStatusAndNoOther() throws IOException {
    Map<String, Integer> catalogue = new TreeMap<>();
    for (ApiError e : ApiError.values()) {
      catalogue.put(e.code(), e.status());
    }
    assertEquals(catalogue, readmeTable(), "README.md's error table (code=status) against ApiError");
  }

  @Test
  void codesAreUniqueAndInSnakeCase() {
    Map<String, ApiError> byCode = new TreeMap<>();
    for (ApiError e : ApiError.values()) {
      assertNull(byCode.put(e.code(), e), "two entries with the code " + e.code());
      assertTrue(e.code().matches("[a-z][a-z0-9]*(_[a-z0-9]+)*"), e.code());
      assertTrue(e.status() >= 400 && e.status() < 600, e.name());
    }
  }

  @Test
  void aProblemIsTheTemplateFilledIn() {
    ApiError.Problem p = ApiError.PEER_NOT_FOUND.with("QmX");
    assertEquals(ApiError.PEER_NOT_FOUND, p.error());
    assertTrue(p.message().startsWith("No node with peer id QmX in the table"), p.message());
    assertEquals("Invalid request: 100% sure", ApiError.INVALID_REQUEST.with("100% sure").message(),
        "an argument is not a template");
    assertThrows(IllegalArgumentException.class, () -> ApiError.MODEL_NOT_AVAILABLE.with("only one"),
        "a missing argument is a bug, found at once");
  }

  @Test
  void whatAClientSentIsCutToASaneLengthInMessages() {
    String model = "x".repeat(10_000);
    String message = ApiError.MODEL_NOT_AVAILABLE.with(model, "llm", List.of("m")).message();
    assertTrue(message.length() < 600, message.length() + " characters");
    assertTrue(message.contains("(10000 characters)"), message);
    List<String> many = new java.util.ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      many.add("model-" + i);
    }
    String listed = ApiError.MODEL_NOT_AVAILABLE.with("m", "llm", many).message();
    assertTrue(listed.contains("model-19") && !listed.contains("model-20,") && listed.contains("980 more"), listed);
  }
}
