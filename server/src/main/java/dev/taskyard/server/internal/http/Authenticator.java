package dev.taskyard.server.internal.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Checks bearer tokens in constant time ({@link MessageDigest#isEqual}); every configured token is compared, so the
 * time taken does not tell which one matched or how much of one did.
 */
public final class Authenticator
{
    private final List<byte[]> tokens;

    public Authenticator(List<String> tokens)
    {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("at least one token is required");
        }
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /**
     * Accepts the {@code Authorization} header value or throws the 401 problem.
     *
     * @throws ApiProblem 401 with {@code WWW-Authenticate: Bearer}, when the header is missing, not a bearer token,
     *         or no configured token
     */
    public void check(String authorization)
    {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiProblem.of(401, "unauthorized", "Unauthorized",
                    "a bearer token is required: Authorization: Bearer <token>")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"taskyard\"");
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] token : tokens) {
            ok |= MessageDigest.isEqual(token, given);
        }
        if (!ok) {
            throw ApiProblem.of(401, "unauthorized", "Unauthorized", "the bearer token is not valid")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"taskyard\", error=\"invalid_token\"");
        }
    }
}
