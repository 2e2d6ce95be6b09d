package dev.taskyard.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The task payload, or something derived from it (an environment variable name, an artifact path, a mount
 * point), is invalid. It carries one or more human-readable messages, each meant for the task log; messages
 * from several components can be {@linkplain #merge(Collection) merged} into one error.
 */
public class MalformedPayloadException extends EngineException
{
    private final List<String> messages;

    public MalformedPayloadException(String message)
    {
        this(List.of(message));
    }

    public MalformedPayloadException(List<String> messages)
    {
        this(messages, null);
    }

    public MalformedPayloadException(List<String> messages, Throwable cause)
    {
        super(ErrorCode.MALFORMED_PAYLOAD, render(messages), cause);
        this.messages = List.copyOf(messages);
    }

    /** The messages, in order; never empty. */
    public List<String> messages()
    {
        return messages;
    }

    /** One error whose messages are those of all {@code errors}, in order. */
    public static MalformedPayloadException merge(Collection<MalformedPayloadException> errors)
    {
        requireNonNull(errors, "errors is null");
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors is empty");
        }
        List<String> all = new ArrayList<>();
        for (MalformedPayloadException error : errors) {
            all.addAll(error.messages());
        }
        MalformedPayloadException merged = new MalformedPayloadException(all);
        errors.forEach(merged::addSuppressed);
        return merged;
    }

    private static String render(List<String> messages)
    {
        requireNonNull(messages, "messages is null");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages is empty");
        }
        messages.forEach(m -> requireNonNull(m, "message is null"));
        return messages.size() == 1 ? messages.get(0) : String.join("; ", messages);
    }
}
