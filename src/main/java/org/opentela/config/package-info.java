/**
 * Command line and settings: flags, -D overrides and config files merged into one HOCON config, then
 * read once into typed, validated settings records. Nothing else reads config keys.
 */
package org.opentela.config;
