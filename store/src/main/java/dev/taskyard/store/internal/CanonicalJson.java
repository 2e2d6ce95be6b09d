package dev.taskyard.store.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A canonical form of JSON documents for idempotency checks: object keys sorted, no whitespace, numbers by value
 * ({@code 1}, {@code 1.0} and {@code 1e0} are equal). Stateless and thread-safe.
 */
public final class CanonicalJson
{
    private static final JsonFactory FACTORY = new JsonFactory();

    private CanonicalJson()
    {
    }

    /** The canonical form of {@code node} in UTF-8. */
    public static byte[] bytes(JsonNode node)
    {
        requireNonNull(node, "node is null");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            write(node, generator);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The hex SHA-256 of the canonical form. */
    public static String sha256(JsonNode node)
    {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(node)));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    private static void write(JsonNode node, JsonGenerator generator)
            throws IOException
    {
        if (node.isObject()) {
            Map<String, JsonNode> sorted = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                sorted.put(field.getKey(), field.getValue());
            }
            generator.writeStartObject();
            for (Map.Entry<String, JsonNode> field : sorted.entrySet()) {
                generator.writeFieldName(field.getKey());
                write(field.getValue(), generator);
            }
            generator.writeEndObject();
        }
        else if (node.isArray()) {
            generator.writeStartArray();
            for (JsonNode element : node) {
                write(element, generator);
            }
            generator.writeEndArray();
        }
        else if (node.isNumber()) {
            BigDecimal value = node.decimalValue().stripTrailingZeros();
            generator.writeNumber(value.signum() == 0 ? "0" : value.toString());
        }
        else if (node.isTextual()) {
            generator.writeString(node.textValue());
        }
        else if (node.isBoolean()) {
            generator.writeBoolean(node.booleanValue());
        }
        else {
            generator.writeNull();
        }
    }
}
