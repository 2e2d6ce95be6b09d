package dev.taskyard.store.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Makes new directory entries durable (a file forced to disk can still vanish on power loss if its folder is not). */
public final class Durability
{
    private static final Logger LOG = LoggerFactory.getLogger(Durability.class);

    private Durability()
    {
    }

    /**
     * Forces each folder's entries to disk; best effort, since some platforms (Windows) cannot open folders.
     */
    public static void forceFolders(Path... folders)
    {
        for (Path folder : folders) {
            try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
                channel.force(true);
            }
            catch (IOException | UnsupportedOperationException e) {
                LOG.debug("cannot force folder {} to disk", folder, e);
            }
        }
    }
}
