package dev.taskyard.store.internal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Opaque listing cursors: base64url of {@code v1:<createdAtMillis>:<taskId>} of the last task of a page. Listing is
 * newest first, so the next page holds the tasks ordered strictly after the cursor by (created_at, id) descending.
 */
public final class PageTokens
{
    private static final Pattern FORMAT = Pattern.compile("v1:(-?[0-9]{1,19}):([A-Za-z0-9_-]{1,64})");

    /** Where a page ended. */
    public record Cursor(long createdAt, String taskId)
    {
        public Cursor
        {
            requireNonNull(taskId, "taskId is null");
        }
    }

    private PageTokens()
    {
    }

    public static String encode(Cursor cursor)
    {
        String plain = "v1:" + cursor.createdAt() + ":" + cursor.taskId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws IllegalArgumentException the token was not made by {@link #encode} */
    public static Cursor decode(String token)
    {
        requireNonNull(token, "token is null");
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid page token", e);
        }
        Matcher matcher = FORMAT.matcher(plain);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("invalid page token");
        }
        try {
            return new Cursor(Long.parseLong(matcher.group(1)), matcher.group(2));
        }
        catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid page token", e);
        }
    }
}
