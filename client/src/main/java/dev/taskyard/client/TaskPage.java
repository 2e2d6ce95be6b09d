package dev.taskyard.client;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One page of the task list.
 *
 * @param nextPageToken present when more tasks follow; pass it to {@link TaskQuery#withPageToken}
 */
public record TaskPage(List<Task> tasks, Optional<String> nextPageToken)
{
    public TaskPage
    {
        tasks = List.copyOf(requireNonNull(tasks, "tasks is null"));
        requireNonNull(nextPageToken, "nextPageToken is null");
    }
}
