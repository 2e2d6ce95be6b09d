package dev.taskyard.store;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One page of a listing, newest first.
 *
 * @param nextPageToken opaque; present when more tasks follow
 */
public record TaskPage(List<TaskRecord> tasks, Optional<String> nextPageToken)
{
    public TaskPage
    {
        tasks = List.copyOf(tasks);
        requireNonNull(nextPageToken, "nextPageToken is null");
    }
}
