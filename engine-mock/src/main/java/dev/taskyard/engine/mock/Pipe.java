package dev.taskyard.engine.mock;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

import dev.taskyard.engine.TaskLog;

/** An in-memory one-way byte pipe (a writer, any number of readers), built on {@link TaskLog}. Thread-safe. */
final class Pipe
{
    private final TaskLog buffer;

    Pipe(Path spillFolder)
    {
        this.buffer = TaskLog.create(spillFolder, 64 * 1024, Long.MAX_VALUE);
    }

    OutputStream writer()
    {
        return new OutputStream()
        {
            @Override
            public void write(int b)
                    throws IOException
            {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len)
                    throws IOException
            {
                if (buffer.isClosed()) {
                    throw new IOException("pipe is closed");
                }
                buffer.write(b, off, len);
            }

            @Override
            public void close()
            {
                buffer.close();
            }
        };
    }

    InputStream reader()
    {
        return buffer.newReader();
    }

    void close()
    {
        buffer.close();
    }
}
