package dev.taskyard.client.testing;

/**
 * What the {@link MockServer} does with the connection of one exchange (after OkHttp's MockWebServer). The server
 * serves one exchange per connection ({@code Connection: close}), so every policy is deterministic: no pooled
 * connection can be half-closed behind the client's back.
 */
public enum SocketPolicy
{
    /** Answer normally, then close. */
    NORMAL,
    /** Close the connection at once, before reading the request (the request is not recorded). */
    DISCONNECT_AT_START,
    /** Read (and record, and dispatch) the request, then close without answering: the answer is lost. */
    DISCONNECT_AFTER_REQUEST,
    /** Send the status, headers and part of the body (see {@link MockResponse#cutAt}), then close. */
    DISCONNECT_DURING_RESPONSE_BODY,
    /** Read the request, then reset the connection (SO_LINGER 0): the client sees a connection reset. */
    RESET_AFTER_REQUEST,
    /**
     * Read the request and never answer, until the client gives up and closes (for timeout tests). The server serves
     * nothing else meanwhile, so script it last.
     */
    NO_RESPONSE
}
