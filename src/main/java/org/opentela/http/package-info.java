/**
 * The HTTP API on --port: one routes class per area, CORS, and {@link org.opentela.http.ApiErrors}, the one
 * place that renders errors as OpenAI-shaped JSON.
 */
package org.opentela.http;
