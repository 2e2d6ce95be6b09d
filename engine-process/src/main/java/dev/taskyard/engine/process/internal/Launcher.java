package dev.taskyard.engine.process.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the argv that starts a task's program with its protections, each step exec'ing the next, so the pid the
 * JVM sees stays the one process until the program runs:
 * <ol>
 * <li>with a cgroup: {@code /bin/sh -c} joins the task's cgroup in every hierarchy (the built-in {@code echo 0 >
 *     cgroup.procs}), so limits hold before the program's first instruction;</li>
 * <li>{@code setsid -w}: a session of its own (the session sweep's key, and no controlling terminal), except for a
 *     task in bubblewrap with a cgroup, where bubblewrap makes the session ({@code --new-session}) and the cgroup
 *     does the sweep (with {@code setsid} in front, the sandbox's processes stay in that session, so that killing
 *     the session also ends the sandbox's pid namespace); left out when the {@link Spawner} makes the first process
 *     a session leader itself ({@code posix_spawn} with {@code POSIX_SPAWN_SETSID}), which saves one exec;</li>
 * <li>with bubblewrap: {@code bwrap …} (see {@link Bubblewrap});</li>
 * <li>with an account: {@code setpriv} switches to its uid and gid, drops every supplementary group and
 *     capability (bounding set included) and sets no-new-privileges;</li>
 * <li>the program.</li>
 * </ol>
 *
 * <p>Stateless.
 */
final class Launcher
{
    static final String SETSID = "/usr/bin/setsid";

    // exit code 125 when the join fails: before the program ran, so the task never ran unlimited
    private static final String JOIN =
            "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo 0 > \"$1\" || { echo \"taskyard: cannot join the task's "
            + "cgroup $1\" >&2; exit 125; }; "
            + "shift; n=$((n - 1)); done; exec \"$@\"";

    private Launcher() {}

    /**
     * The full argv.
     *
     * @param bubblewrap the bwrap arguments through {@code --}, empty for none
     * @param sessionSweep whether the caller finds the processes by session (then the program is always in a
     *        session of its own)
     * @param setsid whether the argv makes the session ({@code setsid}); {@code false} when the spawner does
     */
    static List<String> argv(List<String> command, Optional<TaskCgroup> cgroup, Optional<Users.Account> account,
            List<String> bubblewrap, boolean sessionSweep, boolean setsid)
    {
        List<String> argv = new ArrayList<>();
        if (cgroup.isPresent()) {
            List<Path> files = cgroup.get().procsFiles();
            argv.addAll(List.of("/bin/sh", "-c", JOIN, "sh", Integer.toString(files.size())));
            files.forEach(file -> argv.add(file.toString()));
        }
        if (sessionSweep || bubblewrap.isEmpty()) {
            if (setsid) {
                argv.addAll(List.of(SETSID, "-w", "--"));
            }
            argv.addAll(bubblewrap);
        }
        else {
            argv.add(bubblewrap.get(0));
            argv.add("--new-session");
            argv.addAll(bubblewrap.subList(1, bubblewrap.size()));
        }
        account.ifPresent(user ->
                argv.addAll(List.of(Isolation.SETPRIV, "--reuid=" + user.uid(), "--regid=" + user.gid(),
                "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--")));
        argv.addAll(command);
        return argv;
    }
}
