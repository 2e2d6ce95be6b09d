package dev.taskyard.engine.support;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.TestThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.engine.TestThreads.TIMEOUT;
import static dev.taskyard.engine.TestThreads.await;
import static dev.taskyard.engine.TestThreads.awaitParked;
import static dev.taskyard.engine.TestThreads.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AbstractSandboxTest
{
    @TempDir
    Path spillFolder;

    /** A result set that counts its releases. */
    static final class TestResultSet
            extends AbstractResultSet
    {
        final AtomicInteger releases = new AtomicInteger();

        TestResultSet(Termination termination)
        {
            super(termination);
        }

        @Override
        protected void release()
        {
            releases.incrementAndGet();
        }
    }

    /** A sandbox whose task is whatever the test says; it counts kills, aborts and results made. */
    static class TestSandbox
            extends AbstractSandbox
    {
        final AtomicInteger kills = new AtomicInteger();
        final AtomicInteger aborts = new AtomicInteger();
        final AtomicInteger resultsMade = new AtomicInteger();
        final CountDownLatch killed = new CountDownLatch(1);

        TestSandbox(TaskContext context)
        {
            super(context);
        }

        @Override
        protected void killTask()
        {
            kills.incrementAndGet();
            killed.countDown();
        }

        @Override
        protected void abortTask()
                throws EngineException
        {
            aborts.incrementAndGet();
        }

        boolean finish(Termination termination)
        {
            return terminated(termination, effective -> {
                resultsMade.incrementAndGet();
                return new TestResultSet(effective);
            });
        }

        boolean fail(NonFatalInternalErrorException error)
        {
            return failed(error);
        }

        void watch()
        {
            watchContext();
        }

        void session(Session session)
                throws EngineException
        {
            addSession(session);
        }

        void forget(Session session)
        {
            removeSession(session);
        }

        void check()
                throws EngineException
        {
            checkRunning();
        }
    }

    /** A session that counts how often it was aborted. */
    static final class CountingSession
            implements AbstractSandbox.Session
    {
        final AtomicInteger aborts = new AtomicInteger();

        @Override
        public void abortSession()
        {
            aborts.incrementAndGet();
        }
    }

    private TaskContext newContext()
    {
        return TaskContext.builder().logSpillFolder(spillFolder).build();
    }

    private TestSandbox newSandbox()
    {
        return new TestSandbox(newContext());
    }

    // --- natural termination

    @Test
    void naturalTerminationResolvesWithTheResult()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        assertThat(sandbox.isResolved()).isFalse();
        sandbox.check();

        assertThat(sandbox.finish(Termination.exited(0))).isTrue();

        assertThat(sandbox.isResolved()).isTrue();
        ResultSet result = sandbox.waitForResult();
        assertThat(result.success()).isTrue();
        assertThat(result.termination()).isEqualTo(Termination.exited(0));
        assertThat(sandbox.waitForResult()).as("every call returns the same instance").isSameAs(result);
        assertThat(sandbox.finish(Termination.exited(1))).as("a second report is refused").isFalse();
        assertThat(sandbox.resultsMade).hasValue(1);
        assertThatThrownBy(sandbox::check).isInstanceOf(SandboxTerminatedException.class);
    }

    @Test
    void failingTaskGivesAnUnsuccessfulResult()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();

        sandbox.finish(Termination.exited(3));

        assertThat(sandbox.waitForResult().success()).isFalse();
        assertThat(sandbox.waitForResult().termination().exitCode()).hasValue(3);
    }

    @Test
    void abortAfterNaturalCompletionThrowsSandboxTerminatedAndReleasesNothing()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        sandbox.finish(Termination.exited(0));
        TestResultSet result = (TestResultSet) sandbox.waitForResult();

        assertThatThrownBy(sandbox::abort).isInstanceOf(SandboxTerminatedException.class);
        assertThatThrownBy(sandbox::abort).isInstanceOf(SandboxTerminatedException.class);

        assertThat(sandbox.aborts).hasValue(0);
        assertThat(result.releases).hasValue(0);
        assertThat(sandbox.waitForResult()).isSameAs(result);
        assertThat(result.success()).isTrue();
    }

    @Test
    void killAfterTerminationThrowsSandboxTerminated()
    {
        TestSandbox sandbox = newSandbox();
        sandbox.finish(Termination.exited(0));

        assertThatThrownBy(sandbox::kill).isInstanceOf(SandboxTerminatedException.class);
        assertThat(sandbox.kills).hasValue(0);
    }

    @Test
    void waitForResultBlockedUntilTermination()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CompletableFuture<ResultSet> waited = new CompletableFuture<>();
        Thread waiter = new Thread(() -> completeWithResult(sandbox, waited), "waiter");
        waiter.start();
        awaitParked(waiter);
        assertThat(waited).isNotDone();

        sandbox.finish(Termination.exited(0));

        join(waiter);
        assertThat(waited.get()).isSameAs(sandbox.waitForResult());
    }

    @Test
    void interruptedWaitForResultLeavesTheSandboxAlone()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        Thread.currentThread().interrupt();

        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(InterruptedException.class);

        assertThat(sandbox.isResolved()).isFalse();
        assertThat(sandbox.finish(Termination.exited(0))).isTrue();
    }

    // --- abort

    @Test
    void abortBeforeCompletionMakesWaitForResultThrowSandboxAborted()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();

        sandbox.abort();

        assertThat(sandbox.aborts).hasValue(1);
        assertThat(sandbox.isResolved()).isTrue();
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
        sandbox.abort();
        assertThat(sandbox.aborts).as("repeated aborts return normally and abort nothing more").hasValue(1);
        assertThatThrownBy(sandbox::check).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void terminatedAfterAbortReturnsFalse()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        sandbox.abort();

        assertThat(sandbox.finish(Termination.exited(0))).isFalse();

        assertThat(sandbox.resultsMade).hasValue(0);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void terminationReportedWhileAbortingIsRefused()
            throws Exception
    {
        AtomicReference<Boolean> accepted = new AtomicReference<>();
        TestSandbox sandbox = new TestSandbox(newContext())
        {
            @Override
            protected void abortTask()
            {
                accepted.set(finish(Termination.signalled(9)));
            }
        };

        sandbox.abort();

        assertThat(accepted.get()).isFalse();
        assertThat(sandbox.resultsMade).hasValue(0);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void killAfterAbortThrowsSandboxAborted()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        sandbox.abort();

        assertThatThrownBy(sandbox::kill).isInstanceOf(SandboxAbortedException.class);
        assertThat(sandbox.kills).hasValue(0);
    }

    @Test
    void waitForResultBlockedWhenAbortSucceedsThrowsSandboxAborted()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CompletableFuture<ResultSet> waited = new CompletableFuture<>();
        Thread waiter = new Thread(() -> completeWithResult(sandbox, waited), "waiter");
        waiter.start();
        awaitParked(waiter);

        sandbox.abort();

        join(waiter);
        assertThatThrownBy(waited::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void concurrentAbortWaitsForTheFirstAndAbortsOnce()
            throws Exception
    {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        TestSandbox sandbox = new TestSandbox(newContext())
        {
            @Override
            protected void abortTask()
                    throws EngineException
            {
                super.abortTask();
                entered.countDown();
                try {
                    await(proceed);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> abortUnchecked(sandbox));
        await(entered);
        CompletableFuture<Void> secondDone = new CompletableFuture<>();
        Thread second = new Thread(() -> {
            abortUnchecked(sandbox);
            secondDone.complete(null);
        }, "second-abort");
        second.start();
        awaitParked(second);
        assertThat(secondDone).as("the second abort waits for the first").isNotDone();
        assertThatThrownBy(sandbox::kill).as("aborting already").isInstanceOf(SandboxAbortedException.class);

        proceed.countDown();

        first.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        join(second);
        assertThat(secondDone).isDone();
        assertThat(sandbox.aborts).hasValue(1);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void failingAbortTaskStillResolvesTheSandboxAsAborted()
            throws Exception
    {
        NonFatalInternalErrorException failure = new NonFatalInternalErrorException("cannot remove container");
        TestSandbox sandbox = new TestSandbox(newContext())
        {
            @Override
            protected void abortTask()
                    throws EngineException
            {
                throw failure;
            }
        };

        assertThatThrownBy(sandbox::abort).isSameAs(failure);

        assertThat(sandbox.isResolved()).isTrue();
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
        assertThatCode(sandbox::abort).doesNotThrowAnyException();
    }

    /** Termination and abort race; exactly one of them resolves the sandbox, and every later call agrees. */
    @Test
    void terminationRacingAbortResolvesExactlyOnce()
            throws Exception
    {
        for (int round = 0; round < 300; round++) {
            TestSandbox sandbox = newSandbox();
            List<Callable<Object>> tasks = List.of(
                    () -> sandbox.finish(Termination.exited(0)),
                    () -> {
                        try {
                            sandbox.abort();
                            return "aborted";
                        }
                        catch (SandboxTerminatedException e) {
                            return e;
                        }
                    });

            List<Object> outcomes = TestThreads.runTogether(tasks);

            if (Boolean.TRUE.equals(outcomes.get(0))) {
                assertThat(outcomes.get(1)).isInstanceOf(SandboxTerminatedException.class);
                assertThat(sandbox.aborts).hasValue(0);
                assertThat(sandbox.waitForResult().success()).isTrue();
                assertThatThrownBy(sandbox::abort).isInstanceOf(SandboxTerminatedException.class);
            }
            else {
                assertThat(outcomes.get(1)).isEqualTo("aborted");
                assertThat(sandbox.aborts).hasValue(1);
                assertThat(sandbox.resultsMade).hasValue(0);
                assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
                assertThatCode(sandbox::abort).doesNotThrowAnyException();
            }
        }
    }

    // --- kill

    @Test
    void killThenTerminationGivesAKilledUnsuccessfulResult()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();

        sandbox.kill();

        assertThat(sandbox.kills).hasValue(1);
        assertThat(sandbox.isResolved()).as("kill does not wait").isFalse();
        assertThatThrownBy(sandbox::check).isInstanceOf(SandboxTerminatedException.class);
        assertThat(sandbox.finish(Termination.exited(0))).isTrue();
        ResultSet result = sandbox.waitForResult();
        assertThat(result.success()).isFalse();
        assertThat(result.termination().killed()).isTrue();
        assertThat(result.termination().timedOut()).isFalse();
        assertThat(result.termination().exitCode()).hasValue(0);
    }

    @Test
    void repeatedKillBeforeTerminationIsHarmless()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();

        sandbox.kill();
        sandbox.kill();
        sandbox.finish(Termination.signalled(9));

        assertThat(sandbox.waitForResult().termination().killed()).isTrue();
        assertThatThrownBy(sandbox::kill).isInstanceOf(SandboxTerminatedException.class);
    }

    @Test
    void abortAfterKillAbortsTheSandbox()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        sandbox.kill();

        sandbox.abort();

        assertThat(sandbox.aborts).hasValue(1);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    // --- the task context

    @Test
    void cancellingTheContextAbortsTheSandbox()
            throws Exception
    {
        TaskContext context = newContext();
        TestSandbox sandbox = new TestSandbox(context);
        sandbox.watch();

        context.cancel("user request");

        assertThat(sandbox.aborts).hasValue(1);
        assertThat(sandbox.isResolved()).isTrue();
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void contextCancelledBeforeWatchingAbortsAtOnce()
            throws Exception
    {
        TaskContext context = newContext();
        TestSandbox sandbox = new TestSandbox(context);
        context.cancel("user request");

        sandbox.watch();

        assertThat(sandbox.aborts).hasValue(1);
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
    }

    @Test
    void cancellingAfterTerminationLeavesTheResult()
            throws Exception
    {
        TaskContext context = newContext();
        TestSandbox sandbox = new TestSandbox(context);
        sandbox.watch();
        sandbox.finish(Termination.exited(0));

        context.cancel("too late");

        assertThat(sandbox.aborts).hasValue(0);
        TestResultSet result = (TestResultSet) sandbox.waitForResult();
        assertThat(result.success()).isTrue();
        assertThat(result.releases).hasValue(0);
    }

    @Test
    void watchingAfterResolutionDoesNothing()
            throws Exception
    {
        TaskContext context =
                TaskContext.builder().logSpillFolder(spillFolder).deadline(Instant.now().minusSeconds(1)).build();
        TestSandbox sandbox = new TestSandbox(context);
        sandbox.finish(Termination.exited(0));

        sandbox.watch();
        context.cancel("late");

        assertThat(sandbox.aborts).hasValue(0);
        assertThat(sandbox.waitForResult().success()).isTrue();
    }

    @Test
    void contextDeadlineKillsWithTimedOut()
            throws Exception
    {
        TaskContext context =
                TaskContext.builder().logSpillFolder(spillFolder).deadline(Instant.now().minusSeconds(1)).build();
        TestSandbox sandbox = new TestSandbox(context);

        sandbox.watch();
        await(sandbox.killed);
        sandbox.finish(Termination.signalled(9));

        ResultSet result = sandbox.waitForResult();
        assertThat(result.success()).isFalse();
        assertThat(result.termination().killed()).isTrue();
        assertThat(result.termination().timedOut()).isTrue();
        assertThat(result.termination().signal()).hasValue(9);
        assertThat(context.log().contentAsString()).contains("[taskyard] the task passed its deadline and was killed");
        assertThat(sandbox.aborts).hasValue(0);
    }

    // --- sessions

    @Test
    void sessionsAreAbortedOnKill()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CountingSession first = new CountingSession();
        CountingSession second = new CountingSession();
        CountingSession forgotten = new CountingSession();
        sandbox.session(first);
        sandbox.session(second);
        sandbox.session(forgotten);
        sandbox.forget(forgotten);

        sandbox.kill();

        assertThat(first.aborts).hasValue(1);
        assertThat(second.aborts).hasValue(1);
        assertThat(forgotten.aborts).hasValue(0);
        CountingSession late = new CountingSession();
        assertThatThrownBy(() -> sandbox.session(late)).isInstanceOf(SandboxTerminatedException.class);
        assertThat(late.aborts).hasValue(1);

        sandbox.finish(Termination.signalled(9));

        assertThat(first.aborts).as("aborted once only").hasValue(1);
        assertThat(second.aborts).hasValue(1);
    }

    @Test
    void sessionsAreAbortedOnResolution()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CountingSession session = new CountingSession();
        sandbox.session(session);

        sandbox.finish(Termination.exited(0));

        assertThat(session.aborts).hasValue(1);
        CountingSession late = new CountingSession();
        assertThatThrownBy(() -> sandbox.session(late)).isInstanceOf(SandboxTerminatedException.class);
        assertThat(late.aborts).hasValue(1);
    }

    @Test
    void sessionsAreAbortedOnAbort()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CountingSession session = new CountingSession();
        sandbox.session(session);

        sandbox.abort();

        assertThat(session.aborts).hasValue(1);
        CountingSession late = new CountingSession();
        assertThatThrownBy(() -> sandbox.session(late)).isInstanceOf(SandboxAbortedException.class);
        assertThat(late.aborts).hasValue(1);
    }

    @Test
    void failingSessionDoesNotStopTheOthers()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CountingSession before = new CountingSession();
        CountingSession after = new CountingSession();
        sandbox.session(before);
        sandbox.session(() -> {
            throw new IllegalStateException("session failure (expected by the test)");
        });
        sandbox.session(after);

        assertThatCode(() -> sandbox.finish(Termination.exited(0))).doesNotThrowAnyException();

        assertThat(before.aborts).hasValue(1);
        assertThat(after.aborts).hasValue(1);
        assertThat(sandbox.waitForResult().success()).isTrue();
    }

    // --- engine failure

    @Test
    void engineFailureIsThrownByEveryWaitForResult()
            throws Exception
    {
        TestSandbox sandbox = newSandbox();
        CountingSession session = new CountingSession();
        sandbox.session(session);
        NonFatalInternalErrorException failure = new NonFatalInternalErrorException("lost the process");

        assertThat(sandbox.fail(failure)).isTrue();

        assertThatThrownBy(sandbox::waitForResult).isSameAs(failure);
        assertThatThrownBy(sandbox::waitForResult).isSameAs(failure);
        assertThat(session.aborts).hasValue(1);
        assertThat(sandbox.finish(Termination.exited(0))).isFalse();
        assertThat(sandbox.fail(new NonFatalInternalErrorException("again"))).isFalse();
    }

    private static void completeWithResult(TestSandbox sandbox, CompletableFuture<ResultSet> target)
    {
        try {
            target.complete(sandbox.waitForResult());
        }
        catch (Throwable e) {
            target.completeExceptionally(e);
        }
    }

    private static void abortUnchecked(TestSandbox sandbox)
    {
        try {
            sandbox.abort();
        }
        catch (EngineException e) {
            throw new IllegalStateException(e);
        }
    }
}
