package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.taskyard.engine.FatalInternalErrorException;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * What an engine protects its host with, decided once at engine creation from the config and the host: which
 * account tasks run as, whether they get cgroups, whether they run in bubblewrap. Protections asked for as
 * {@code auto}/{@code on} but unavailable are logged plainly, one warning line naming each; {@code required} ones
 * fail the engine's creation.
 *
 * <p>Thread-safe. Fresh accounts are handed out under a JVM-wide lock, so two engines in one JVM never share a uid.
 */
final class Isolation
{
    static final String BWRAP = "/usr/bin/bwrap";
    static final String SETPRIV = "/usr/bin/setpriv";

    private static final Set<Long> UIDS_IN_USE = new HashSet<>(); // guarded by itself
    private static long nextUid = -1; // guarded by UIDS_IN_USE

    private final IsolationConfig config;
    private final Optional<Users.Account> fixedAccount;
    private final boolean freshAccounts;
    private final Optional<Cgroups> cgroups;
    private final boolean bubblewrap;

    private Isolation(IsolationConfig config, Optional<Users.Account> fixedAccount, boolean freshAccounts,
            Optional<Cgroups> cgroups, boolean bubblewrap)
    {
        this.config = config;
        this.fixedAccount = fixedAccount;
        this.freshAccounts = freshAccounts;
        this.cgroups = cgroups;
        this.bubblewrap = bubblewrap;
    }

    /**
     * Decides the protections.
     *
     * @throws FatalInternalErrorException a required protection is unavailable, or the configured user is unknown
     */
    static Isolation create(IsolationConfig config, Logger logger)
            throws FatalInternalErrorException
    {
        requireNonNull(config, "config is null");
        List<String> unavailable = new ArrayList<>();
        boolean root = Users.isRoot();
        Optional<Users.Account> fixed = Optional.empty();
        boolean fresh = false;
        switch (config.runAs()) {
            case USER -> {
                if (!root) {
                    throw new FatalInternalErrorException("runAs user needs a server running as root; this one runs "
                            + "as uid " + Users.selfUid());
                }
                checkTool(SETPRIV, "runAs user");
                try {
                    fixed = Users.lookUp(config.user().orElseThrow());
                }
                catch (IOException e) {
                    throw new FatalInternalErrorException("cannot look up the user "
                            + config.user().orElseThrow() + ": " + e, e);
                }
                if (fixed.isEmpty()) {
                    throw new FatalInternalErrorException("runAs user: no such user " + config.user().orElseThrow());
                }
                if (fixed.get().uid() == 0) {
                    throw new FatalInternalErrorException("runAs user: " + fixed.get()
                            + " is root, which protects nothing");
                }
            }
            case FRESH -> {
                if (!root) {
                    throw new FatalInternalErrorException("runAs fresh needs a server running as root to create "
                            + "accounts; this one runs as uid " + Users.selfUid());
                }
                checkTool(SETPRIV, "runAs fresh");
                checkTool("/usr/sbin/useradd", "runAs fresh");
                fresh = true;
            }
            case AUTO -> {
                if (root && Files.isExecutable(Path.of(SETPRIV)) && Files.isExecutable(Path.of("/usr/sbin/useradd"))) {
                    fresh = true;
                }
                else {
                    unavailable.add("tasks run as the server's own user (uid " + Users.selfUid()
                            + "): they can read everything the server can, "
                            + "including its data folder, and signal the server"
                                    + (root ? " (setpriv or useradd missing)" : " (the server is not root)"));
                }
            }
            case SERVER -> {
                // asked for: nothing to report
            }
        }
        Optional<Cgroups> cgroups = Optional.empty();
        if (config.cgroups() != IsolationConfig.Mode.OFF) {
            try {
                cgroups = Optional.of(Cgroups.detect());
            }
            catch (Cgroups.UnavailableException e) {
                if (config.cgroups() == IsolationConfig.Mode.REQUIRED) {
                    throw new FatalInternalErrorException("cgroups are required, but unavailable: " + e.getMessage());
                }
                unavailable.add("no cgroups (" + e.getMessage()
                        + "): no memory, process or CPU limits, a task that calls setsid() escapes the final kill");
            }
        }
        boolean bubblewrap = false;
        if (config.bubblewrap() != IsolationConfig.Mode.OFF) {
            Optional<String> problem = Bubblewrap.probe();
            if (problem.isEmpty()) {
                bubblewrap = true;
            }
            else if (config.bubblewrap() == IsolationConfig.Mode.REQUIRED) {
                throw new FatalInternalErrorException("bubblewrap is required, but unusable: " + problem.get());
            }
            else {
                unavailable.add("no bubblewrap (" + problem.get()
                        + "): tasks see the host's file system, network and processes");
            }
        }
        for (String missing : unavailable) {
            logger.warn("process engine: protection unavailable: {}", missing);
        }
        Isolation isolation = new Isolation(config, fixed, fresh, cgroups, bubblewrap);
        logger.info("process engine isolation: {}", isolation);
        return isolation;
    }

    private static void checkTool(String path, String what)
            throws FatalInternalErrorException
    {
        if (!Files.isExecutable(Path.of(path))) {
            throw new FatalInternalErrorException(what + " needs " + path + ", which is missing");
        }
    }

    /** Whether tasks run as another user than the server's. */
    boolean switchesUser()
    {
        return freshAccounts || fixedAccount.isPresent();
    }

    boolean hasCgroups()
    {
        return cgroups.isPresent();
    }

    boolean bubblewrap()
    {
        return bubblewrap;
    }

    boolean allowNetwork()
    {
        return config.allowNetwork();
    }

    LimitsConfig limits()
    {
        return config.limits();
    }

    /** Creates the cgroup of a task, if the engine uses cgroups. */
    Optional<TaskCgroup> newCgroup(String name, TaskLimits limits)
            throws IOException
    {
        return cgroups.isEmpty() ? Optional.empty() : Optional.of(cgroups.get().create(name, limits));
    }

    /**
     * The account of a new task: the configured one, a fresh one (created now), or none (the server's).
     *
     * @param home the task's work dir, the account's home
     */
    Optional<Users.Account> newAccount(Path home)
            throws IOException
    {
        if (fixedAccount.isPresent() || !freshAccounts) {
            return fixedAccount;
        }
        long uid = reserveUid();
        try {
            return Optional.of(Users.create(uid, home));
        }
        catch (IOException | RuntimeException e) {
            releaseUid(uid);
            throw e;
        }
    }

    /** Whether the account was created for one task (and is deleted with it). */
    boolean isFresh(Users.Account account)
    {
        return freshAccounts && account.name().startsWith(Users.PREFIX);
    }

    /** Kills what the fresh account still runs and deletes it; frees its uid. */
    void deleteAccount(Users.Account account)
            throws IOException
    {
        try {
            if (!Users.killAllOf(account.uid())) {
                throw new IOException("processes of " + account + " survive SIGKILL; the account is kept");
            }
            Users.delete(account.name());
        }
        finally {
            releaseUid(account.uid());
        }
    }

    private long reserveUid()
            throws IOException
    {
        long first = config.firstUid();
        int count = config.uidCount();
        synchronized (UIDS_IN_USE) {
            if (nextUid < first || nextUid >= first + count) {
                nextUid = first;
            }
            for (int tried = 0; tried < count; tried++) {
                long uid = nextUid;
                nextUid = nextUid + 1 >= first + count ? first : nextUid + 1;
                if (!UIDS_IN_USE.contains(uid) && Users.lookUp(Long.toString(uid)).isEmpty()
                        && Users.processesOf(uid).length == 0) {
                    UIDS_IN_USE.add(uid);
                    return uid;
                }
            }
        }
        throw new IOException("every uid of the range " + first + ".." + (first + count - 1) + " is in use");
    }

    private static void releaseUid(long uid)
    {
        synchronized (UIDS_IN_USE) {
            UIDS_IN_USE.remove(uid);
        }
    }

    @Override
    public String toString()
    {
        String user = fixedAccount.map(account -> "tasks run as " + account)
                .orElse(freshAccounts ? "tasks run as fresh accounts (uids " + config.firstUid() + "+)"
                : "tasks run as the server's user");
        return user + "; " + cgroups.map(c -> "limits through " + c.describe()).orElse("no cgroups") + "; bubblewrap "
                + (bubblewrap ? "on" + (config.allowNetwork()
                ? " with the host's network" : ", no network") : "off");
    }
}
