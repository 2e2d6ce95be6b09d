package dev.taskyard.engine.testkit.contract;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Volumes: write/read across sandboxes, empty, read-only enforced, naming conflict; or feature-not-supported. */
public interface VolumeContract
        extends ContractCase
{
    private Volume newVolume()
            throws Exception
    {
        return within("newVolume({})", () -> engine().newVolume(JsonNodeFactory.instance.objectNode()));
    }

    private boolean runWithVolume(String payload, Volume volume, boolean readOnly)
            throws Exception
    {
        KitRun run = newRun(payload);
        within("attachVolume", () -> {
            run.builder().attachVolume(payloads().volumeMountPoint(), volume, readOnly);
            return null;
        });
        boolean success = within("a run with a volume", run::run);
        run.dispose();
        return success;
    }

    @Test
    default void writeThenReadVolume()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_VOLUMES)) {
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "newVolume on an engine declared without volumes",
                    () -> engine().newVolume(JsonNodeFactory.instance.objectNode()));
            KitRun run = newRun(payloads().silent());
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "attachVolume on an engine declared without volumes",
                    () -> run.builder().attachVolume("/kit", () -> {}, false));
            return;
        }
        String mountPoint = payloads().volumeMountPoint();
        Volume volume = newVolume();
        try {
            runWithVolume(payloads().writeVolume(mountPoint), volume, false);
            check(runWithVolume(payloads().checkVolume(mountPoint), volume, false), ContractRule.VOLUMES,
                    "what one sandbox wrote was not there for the next one");
            check(runWithVolume(payloads().checkVolume(mountPoint), volume, true), ContractRule.VOLUMES,
                    "a read-only mount could not be read");
        }
        finally {
            volume.dispose();
        }
    }

    @Test
    default void readEmptyVolume()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_VOLUMES)) {
            return;
        }
        Volume volume = newVolume();
        try {
            check(!runWithVolume(payloads().checkVolume(payloads().volumeMountPoint()), volume, false),
                    ContractRule.VOLUMES, "the check passed on an empty volume");
        }
        finally {
            volume.dispose();
        }
    }

    @Test
    default void readOnlyVolumeIsEnforced()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_VOLUMES)) {
            return;
        }
        String mountPoint = payloads().volumeMountPoint();
        Volume volume = newVolume();
        try {
            runWithVolume(payloads().writeVolume(mountPoint), volume, true);
            check(!runWithVolume(payloads().checkVolume(mountPoint), volume, false), ContractRule.VOLUMES,
                    "a write through a read-only mount went through");
        }
        finally {
            volume.dispose();
        }
    }

    @Test
    default void volumeMountPointConflict()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_VOLUMES)) {
            return;
        }
        Volume first = newVolume();
        Volume second = newVolume();
        try {
            KitRun run = newRun(payloads().silent());
            run.builder().attachVolume(payloads().volumeMountPoint(), first, false);
            expectError(ContractRule.NAMING_CONFLICT, NamingConflictException.class,
                    "attachVolume at a mount point in use",
                    () -> run.builder().attachVolume(payloads().volumeMountPoint(), second, true));
            run.dispose();
        }
        finally {
            first.dispose();
            second.dispose();
        }
    }
}
