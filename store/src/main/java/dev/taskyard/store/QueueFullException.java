package dev.taskyard.store;

import dev.taskyard.worker.QueueException;

/** The store already holds its maximum number of pending tasks; retry later. */
public class QueueFullException
        extends QueueException
{
    public QueueFullException(String message)
    {
        super(message);
    }
}
