package org.opentela.subprocess;

/**
 * A backend's exit code in words, as the shell that runs {@code --subprocess} reports it: 126 and 127
 * are the shell's own (the command is not executable, or not found), 128+N a signal.
 */
final class ExitCodes {
  static final int NOT_EXECUTABLE = 126;
  static final int NOT_FOUND = 127;

  private ExitCodes() {}

  /** "exit 127 (command not found)", "exit 137 (killed by signal 9)", "exit 1". */
  static String describe(int code) {
    return switch (code) {
      case NOT_EXECUTABLE -> "exit 126 (not executable)";
      case NOT_FOUND -> "exit 127 (command not found)";
      default -> code > 128 && code < 160 ? "exit " + code + " (killed by signal " + (code - 128) + ")"
          : "exit " + code;
    };
  }

  /** Why restarting cannot help after {@code code}, or null if it might. */
  static String fatal(int code, String command) {
    String program = command.strip().split("\\s+", 2)[0];
    return switch (code) {
      case NOT_FOUND -> "the shell found no program '" + program + "' (the first word of --subprocess) on this"
          + " node's PATH: install it (e.g. pip install vllm), or give its full path";
      case NOT_EXECUTABLE -> "'" + program + "' (the first word of --subprocess) cannot be executed: check its"
          + " permissions (chmod +x) and that it is a program for this machine";
      default -> null;
    };
  }
}
