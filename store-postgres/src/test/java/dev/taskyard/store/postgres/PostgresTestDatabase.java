package dev.taskyard.store.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL the tests use, from the environment: {@code TASKYARD_TEST_PG_URL} (a JDBC URL of an existing
 * database), {@code TASKYARD_TEST_PG_USER}, {@code TASKYARD_TEST_PG_PASSWORD} (as {@code .ci/start-postgres} prints
 * them). Without them, or when the database cannot be reached, the calling test is skipped with the reason, unless
 * {@code CI=true}: then it fails. Each caller gets fresh schemas of its own ({@link #newSchema}), dropped by
 * {@link #dropSchema}.
 */
final class PostgresTestDatabase
{
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    final String url;
    final String user;
    final String password;

    private PostgresTestDatabase(String url, String user, String password)
    {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** The test database; skips (or fails with CI=true) the calling test when there is none. */
    static PostgresTestDatabase require()
    {
        String url = System.getenv("TASKYARD_TEST_PG_URL");
        String user = System.getenv().getOrDefault("TASKYARD_TEST_PG_USER", "postgres");
        String password = System.getenv().getOrDefault("TASKYARD_TEST_PG_PASSWORD", "");
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (url == null || url.isBlank()) {
            String reason = "TASKYARD_TEST_PG_URL is not set: no PostgreSQL for the tests (start one with: eval "
                    + "\"$(bash .ci/start-postgres)\")";
            if (ci) {
                throw new IllegalStateException(reason + "; with CI=true the PostgreSQL tests must run");
            }
            Assumptions.abort(reason);
        }
        try (Connection connection = DriverManager.getConnection(url, user, password)) {
            connection.isValid(5);
        }
        catch (SQLException e) {
            String reason = "PostgreSQL at " + url + " is not reachable: " + e.getMessage();
            if (ci) {
                throw new IllegalStateException(reason + "; with CI=true the PostgreSQL tests must run", e);
            }
            Assumptions.abort(reason);
        }
        return new PostgresTestDatabase(url, user, password);
    }

    /** A unique, not yet existing schema name for {@code owner}. */
    String newSchema(String owner)
    {
        String base = owner.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        base = base.substring(0, Math.min(20, base.length()));
        return "t_" + base + "_" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
    }

    void dropSchema(String schema)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(url, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    PostgresTaskStore.Builder store(String schema)
    {
        return PostgresTaskStore.Options.builder(url, user, password).schema(schema).poolSize(4);
    }
}
