package dev.taskyard.engine;

import java.io.InputStream;

/**
 * Receives the files of {@link ResultSet#extractFolder(String, FileHandler)}. May be called concurrently from
 * several threads. The stream is owned by the engine and closed after the call returns.
 */
@FunctionalInterface
public interface FileHandler
{
    /**
     * @param path relative to the extracted folder, {@code /}-separated, no leading slash; never a directory
     * @throws Exception any failure stops the extraction with {@link HandlerInterruptedException}
     */
    void handle(String path, InputStream content)
            throws Exception;
}
