/** Facts about the machine: GPUs (nvidia-smi), host memory (/proc/meminfo), network addresses. */
package org.opentela.platform;
