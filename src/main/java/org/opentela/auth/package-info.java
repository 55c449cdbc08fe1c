/**
 * API keys for a shared pool: key records that hold only a hash of their secret ({@link ApiKey}, replicated
 * and durable through {@link KeyKeeper}), the per-key limits ({@link Limiter}: requests and tokens in a
 * sliding minute, requests in flight, allowed models) kept close across heads by {@link LimitSync}, usage
 * per key, model and day ({@link UsageCounts}, made durable by {@link UsageKeeper}), and the request-path
 * facade the HTTP layer calls ({@link Access}). The {@code keys} CLI command ({@link KeysCommand}) calls a
 * head's admin API. Off unless a node has an admin key ({@link AuthSettings}).
 */
package org.opentela.auth;
