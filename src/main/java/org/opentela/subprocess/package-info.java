/**
 * A worker's local service (backend): {@link org.opentela.subprocess.SubprocessSupervisor} starts the
 * {@code --subprocess} in its own process group, waits until it answers, registers it in the node table
 * (with {@code model=<id>} identity groups for an {@code llm} service), probes its health, samples its
 * vLLM load gauges, restarts it with backoff when it exits and stops it with the node. The processes
 * belong to the JVM ({@link org.opentela.subprocess.BackendProcesses}), so a node that restarts its actor
 * system adopts its running backend; a watchdog in each group and a record in the node directory make
 * sure no backend outlives its node. Linux only for {@code --subprocess}: it needs {@code setsid} and
 * {@code /proc}.
 */
package org.opentela.subprocess;
