package org.opentela.config;

/** A user error on the command line or in settings: the CLI prints the message and exits with code 2. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }

  /** A bad value for a setting, named as the flag the user would type: {@code --port: 'x' (expected: ...)}. */
  public static UsageException badValue(String key, Object value, String expected) {
    return new UsageException(Flags.flagName(key) + ": '" + value + "' (expected: " + expected + ")");
  }
}
