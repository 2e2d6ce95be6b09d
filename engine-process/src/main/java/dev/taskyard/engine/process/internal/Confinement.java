package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * What confines one task besides its work dir: the account it runs as (none: the server's) and its cgroup (none:
 * no limits). Owned by the task's sandbox, then its result set; {@link #release} kills what is left and deletes both,
 * once.
 *
 * <p>Thread-safe.
 */
final class Confinement
{
    private final Optional<Users.Account> account;
    private final boolean fresh;
    private final Optional<TaskCgroup> cgroup;
    private final List<String> bubblewrap;
    private final AtomicBoolean released = new AtomicBoolean();

    /**
     * @param account the task's account, if it is not the server's
     * @param fresh whether the account was made for this task (and is deleted with it)
     * @param cgroup the task's cgroup, if the engine uses cgroups
     * @param bubblewrap the bwrap arguments for the task's work dir and folder (through {@code --}), empty for none
     */
    Confinement(Optional<Users.Account> account, boolean fresh, Optional<TaskCgroup> cgroup, List<String> bubblewrap)
    {
        this.account = requireNonNull(account, "account is null");
        this.fresh = fresh;
        this.cgroup = requireNonNull(cgroup, "cgroup is null");
        this.bubblewrap = List.copyOf(bubblewrap);
    }

    Optional<Users.Account> account()
    {
        return account;
    }

    Optional<TaskCgroup> cgroup()
    {
        return cgroup;
    }

    /** Whether the kernel's OOM killer killed a process of the task. */
    boolean outOfMemory()
    {
        return cgroup.map(group -> group.oomKills() > 0).orElse(false);
    }

    /** The argv of a program of this task (its main process or a shell), with or without the setsid step. */
    Spawner.Argv argv(List<String> command, boolean sessionSweep)
    {
        return setsid -> Launcher.argv(command, cgroup, account, bubblewrap, sessionSweep, setsid);
    }

    /**
     * Kills everything left in the cgroup and removes it, then kills what the fresh account still runs anywhere and
     * deletes it. Only the first call does anything: the uid may belong to another task afterwards.
     *
     * @throws IOException a part could not be removed; the rest was still tried
     */
    void release(Isolation isolation)
            throws IOException
    {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        IOException failure = null;
        if (cgroup.isPresent()) {
            try {
                cgroup.get().remove();
            }
            catch (IOException e) {
                failure = new IOException("cannot remove the task's cgroup " + cgroup.get() + ": " + e, e);
            }
        }
        if (fresh && account.isPresent()) {
            try {
                isolation.deleteAccount(account.get());
            }
            catch (IOException e) {
                IOException wrapped =
                        new IOException("cannot delete the task's account " + account.get() + ": " + e, e);
                if (failure == null) {
                    failure = wrapped;
                }
                else {
                    failure.addSuppressed(wrapped);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
