package org.opentela;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command line as it may be logged: the values of arguments and environment assignments whose names
 * say they are secret ({@code --api-key X}, {@code --token=X}, {@code HF_TOKEN=X}, {@code DB_PASSWORD=X})
 * are replaced by {@value #MASK}. The {@code --subprocess} command often carries such a value, and the
 * log is read by more people than the command line's author.
 */
public final class SecretMask {
  public static final String MASK = "***";
  /** A name that says "secret": key, token, secret, password, passwd, credential(s), auth. */
  private static final String SECRET_NAME = "[A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|credentials?|auth)"
      + "[A-Za-z0-9_.-]*";
  /** {@code --name value} or {@code --name=value} (one or two dashes), the value quoted or not. */
  private static final Pattern OPTION = Pattern.compile("(?i)(?<![\\w-])(--?" + SECRET_NAME + ")(=|\\s+)"
      + "(\"[^\"]*\"|'[^']*'|[^\\s\"']+)");
  /** {@code NAME=value}: a shell variable assignment, e.g. before the command or after {@code export}/{@code env}. */
  private static final Pattern ASSIGNMENT = Pattern.compile("(?i)(?<![\\w-])(" + SECRET_NAME + ")="
      + "(\"[^\"]*\"|'[^']*'|[^\\s\"']+)");

  private SecretMask() {}

  /** {@code command} with secret values masked; null stays null. */
  public static String of(String command) {
    if (command == null) {
      return null;
    }
    Matcher m = OPTION.matcher(command);
    StringBuilder b = new StringBuilder(command.length());
    while (m.find()) {
      m.appendReplacement(b, Matcher.quoteReplacement(m.group(1) + m.group(2) + MASK));
    }
    m.appendTail(b);
    Matcher a = ASSIGNMENT.matcher(b.toString());
    StringBuilder out = new StringBuilder(b.length());
    while (a.find()) {
      a.appendReplacement(out, Matcher.quoteReplacement(a.group(1) + "=" + MASK));
    }
    a.appendTail(out);
    return out.toString();
  }
}
