package dev.taskyard.client;

import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * A page of the task list to fetch.
 *
 * @param status only tasks in this state
 * @param pageSize 1 to 100; the server's default when empty
 * @param pageToken the {@code next_page_token} of the previous page
 */
public record TaskQuery(Optional<TaskStatus> status, OptionalInt pageSize, Optional<String> pageToken)
{
    public TaskQuery
    {
        requireNonNull(status, "status is null");
        requireNonNull(pageSize, "pageSize is null");
        requireNonNull(pageToken, "pageToken is null");
        pageSize.ifPresent(size -> {
            if (size < 1) {
                throw new IllegalArgumentException("pageSize must be positive");
            }
        });
    }

    /** The first page of all tasks. */
    public static TaskQuery all()
    {
        return new TaskQuery(Optional.empty(), OptionalInt.empty(), Optional.empty());
    }

    public TaskQuery withStatus(TaskStatus status)
    {
        return new TaskQuery(Optional.of(status), pageSize, pageToken);
    }

    public TaskQuery withPageSize(int size)
    {
        return new TaskQuery(status, OptionalInt.of(size), pageToken);
    }

    public TaskQuery withPageToken(String token)
    {
        return new TaskQuery(status, pageSize, Optional.of(token));
    }
}
