package dev.taskyard.engine.testkit.contract;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import dev.taskyard.engine.DisplayConnection;

/** The client side of an RFB 3.8 handshake (security type None), enough to read the framebuffer size. */
public final class Rfb
{
    private Rfb() {}

    /** The framebuffer size a display announced. */
    public record ServerInit(int width, int height, String name) {}

    public static ServerInit handshake(DisplayConnection connection)
            throws IOException
    {
        DataInputStream in = new DataInputStream(connection.input());
        OutputStream out = connection.output();
        byte[] version = new byte[12];
        in.readFully(version);
        String announced = new String(version, StandardCharsets.US_ASCII);
        if (!announced.startsWith("RFB ")) {
            throw new IOException("not an RFB server: \"" + announced + "\"");
        }
        out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        int count = in.readUnsignedByte();
        if (count == 0) {
            int length = in.readInt();
            byte[] reason = new byte[length];
            in.readFully(reason);
            throw new IOException("the server refused the connection: " + new String(reason, StandardCharsets.UTF_8));
        }
        boolean none = false;
        for (int i = 0; i < count; i++) {
            none |= in.readUnsignedByte() == 1;
        }
        if (!none) {
            throw new IOException("the server does not offer security type None");
        }
        out.write(1);
        out.flush();
        int result = in.readInt();
        if (result != 0) {
            throw new IOException("security handshake failed: " + result);
        }
        out.write(1); // shared
        out.flush();
        int width = in.readUnsignedShort();
        int height = in.readUnsignedShort();
        in.readFully(new byte[16]); // pixel format
        byte[] name = new byte[in.readInt()];
        in.readFully(name);
        return new ServerInit(width, height, new String(name, StandardCharsets.UTF_8));
    }
}
