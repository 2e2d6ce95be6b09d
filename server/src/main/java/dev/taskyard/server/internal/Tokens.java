package dev.taskyard.server.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * Where the API's bearer tokens come from: the config's {@code server.tokens}, else the config's
 * {@code server.tokenFile} (one token a line), else {@code <data>/api-token}, which is generated on first start
 * (32 random bytes from {@link SecureRandom}, base64url) with owner-only permissions ({@code rw-------}).
 *
 * @param tokens the accepted tokens, never empty
 * @param file the token file read or written, if any
 * @param generated whether the file was created now
 */
public record Tokens(List<String> tokens, Path file, boolean generated)
{
    public static final String DEFAULT_FILE = "api-token";

    public static Tokens resolve(List<String> configured, Path tokenFile, Path dataFolder)
            throws IOException
    {
        if (!configured.isEmpty()) {
            return new Tokens(configured, null, false);
        }
        Path file = tokenFile != null ? tokenFile : dataFolder.resolve(DEFAULT_FILE);
        if (tokenFile == null && !Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            try {
                Files.createFile(file,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, token + "\n", StandardCharsets.US_ASCII);
                return new Tokens(List.of(token), file.toAbsolutePath(), true);
            }
            catch (FileAlreadyExistsException e) {
                // another start won the race: read it
            }
        }
        List<String> read = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::trim)
                .filter(t -> !t.isEmpty() && !t.startsWith("#")).toList();
        if (read.isEmpty()) {
            throw new IOException("the token file " + file + " holds no token");
        }
        return new Tokens(read, file.toAbsolutePath(), false);
    }
}
