package dev.taskyard.engine;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.taskyard.engine.internal.BufferedTaskLog;

/**
 * The live log of one task: append-only bytes that any number of readers may follow from any offset while they
 * are written. Implementations are thread-safe; engines and plugins get theirs from {@link TaskContext#log()}.
 *
 * <ul>
 * <li>Bounded in memory: beyond a memory limit the content moves to a file in a spill folder.</li>
 * <li>Capped: bytes written beyond the cap are dropped and counted ({@link #droppedBytes()}); {@link #close()} then
 *     appends a visible notice naming the number of bytes dropped.</li>
 * <li>Writing after {@link #close()} never fails: the bytes are dropped and counted ({@link #droppedAfterClose()}),
 *     so an engine's output pump or a plugin that races the end of the task needs no error handling for it.</li>
 * <li>Readers from {@link #newReader(long)} block until more bytes arrive and see end-of-stream only after
 *     {@link #close()}.</li>
 * </ul>
 * The owner (the worker) closes the log when the task ends and {@linkplain #dispose() disposes} it when nobody
 * needs it any more.
 */
public interface TaskLog
{
    /** Bytes kept in memory before spilling to a file, unless configured otherwise. */
    int DEFAULT_MEMORY_LIMIT = 256 * 1024;

    /**
     * A new open log.
     *
     * @param spillFolder where the spill file goes once the log outgrows {@code memoryLimit}
     * @param memoryLimit at most this many bytes are held in memory; positive
     * @param cap bytes beyond this many are dropped; {@link Long#MAX_VALUE} for no cap; non-negative
     */
    static TaskLog create(Path spillFolder, int memoryLimit, long cap)
    {
        return new BufferedTaskLog(spillFolder, memoryLimit, cap);
    }

    /** Appends bytes; after {@link #close()} they are dropped and counted in {@link #droppedAfterClose()}. */
    void write(byte[] bytes, int offset, int length);

    /** Appends the UTF-8 bytes of {@code text}. */
    default void write(String text)
    {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(bytes, 0, bytes.length);
    }

    /** Appends {@code line} and a newline. */
    default void writeLine(String line)
    {
        write(line + "\n");
    }

    /** A stream that appends to this log; closing it does not close the log. Writes never fail (see {@link #write}). */
    default OutputStream outputStream()
    {
        return new OutputStream()
        {
            @Override
            public void write(int b)
            {
                TaskLog.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len)
            {
                TaskLog.this.write(b, off, len);
            }
        };
    }

    /** A reader from the first byte. */
    default InputStream newReader()
    {
        return newReader(0);
    }

    /** A reader that starts at byte {@code offset}, blocks for new bytes and ends after {@link #close()}. */
    InputStream newReader(long offset);

    /** Bytes stored so far (dropped bytes excluded, truncation notice included). */
    long size();

    /** Bytes dropped because of the cap. */
    long droppedBytes();

    /** Bytes written after {@link #close()}, which were dropped. */
    long droppedAfterClose();

    boolean isClosed();

    /** Whether the content has moved to a file. */
    boolean isSpilled();

    /** The whole content written so far, decoded as UTF-8. */
    String contentAsString();

    /**
     * Ends the log: later writes are dropped and counted, readers reach end-of-stream. If bytes were dropped because
     * of the cap, a line {@code [taskyard] log truncated: N bytes dropped beyond the cap of C bytes} is appended
     * first. Idempotent.
     */
    void close();

    /** Closes the log and deletes its spill file; open readers fail afterwards. Idempotent. */
    void dispose();
}
