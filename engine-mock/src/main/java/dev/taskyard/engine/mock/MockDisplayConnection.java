package dev.taskyard.engine.mock;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import dev.taskyard.engine.Display;
import dev.taskyard.engine.DisplayConnection;

/** An in-memory RFB 3.8 server for one client (security type None, a blank framebuffer). Thread-safe. */
final class MockDisplayConnection
        implements DisplayConnection
{
    private final MockEngine engine;
    private final Display display;
    private final Pipe toClient;
    private final Pipe toServer;
    private final InputStream clientInput;
    private final OutputStream clientOutput;

    MockDisplayConnection(MockEngine engine, Display display)
    {
        this.engine = engine;
        this.display = display;
        this.toClient = new Pipe(engine.spillFolder());
        this.toServer = new Pipe(engine.spillFolder());
        this.clientInput = toClient.reader();
        this.clientOutput = toServer.writer();
    }

    void serve()
    {
        engine.workers().submit(() -> {
            try (DataInputStream in = new DataInputStream(toServer.reader())) {
                DataOutputStream out = new DataOutputStream(toClient.writer());
                out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
                in.readFully(new byte[12]);
                out.write(new byte[] {1, 1});
                in.readUnsignedByte();
                out.writeInt(0);
                in.readUnsignedByte();
                out.writeShort(display.width());
                out.writeShort(display.height());
                out.write(new byte[] {32, 24, 0, 1, 0, (byte) 255, 0, (byte) 255, 0, (byte) 255, 16, 8, 0, 0, 0, 0});
                byte[] name = display.name().getBytes(StandardCharsets.UTF_8);
                out.writeInt(name.length);
                out.write(name);
                while (in.read() >= 0) {
                    // the mock ignores client messages
                }
            }
            catch (IOException e) {
                // the connection was closed
            }
        });
    }

    /** Closes both directions, as a killed sandbox does. */
    void abortSession()
    {
        toClient.close();
        toServer.close();
    }

    @Override
    public InputStream input()
    {
        return clientInput;
    }

    @Override
    public OutputStream output()
    {
        return clientOutput;
    }

    @Override
    public void close()
    {
        abortSession();
    }
}
