package dev.taskyard.engine;

import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TerminationTest
{
    @Test
    void onlyExitCodeZeroExitsCleanly()
    {
        assertThat(Termination.exited(0).exitedCleanly()).isTrue();
        assertThat(Termination.exited(1).exitedCleanly()).isFalse();
        assertThat(Termination.exited(-1).exitedCleanly()).isFalse();
        assertThat(Termination.signalled(9).exitedCleanly()).isFalse();
    }

    @Test
    void exitedAndSignalledFillOneSide()
    {
        assertThat(Termination.exited(3))
                .isEqualTo(new Termination(OptionalInt.of(3), OptionalInt.empty(), false, false, false));
        assertThat(Termination.signalled(15))
                .isEqualTo(new Termination(OptionalInt.empty(), OptionalInt.of(15), false, false, false));
    }

    @Test
    void killedTimedOutOrOutOfMemoryIsNeverClean()
    {
        assertThat(new Termination(OptionalInt.of(0), OptionalInt.empty(), true, false,
                false).exitedCleanly()).isFalse();
        assertThat(new Termination(OptionalInt.of(0), OptionalInt.empty(), false, true,
                false).exitedCleanly()).isFalse();
        assertThat(new Termination(OptionalInt.of(0), OptionalInt.empty(), false, false,
                true).exitedCleanly()).isFalse();
    }

    @Test
    void asKilledMarksKilledAndKeepsTheRest()
    {
        Termination killed = Termination.exited(0).asKilled(false);

        assertThat(killed.killed()).isTrue();
        assertThat(killed.timedOut()).isFalse();
        assertThat(killed.exitCode()).hasValue(0);
        assertThat(killed.signal()).isEmpty();
        assertThat(killed.exitedCleanly()).isFalse();

        Termination signalled =
                new Termination(OptionalInt.empty(), OptionalInt.of(9), false, false, true).asKilled(false);
        assertThat(signalled.signal()).hasValue(9);
        assertThat(signalled.outOfMemory()).isTrue();
        assertThat(signalled.killed()).isTrue();
    }

    @Test
    void asKilledAtTheDeadlineMarksTimedOut()
    {
        Termination timedOut = Termination.signalled(9).asKilled(true);

        assertThat(timedOut.killed()).isTrue();
        assertThat(timedOut.timedOut()).isTrue();
        assertThat(timedOut.asKilled(false).timedOut()).as("timed out stays timed out").isTrue();
    }

    @Test
    void absentValuesAreOptionalNotNull()
    {
        assertThatThrownBy(() -> new Termination(null, OptionalInt.empty(), false, false, false))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Termination(OptionalInt.empty(), null, false, false, false))
                .isInstanceOf(NullPointerException.class);
    }
}
