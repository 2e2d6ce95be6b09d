package dev.taskyard.engine;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;

/** A raw, bidirectional RFB (VNC) byte stream to a display. The caller closes it. */
public interface DisplayConnection
        extends Closeable
{
    InputStream input();

    OutputStream output();
}
