package dev.taskyard.engine;

/**
 * Serves the HTTP requests a task sends to a proxy name attached with {@link SandboxBuilder#attachProxy}. Called
 * concurrently from engine threads; must be thread-safe.
 */
@FunctionalInterface
public interface ProxyHandler
{
    /** Answers one request; the path has the proxy name prefix stripped. An exception becomes a 502 answer. */
    ProxyResponse handle(ProxyRequest request)
            throws Exception;
}
