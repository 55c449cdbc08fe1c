package org.opentela.node;

import java.io.OutputStream;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run in its own JVM by {@link ExitFlushesLogsTest}: logs {@code args[0]} lines through the production
 * logging set-up (an asynchronous appender) to a standard output that takes 2 ms per line (a terminal, a
 * pipe or journald that is busy), and leaves at once as {@code otela} does, through {@link Main#exit}.
 */
public final class ExitLogProbe {
  private ExitLogProbe() {}

  public static void main(String[] args) {
    PrintStream real = System.out;
    System.setOut(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        real.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        real.write(b, off, len);
      }
    }, true));
    Logger log = LoggerFactory.getLogger("org.opentela.node.Node");
    int n = Integer.parseInt(args[0]);
    for (int i = 1; i <= n; i++) {
      log.info("line {} of {}", i, n);
    }
    log.error("This node cannot join the closed pool: the last line, the one that says why");
    Main.exit(3);
  }
}
