package dev.taskyard.engine.docker.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class StreamPipeTest
{
    @Test
    void deliversEverythingThroughASmallBufferThenEnds()
            throws Exception
    {
        StreamPipe pipe = new StreamPipe(7);
        byte[] data = "0123456789".repeat(100).getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < data.length; i += 13) {
                    pipe.write(data, i, Math.min(13, data.length - i));
                }
                pipe.closeWriter();
            }
            catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(pipe.reader().readAllBytes()).isEqualTo(data);
        writer.get(5, TimeUnit.SECONDS);
    }

    @Test
    void closingTheReaderUnblocksAndDiscards()
            throws Exception
    {
        StreamPipe pipe = new StreamPipe(4);
        InputStream reader = pipe.reader();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                pipe.write(new byte[100], 0, 100);
            }
            catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(50);
        assertThat(writer).isNotDone();
        reader.close();
        writer.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(reader::read).isInstanceOf(IOException.class);
    }

    @Test
    void writesAfterCloseAreDropped()
            throws Exception
    {
        StreamPipe pipe = new StreamPipe(16);
        pipe.write("ab".getBytes(StandardCharsets.US_ASCII), 0, 2);
        pipe.closeWriter();
        pipe.write("cd".getBytes(StandardCharsets.US_ASCII), 0, 2);
        assertThat(new String(pipe.reader().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ab");
    }
}
