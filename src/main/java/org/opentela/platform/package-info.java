/**
 * Facts about the machine: GPUs (nvidia-smi), host memory (/proc/meminfo), network addresses, and who
 * listens on which TCP port (/proc/net/tcp).
 */
package org.opentela.platform;
