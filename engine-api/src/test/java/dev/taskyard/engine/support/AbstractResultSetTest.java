package dev.taskyard.engine.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.TestThreads;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AbstractResultSetTest
{
    /** A result set that counts its releases and can feed files through {@link AbstractResultSet#feed}. */
    static class TestResultSet
            extends AbstractResultSet
    {
        final AtomicInteger releases = new AtomicInteger();

        TestResultSet(Termination termination)
        {
            super(termination);
        }

        @Override
        protected void release()
                throws EngineException
        {
            releases.incrementAndGet();
        }

        static void feedFiles(List<String> files, Opener opener, FileHandler handler)
                throws EngineException
        {
            feed(files, opener, handler);
        }

        boolean disposed()
        {
            return isDisposed();
        }
    }

    /** A stream that remembers whether it was closed. */
    static final class TrackedStream
            extends ByteArrayInputStream
    {
        boolean closed;

        TrackedStream(String content)
        {
            super(content.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    // --- outcome

    @Test
    void successMeansTheTaskExitedCleanly()
    {
        assertThat(new TestResultSet(Termination.exited(0)).success()).isTrue();
        assertThat(new TestResultSet(Termination.exited(1)).success()).isFalse();
        assertThat(new TestResultSet(Termination.exited(0).asKilled(false)).success()).isFalse();
        assertThat(new TestResultSet(Termination.signalled(9)).success()).isFalse();
        assertThat(new TestResultSet(Termination.exited(2)).termination()).isEqualTo(Termination.exited(2));
        assertThatThrownBy(() -> new TestResultSet(null)).isInstanceOf(NullPointerException.class);
    }

    // --- disposal

    @Test
    void disposeIsIdempotentAndReleasesOnce()
            throws Exception
    {
        TestResultSet result = new TestResultSet(Termination.exited(0));
        assertThat(result.disposed()).isFalse();

        result.dispose();
        result.dispose();

        assertThat(result.releases).hasValue(1);
        assertThat(result.disposed()).isTrue();
    }

    @Test
    void concurrentDisposeReleasesOnce()
            throws Exception
    {
        for (int round = 0; round < 50; round++) {
            TestResultSet result = new TestResultSet(Termination.exited(0));

            TestThreads.runTogether(8, () -> {
                result.dispose();
                return null;
            });

            assertThat(result.releases).hasValue(1);
        }
    }

    @Test
    void callsAfterDisposeThrowIllegalStateException()
            throws Exception
    {
        TestResultSet result = new TestResultSet(Termination.exited(0));
        result.dispose();

        assertThatThrownBy(result::success).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(result::termination).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> result.extractFile("/out.txt")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> result.extractFolder("/out", (path, in) -> {}))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void artifactsAreUnsupportedUnlessOverridden()
    {
        TestResultSet result = new TestResultSet(Termination.exited(0));

        assertThatThrownBy(() -> result.extractFile("/out.txt")).isInstanceOf(FeatureNotSupportedException.class);
        assertThatThrownBy(() -> result.extractFolder("/out", (path, in) -> {}))
                .isInstanceOf(FeatureNotSupportedException.class);
    }

    @Test
    void failingReleaseIsReportedOnceAndNotRetried()
            throws Exception
    {
        NonFatalInternalErrorException failure = new NonFatalInternalErrorException("cannot delete folder");
        TestResultSet result = new TestResultSet(Termination.exited(0))
        {
            @Override
            protected void release()
                    throws EngineException
            {
                super.release();
                throw failure;
            }
        };

        assertThatThrownBy(result::dispose).isSameAs(failure);
        result.dispose();

        assertThat(result.releases).hasValue(1);
        assertThatThrownBy(result::success).isInstanceOf(IllegalStateException.class);
    }

    // --- feed

    @Test
    void feedCallsTheHandlerForEveryFileInOrderAndClosesEachStream()
            throws Exception
    {
        Map<String, TrackedStream> streams = Map.of("a.txt", new TrackedStream("A"),
                "sub/b.txt", new TrackedStream("B"), "sub/deeper/c.txt", new TrackedStream("C"));
        List<String> seen = new ArrayList<>();

        TestResultSet.feedFiles(List.of("a.txt", "sub/b.txt", "sub/deeper/c.txt"), streams::get, (path, in) -> {
            assertThat(streams.get(path).closed).as("open while the handler runs").isFalse();
            seen.add(path + "=" + new String(in.readAllBytes(), StandardCharsets.UTF_8));
        });

        assertThat(seen).containsExactly("a.txt=A", "sub/b.txt=B", "sub/deeper/c.txt=C");
        assertThat(streams.values()).allSatisfy(stream -> assertThat(stream.closed).isTrue());
    }

    @Test
    void feedOfNothingCallsNothing()
            throws Exception
    {
        TestResultSet.feedFiles(List.of(), path -> {
            throw new AssertionError("opened " + path);
        }, (path, in) -> {
            throw new AssertionError("handled " + path);
        });
    }

    @Test
    void feedWrapsAHandlerFailureAndStops()
    {
        List<String> opened = new ArrayList<>();
        List<TrackedStream> streams = new ArrayList<>();
        IOException failure = new IOException("disk full");

        assertThatThrownBy(() -> TestResultSet.feedFiles(List.of("a", "b", "c"), path -> {
            opened.add(path);
            TrackedStream stream = new TrackedStream(path);
            streams.add(stream);
            return stream;
        }, (path, in) -> {
            if (path.equals("b")) {
                throw failure;
            }
        }))
                .isInstanceOf(HandlerInterruptedException.class)
                .hasCause(failure)
                .hasMessageContaining("b")
                .hasMessageContaining("disk full");

        assertThat(opened).containsExactly("a", "b");
        assertThat(streams).allSatisfy(stream -> assertThat(stream.closed).isTrue());
    }

    @Test
    void feedWrapsARuntimeFailureOfTheHandler()
    {
        IllegalStateException failure = new IllegalStateException("handler bug");

        assertThatThrownBy(() -> TestResultSet.feedFiles(List.of("a"), path -> new TrackedStream(path), (path, in) -> {
            throw failure;
        })).isInstanceOf(HandlerInterruptedException.class).hasCause(failure);
    }

    /** Any handler failure, an engine error included, stops the extraction with handler-interrupted. */
    @Test
    void feedWrapsAnEngineExceptionOfTheHandler()
    {
        MalformedPayloadException failure = new MalformedPayloadException("the plugin refused the file");

        assertThatThrownBy(() -> TestResultSet.feedFiles(List.of("a"), path -> new TrackedStream(path), (path, in) -> {
            throw failure;
        })).isInstanceOf(HandlerInterruptedException.class).hasCause(failure);
    }

    @Test
    void feedWrapsAnOpenerFailure()
    {
        ResourceNotFoundException failure = new ResourceNotFoundException("vanished");
        AtomicInteger handled = new AtomicInteger();

        assertThatThrownBy(() -> TestResultSet.feedFiles(List.of("a", "b"), path -> {
            if (path.equals("b")) {
                throw failure;
            }
            return new TrackedStream(path);
        }, (path, in) -> handled.incrementAndGet())).isInstanceOf(HandlerInterruptedException.class).hasCause(failure);

        assertThat(handled).hasValue(1);
    }

    @Test
    void feedKeepsTheInterruptStatusOfAnInterruptedHandler()
    {
        InterruptedException failure = new InterruptedException("stop");
        try {
            assertThatThrownBy(() ->
                    TestResultSet.feedFiles(List.of("a"), path -> new TrackedStream(path), (path, in) -> {
                throw failure;
            })).isInstanceOf(HandlerInterruptedException.class).hasCause(failure);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        }
        finally {
            Thread.interrupted();
        }
    }

    @Test
    void feedWrapsAFailureToCloseTheStream()
    {
        IOException failure = new IOException("close failed");

        assertThatThrownBy(() -> TestResultSet.feedFiles(List.of("a"), path -> new InputStream()
        {
            @Override
            public int read()
            {
                return -1;
            }

            @Override
            public void close()
                    throws IOException
            {
                throw failure;
            }
        }, (path, in) -> {})).isInstanceOf(HandlerInterruptedException.class).hasCause(failure);
    }
}
