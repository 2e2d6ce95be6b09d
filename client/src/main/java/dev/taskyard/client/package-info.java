/**
 * The Java client of taskyard's asynchronous task REST API: {@link dev.taskyard.client.TaskyardClient} and its
 * builder, the immutable request and answer records, the {@link dev.taskyard.client.RetryPolicy} applied as an
 * {@link dev.taskyard.client.Interceptor}, and the exceptions (all {@link dev.taskyard.client.TaskyardException}s).
 * Everything in {@code dev.taskyard.client.internal} is not API.
 */
package dev.taskyard.client;
