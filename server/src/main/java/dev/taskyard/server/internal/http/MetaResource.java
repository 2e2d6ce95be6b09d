package dev.taskyard.server.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import static java.util.Objects.requireNonNull;

/** {@code /healthz} (no token), {@code /v1/openapi.json} (the resource {@code openapi.json}) and {@code /metrics}. */
public final class MetaResource
{
    /** The OpenAPI 3.1 document of the API, on the class path next to this class's package root. */
    public static final String OPENAPI_RESOURCE = "/dev/taskyard/server/openapi.json";

    private final PrometheusMeterRegistry meters;
    private final byte[] openApi;

    public MetaResource(PrometheusMeterRegistry meters)
    {
        this.meters = requireNonNull(meters, "meters is null");
        try (InputStream in = MetaResource.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE);
            }
            this.openApi = in.readAllBytes();
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot read " + OPENAPI_RESOURCE, e);
        }
    }

    public void health(Exchange exchange, List<String> parameters)
    {
        ObjectNode body = Json.MAPPER.createObjectNode().put("status", "ok");
        exchange.sendJson(200, body, Map.of("Cache-Control", "no-store"));
    }

    public void openApi(Exchange exchange, List<String> parameters)
    {
        exchange.send(200, "application/json", openApi, Map.of());
    }

    public void metrics(Exchange exchange, List<String> parameters)
    {
        exchange.send(200, "text/plain; version=0.0.4; charset=utf-8",
                meters.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
    }
}
