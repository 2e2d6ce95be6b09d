package dev.taskyard.engine.mock;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.Display;
import dev.taskyard.engine.DisplayConnection;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NoSuchDisplayException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.ProxyRequest;
import dev.taskyard.engine.ProxyResponse;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

/** A running mock task. Thread-safe (see {@link AbstractSandbox}). */
final class MockSandbox
        extends AbstractSandbox
{
    static final Display PRIMARY = new Display("primary", "mock display", 640, 480);
    private static final int SIGKILL = 9;

    private final MockEngine engine;
    private final MockEngine.MockTask task;
    private final AbstractSandboxBuilder.Spec spec;
    private final Slot slot;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private volatile Future<?> pending;
    private final MockRuns.Run run;
    private final SandboxHandle handle;

    MockSandbox(MockEngine engine, MockEngine.MockTask task, TaskContext context,
            AbstractSandboxBuilder.Spec spec, Slot slot)
    {
        super(context);
        this.engine = engine;
        this.task = task;
        this.spec = spec;
        this.slot = slot;
        this.run = MockRuns.register(this);
        this.handle = new SandboxHandle(MockEngineProvider.NAME, "{\"run\":\"" + run.id + "\"}");
        engine.runs().add(run);
    }

    void begin()
    {
        watchContext();
        String function = task.function();
        if (function.equals("write-log-sleep")) {
            write(task.argument() + "\n");
        }
        if (function.equals("write-log-sleep-write-log")) {
            write(first(task.argument()) + "\n");
        }
        int delay = function.equals("slow-start") ? 0 : task.delay();
        if (function.equals("ping-proxy")) {
            pending = engine.workers().submit(() -> {
                try {
                    Thread.sleep(delay);
                }
                catch (InterruptedException e) {
                    return;
                }
                perform();
            });
        }
        else if (delay == 0) {
            perform();
        }
        else {
            pending = engine.timer().schedule(this::perform, delay, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void killTask()
    {
        Future<?> current = pending;
        if (current != null) {
            current.cancel(true);
        }
        terminate(Termination.signalled(SIGKILL));
    }

    @Override
    protected void abortTask()
    {
        Future<?> current = pending;
        if (current != null) {
            current.cancel(true);
        }
        forget("it was aborted");
        slot.release();
    }

    @Override
    public SandboxHandle handle()
    {
        return handle;
    }

    /** The task is gone for good: recovering its handle fails with resource-not-found from now on. */
    void forget(String why)
    {
        engine.runs().remove(run);
        run.gone(why);
    }

    @Override
    public Shell newShell(List<String> command, boolean tty)
            throws EngineException
    {
        checkRunning();
        MockShell shell = new MockShell(engine, tty,
                engine.context().tracker().acquire("mock-shell", context.taskId()));
        addSession(shell::abortSession);
        shell.start();
        return shell;
    }

    @Override
    public List<Display> listDisplays()
            throws EngineException
    {
        checkRunning();
        return List.of(PRIMARY);
    }

    @Override
    public DisplayConnection openDisplay(String name)
            throws EngineException
    {
        checkRunning();
        if (!PRIMARY.name().equals(name)) {
            throw new NoSuchDisplayException("no display named \"" + name + "\"; the mock has " + PRIMARY.name());
        }
        MockDisplayConnection connection = new MockDisplayConnection(engine, PRIMARY);
        addSession(connection::abortSession);
        connection.serve();
        return connection;
    }

    private void perform()
    {
        if (isResolved()) {
            return;
        }
        int exitCode;
        try {
            exitCode = execute();
        }
        catch (NonFatalInternalErrorException e) {
            if (failed(e)) {
                forget("the mock failed it");
                slot.release();
            }
            return;
        }
        terminate(Termination.exited(exitCode));
    }

    private void terminate(Termination termination)
    {
        Map<String, byte[]> written = Map.copyOf(files);
        Termination[] effective = new Termination[1];
        if (terminated(termination, t -> {
            effective[0] = t;
            return new MockResultSet(t, written, slot, () -> {
                // followers hear of the termination before the run is forgotten, whichever thread gets here first
                run.terminated(t, written);
                forget("its result was collected");
            });
        })) {
            // outside the sandbox's lock: followers take their own
            run.terminated(effective[0], written);
        }
    }

    private int execute()
            throws NonFatalInternalErrorException
    {
        String argument = task.argument();
        switch (task.function()) {
            case "false":
                return 1;
            case "exit":
                return Integer.parseInt(argument.trim());
            case "write-log":
                write(argument + "\n");
                return 0;
            case "write-error-log":
                write(argument + "\n");
                return 1;
            case "write-log-sleep-write-log":
                write(argument.substring(argument.indexOf('|') + 1) + "\n");
                return 0;
            case "write-log-no-newline":
                write(argument);
                return 0;
            case "print-env-var":
                write(spec.environment().getOrDefault(argument, "") + "\n");
                return 0;
            case "write-files":
                for (String path : argument.trim().split(" +")) {
                    files.put(path, "Hello World".getBytes(StandardCharsets.UTF_8));
                }
                return 0;
            case "write-volume":
                return volume(argument, true);
            case "read-volume":
                return volume(argument, false);
            case "ping-proxy":
                return ping(argument);
            case "nonfatal-internal-error":
                write("[mock] simulating a non-fatal internal error\n");
                throw new NonFatalInternalErrorException("the mock was asked to fail with a non-fatal internal error");
            default:
                return 0;
        }
    }

    private static String first(String argument)
    {
        int bar = argument.indexOf('|');
        return bar < 0 ? argument : argument.substring(0, bar);
    }

    private int volume(String argument, boolean write)
    {
        int colon = argument.indexOf(':');
        String path = colon < 0 ? argument : argument.substring(0, colon);
        String data = colon < 0 ? "" : argument.substring(colon + 1);
        for (AbstractSandboxBuilder.Mount mount : spec.volumes().values()) {
            String prefix = mount.mountPoint() + "/";
            if (path.startsWith(prefix)) {
                MockVolume volume = (MockVolume) mount.volume();
                String name = path.substring(prefix.length());
                if (!write) {
                    boolean present = data.equals(volume.read(name));
                    write(present ? "found " + path + "\n" : "missing " + path + "\n");
                    return present ? 0 : 1;
                }
                if (mount.readOnly()) {
                    write("cannot write " + path + ": read-only file system\n");
                    return 1;
                }
                volume.write(name, data);
                return 0;
            }
        }
        write("no volume is mounted above " + path + "\n");
        return 1;
    }

    private int ping(String proxyName)
    {
        write("Pinging\n");
        ProxyHandler handler = spec.proxies().get(proxyName);
        if (handler == null) {
            write("no proxy named " + proxyName + "\n");
            return 1;
        }
        try {
            ProxyResponse response = handler.handle(new ProxyRequest("GET", "/v1/ping", Map.of(), new byte[0]));
            write(new String(response.body(), StandardCharsets.UTF_8) + "\n");
            return response.status() == 200 ? 0 : 1;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        catch (Exception e) {
            write("the proxy failed: " + e + "\n");
            return 1;
        }
    }

    private void write(String text)
    {
        if (isResolved()) {
            return;
        }
        engine.writeLog(context, text);
        run.output(text);
    }
}
