/**
 * Model providers: {@link io.myriad.models.OpenAiChatProvider} for any OpenAI-compatible Chat
 * Completions endpoint, {@link io.myriad.models.SimulatedModel} for Myriad's deterministic
 * simulated model, and {@link io.myriad.models.SimServer}, which serves the simulated model over
 * the same protocol.
 */
package io.myriad.models;
