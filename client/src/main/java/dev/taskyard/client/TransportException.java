package dev.taskyard.client;

import java.io.IOException;

/**
 * The server could not be reached or the exchange broke (connection refused or reset, premature end of a response,
 * timeout, interruption) and the call was not retried or not any more; the cause is the {@link IOException}.
 */
public class TransportException
        extends TaskyardException
{
    public TransportException(String message, IOException cause)
    {
        super(message, cause);
    }

    @Override
    public synchronized IOException getCause()
    {
        return (IOException) super.getCause();
    }
}
