package dev.taskyard.engine.mock;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.Volume;

/** An in-memory volume: file name → content. Thread-safe. */
final class MockVolume
        implements Volume
{
    private final Map<String, String> files = new ConcurrentHashMap<>();
    private final ResourceTracker.Resource resource;

    MockVolume(ResourceTracker.Resource resource)
    {
        this.resource = resource;
    }

    String read(String name)
    {
        return files.get(name);
    }

    void write(String name, String data)
    {
        files.put(name, data);
    }

    @Override
    public void dispose()
    {
        files.clear();
        resource.release();
    }
}
