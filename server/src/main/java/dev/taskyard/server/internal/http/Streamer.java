package dev.taskyard.server.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams blocking sources (a followed log, an artifact file) to responses on its own bounded pool, so that no
 * Jetty server thread waits for a task to write its log. When all {@code maxStreams} threads are busy the request
 * gets a 503 problem with {@code Retry-After}.
 */
public final class Streamer
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Streamer.class);

    /** Opens the source on the streaming thread; may throw an {@link ApiProblem} before anything is written. */
    @FunctionalInterface
    public interface Opener
    {
        InputStream open()
                throws Exception;
    }

    private final ThreadPoolExecutor pool;

    public Streamer(int maxStreams)
    {
        pool = new ThreadPoolExecutor(0, maxStreams, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread thread = new Thread(r, "taskyard-stream");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Answers {@code status} with the bytes of the opened source, written as they come (each chunk flushed).
     *
     * @throws ApiProblem 503 when every streaming thread is busy
     */
    public void stream(Exchange exchange, int status, String contentType, Map<String, String> headers, Opener opener)
    {
        try {
            pool.execute(() -> run(exchange, status, contentType, headers, opener));
        }
        catch (RejectedExecutionException e) {
            throw ApiProblem.of(503, "too-many-streams", "Service Unavailable",
                    "too many logs and artifacts are being streamed; retry later")
                    .withHeader("Retry-After", "5");
        }
    }

    /** Answers from a blocking computation (e.g. reading a finished log) run on the streaming pool. */
    @FunctionalInterface
    public interface Answer
    {
        void answer()
                throws Exception;
    }

    /**
     * Runs {@code answer} on the streaming pool; an {@link ApiProblem} it throws is sent.
     *
     * @throws ApiProblem 503 when every streaming thread is busy
     */
    public void run(Exchange exchange, Answer answer)
    {
        try {
            pool.execute(() -> {
                try {
                    answer.answer();
                }
                catch (ApiProblem problem) {
                    exchange.sendProblem(problem);
                }
                catch (Exception e) {
                    LOG.warn("answering {} failed: {}", exchange.path(), e.toString());
                    exchange.sendProblem(ApiProblem.notFound("nothing to read at " + exchange.path()));
                }
            });
        }
        catch (RejectedExecutionException e) {
            throw ApiProblem.of(503, "too-many-streams", "Service Unavailable",
                    "too many logs and artifacts are being streamed; retry later")
                    .withHeader("Retry-After", "5");
        }
    }

    private void run(Exchange exchange, int status, String contentType, Map<String, String> headers, Opener opener)
    {
        // a failed request (client gone, server stopping) interrupts a read that waits for a silent task's log
        Thread streaming = Thread.currentThread();
        java.util.concurrent.atomic.AtomicBoolean active = new java.util.concurrent.atomic.AtomicBoolean(true);
        exchange.request().addFailureListener(failure -> {
            synchronized (active) {
                if (active.get()) {
                    streaming.interrupt();
                }
            }
        });
        try {
            copy(exchange, status, contentType, headers, opener);
        }
        finally {
            synchronized (active) {
                active.set(false);
                Thread.interrupted();
            }
        }
    }

    private void copy(Exchange exchange, int status, String contentType, Map<String, String> headers, Opener opener)
    {
        InputStream in;
        try {
            in = opener.open();
        }
        catch (ApiProblem problem) {
            exchange.sendProblem(problem);
            return;
        }
        catch (Exception e) {
            LOG.warn("opening {} failed: {}", exchange.path(), e.toString());
            exchange.sendProblem(ApiProblem.notFound("nothing to read at " + exchange.path()));
            return;
        }
        if (!exchange.claim()) {
            closeQuietly(in);
            return;
        }
        var response = exchange.response();
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        if (exchange.request().getMethod().equals("HEAD")) {
            closeQuietly(in); // the headers only: a followed log would otherwise hold the answer until the run ends
            response.write(true, null, exchange.callback());
            return;
        }
        byte[] buffer = new byte[32 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (n == 0) {
                    continue;
                }
                FutureCallback written = new FutureCallback();
                response.write(false, ByteBuffer.wrap(buffer, 0, n), written);
                written.get();
            }
            response.write(true, null, exchange.callback());
        }
        catch (Exception e) {
            LOG.debug("streaming {} ended early: {}", exchange.path(), e.toString());
            exchange.callback().failed(e);
        }
    }

    private static void closeQuietly(InputStream in)
    {
        try {
            in.close();
        }
        catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close()
    {
        pool.shutdownNow();
    }
}
