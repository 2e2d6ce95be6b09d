package dev.taskyard.engine.process.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cgroup v2 side of {@link TaskCgroup} on the unified hierarchy of this host. These hosts are hybrid: v1
 * hierarchies hold the {@code memory}, {@code pids}, {@code cpu} and {@code freezer} controllers, and the kernel
 * offers a controller to cgroup v2 only while no v1 hierarchy has it, so the unified mount offers none of them
 * (checked below, so that the day it does, this test says so). What v2 does without controllers is exercised for
 * real: joining a task cgroup before the program runs ({@link Launcher}'s join step, through the engine's
 * {@link Spawner}), listing members, killing the whole group through {@code cgroup.kill}, removal; and setting the
 * limits fails loudly (no {@code memory.max} to write: the kernel answers EACCES) instead of silently running a task
 * unlimited. Needs root and a cgroup2 mount (CI: as root on these hosts; never skipped).
 */
@Timeout(60)
class CgroupV2Test
{
    private Path unified;
    private Path dir;

    @BeforeEach
    void createCgroup()
            throws Exception
    {
        unified = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .map(line -> line.split(" "))
                .filter(fields -> fields[2].equals("cgroup2"))
                .map(fields -> Path.of(fields[1]))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no cgroup2 mount in /proc/self/mounts"));
        dir = Files.createDirectory(unified.resolve("taskyard-test-" + UUID.randomUUID()));
    }

    @AfterEach
    void removeCgroup()
            throws Exception
    {
        if (Files.exists(dir)) {
            new TaskCgroup(true, Map.of("", dir)).remove();
        }
    }

    @Test
    void theHybridUnifiedMountOffersNoMemoryOrPidsController()
            throws Exception
    {
        Set<String> offered = Set.of(Files.readString(unified.resolve("cgroup.controllers")).trim().split("\\s+"));
        // /proc/cgroups: subsys_name hierarchy num_cgroups enabled; a non-zero hierarchy is a v1 one
        Map<String, String> hierarchies = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/cgroups"))) {
            String[] fields = line.split("\\s+");
            if (!line.startsWith("#") && fields.length >= 2) {
                hierarchies.put(fields[0], fields[1]);
            }
        }
        for (String controller : List.of("memory", "pids")) {
            assertThat(hierarchies.get(controller)).as("v1 hierarchy of " + controller).isNotEqualTo("0");
            assertThat(offered).as("controllers of " + unified).doesNotContain(controller);
        }
        // so detection takes v1, and v2 limits have no files to write
        TaskCgroup group = new TaskCgroup(true, Map.of("", dir));
        assertThatThrownBy(() -> group.limit(new TaskLimits(1.0, 64, 32)))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("memory.max");
        assertThat(group.oomKills()).isZero();
    }

    @Test
    void tasksJoinBeforeTheyRunAndCgroupKillEndsTheWholeGroup()
            throws Exception
    {
        TaskCgroup group = new TaskCgroup(true, Map.of("", dir));
        Spawner spawner = Spawner.create(Spawner.Mode.AUTO, LoggerFactory.getLogger(CgroupV2Test.class));
        // the task forks two sleepers that leave its session: only the cgroup still finds them
        List<String> command = List.of("/bin/sh", "-c",
                "cat /proc/self/cgroup; setsid sleep 60 & setsid sleep 60 & echo started; wait");
        Child child = spawner.start(setsid -> Launcher.argv(command, Optional.of(group), Optional.empty(), List.of(),
                false, setsid), dir.getParent(), Map.of("PATH", "/usr/bin:/bin"),
                Spawner.Stdio.MERGED);
        BufferedReader output = new BufferedReader(new InputStreamReader(child.stdout(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line = output.readLine(); line != null && !line.equals("started"); line = output.readLine()) {
            lines.add(line);
        }
        assertThat(lines).as("/proc/self/cgroup of the task").contains("0::/" + dir.getFileName());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (group.members().length < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(group.members()).as("the shell and its two sleepers").hasSize(3).contains(child.pid());
        assertThat(dir.resolve("cgroup.kill")).exists();
        assertThat(group.killUntilEmpty(Duration.ofSeconds(10))).isTrue();
        assertThat(child.waitFor()).isEqualTo(128 + 9);
        assertThat(group.members()).isEmpty();
        group.remove();
        assertThat(dir).doesNotExist();
    }
}
