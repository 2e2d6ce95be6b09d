package dev.taskyard.plugin.internal;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * A task log that replaces every occurrence of a secret with {@value #MASK} before the bytes reach the log it wraps,
 * so that no reader (the live log, the stored log, the REST log endpoint, log artifacts) ever sees one. A secret
 * split across writes is masked too: bytes at the end of a write that could be the start of a secret are held back
 * until the next write decides (or {@link #close()} flushes them), as GitLab does; a live reader may therefore see
 * the last few bytes of an unfinished line late. Where secrets overlap, the longest one starting first wins.
 *
 * <p>Masks the UTF-8 bytes of each value as given: encodings of a secret (base64, URL encoding) are not masked.
 * Thread-safe (writes are serialized); closing or disposing it closes or disposes the wrapped log.
 */
public final class MaskingTaskLog
        implements TaskLog
{
    public static final String MASK = "***";
    private static final byte[] MASK_BYTES = MASK.getBytes(StandardCharsets.UTF_8);

    private final TaskLog log;
    private final List<byte[]> secrets;
    private final int longest;

    // guarded by this
    private byte[] pending = new byte[0];

    private MaskingTaskLog(TaskLog log, List<byte[]> secrets)
    {
        this.log = log;
        this.secrets = secrets;
        this.longest = secrets.stream().mapToInt(secret -> secret.length).max().orElse(0);
    }

    /** Wraps {@code log} so that {@code secrets} (empty ones ignored) are masked; no secret: {@code log} itself. */
    public static TaskLog wrap(TaskLog log, Collection<String> secrets)
    {
        requireNonNull(log, "log is null");
        if (secrets.isEmpty()) {
            return log; // every run calls this: no stream pipeline when there is nothing to mask
        }
        List<byte[]> values = secrets.stream()
                .filter(secret -> !secret.isEmpty())
                .distinct()
                .map(secret -> secret.getBytes(StandardCharsets.UTF_8))
                .sorted(Comparator.comparingInt((byte[] secret) -> secret.length).reversed())
                .toList();
        return values.isEmpty() ? log : new MaskingTaskLog(log, values);
    }

    @Override
    public void write(byte[] bytes, int offset, int length)
    {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        synchronized (this) {
            byte[] joined = Arrays.copyOf(pending, pending.length + length);
            System.arraycopy(bytes, offset, joined, pending.length, length);
            pending = joined;
            drain(false);
        }
    }

    /** Writes out what is decided; with {@code flush}, everything (a held-back partial secret stays as it is). */
    private void drain(boolean flush)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream(pending.length);
        int i = 0;
        int start = 0;
        while (i < pending.length) {
            byte[] match = matchAt(i);
            if (match != null) {
                out.write(pending, start, i - start);
                out.write(MASK_BYTES, 0, MASK_BYTES.length);
                i += match.length;
                start = i;
                continue;
            }
            if (!flush && pending.length - i < longest && couldStartSecret(i)) {
                break;
            }
            i++;
        }
        out.write(pending, start, i - start);
        pending = Arrays.copyOfRange(pending, i, pending.length);
        if (out.size() > 0) {
            log.write(out.toByteArray(), 0, out.size());
        }
    }

    private byte[] matchAt(int i)
    {
        for (byte[] secret : secrets) { // longest first
            if (pending.length - i >= secret.length
                    && Arrays.equals(pending, i, i + secret.length, secret, 0, secret.length)) {
                return secret;
            }
        }
        return null;
    }

    /** Whether the bytes from {@code i} to the end are a proper prefix of some secret. */
    private boolean couldStartSecret(int i)
    {
        int rest = pending.length - i;
        for (byte[] secret : secrets) {
            if (secret.length > rest && Arrays.equals(pending, i, pending.length, secret, 0, rest)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public InputStream newReader(long offset)
    {
        return log.newReader(offset);
    }

    @Override
    public long size()
    {
        return log.size();
    }

    @Override
    public long droppedBytes()
    {
        return log.droppedBytes();
    }

    @Override
    public long droppedAfterClose()
    {
        return log.droppedAfterClose();
    }

    @Override
    public boolean isClosed()
    {
        return log.isClosed();
    }

    @Override
    public boolean isSpilled()
    {
        return log.isSpilled();
    }

    @Override
    public String contentAsString()
    {
        return log.contentAsString();
    }

    /** Writes out the held-back bytes, then closes the wrapped log. */
    @Override
    public void close()
    {
        synchronized (this) {
            drain(true);
        }
        log.close();
    }

    @Override
    public void dispose()
    {
        close();
        log.dispose();
    }
}
