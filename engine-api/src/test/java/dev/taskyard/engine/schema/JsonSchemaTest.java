package dev.taskyard.engine.schema;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.TestThreads;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class JsonSchemaTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final JsonSchema PAYLOAD = JsonSchema.parse("""
            {
              "type": "object",
              "properties": {
                "command": {"type": "array", "items": {"type": "string"}},
                "odd key": {"type": "integer"},
                "it's": {"type": "integer"},
                "back\\\\slash": {"type": "integer"},
                "0": {"type": "integer"},
                "max-concurrency": {"type": "integer"},
                "when": {"type": "string", "format": "date-time"},
                "nested": {
                  "type": "object",
                  "properties": {
                    "list": {"type": "array", "items": {"type": "object", "properties": {"flag": {"type": "boolean"}}}}
                  }
                }
              }
            }
            """);

    private static JsonNode json(String text)
            throws IOException
    {
        return MAPPER.readTree(text);
    }

    private static List<String> paths(JsonSchema schema, String instance)
            throws IOException
    {
        return schema.validate(json(instance)).stream().map(Violation::path).toList();
    }

    @Test
    void arrayElementsArePathedWithIndexes()
            throws Exception
    {
        List<Violation> violations = PAYLOAD.validate(json("{\"command\": [1, \"ok\", true]}"));

        assertThat(violations).extracting(Violation::path, Violation::keyword)
                .containsExactlyInAnyOrder(tuple("$.command[0]", "type"), tuple("$.command[2]", "type"));
        assertThat(violations).allSatisfy(v -> assertThat(v.message()).contains("string expected"));
    }

    @Test
    void nestedPathsCombineNamesAndIndexes()
            throws Exception
    {
        assertThat(paths(PAYLOAD, "{\"nested\": {\"list\": [{\"flag\": true}, {\"flag\": 1}]}}"))
                .containsExactly("$.nested.list[1].flag");
    }

    @Test
    void namesThatAreNotIdentifiersAreBracketed()
            throws Exception
    {
        assertThat(paths(PAYLOAD, "{\"odd key\": \"x\"}")).containsExactly("$['odd key']");
        assertThat(paths(PAYLOAD, "{\"0\": \"x\"}")).as("a numeric name is not an index").containsExactly("$['0']");
    }

    @Test
    void quotesAndBackslashesInBracketedNamesAreEscaped()
            throws Exception
    {
        assertThat(paths(PAYLOAD, "{\"it's\": \"x\"}")).containsExactly("$['it\\'s']");
        assertThat(paths(PAYLOAD, "{\"back\\\\slash\": \"x\"}")).containsExactly("$['back\\\\slash']");
    }

    @Test
    void dashedNamesUseDotNotation()
            throws Exception
    {
        assertThat(paths(PAYLOAD, "{\"max-concurrency\": \"x\"}")).containsExactly("$.max-concurrency");
    }

    @Test
    void rootViolationsArePathedAsDollar()
            throws Exception
    {
        assertThat(PAYLOAD.validate(json("[]"))).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$", "type"));
    }

    @Test
    void dateTimeFormatIsAsserted()
            throws Exception
    {
        assertThat(PAYLOAD.validate(json("{\"when\": \"yesterday\"}"))).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$.when", "format"));
        assertThat(PAYLOAD.validate(json("{\"when\": \"2024-02-30T12:00:00Z\"}"))).as("no such day")
                .extracting(Violation::keyword).containsExactly("format");
        assertThat(PAYLOAD.validate(json("{\"when\": \"2024-05-01T12:00:00Z\"}"))).isEmpty();
        assertThat(PAYLOAD.validate(json("{\"when\": \"2024-05-01T12:00:00.5+02:00\"}"))).isEmpty();
    }

    @Test
    void validInstanceHasNoViolations()
            throws Exception
    {
        assertThat(PAYLOAD.validate(json("{\"command\": [\"echo\", \"hi\"], \"odd key\": 1, \"nested\": {\"list\": "
                + "[]}}"))).isEmpty();
    }

    @Test
    void everyViolationIsReported()
            throws Exception
    {
        JsonSchema schema = JsonSchema.parse("""
                {"type": "object", "required": ["a", "b"], "properties": {"c": {"type": "string", "maxLength": 2}}}
                """);

        assertThat(schema.validate(json("{\"c\": \"long\"}"))).extracting(Violation::path, Violation::keyword)
                .containsExactlyInAnyOrder(tuple("$", "required"), tuple("$", "required"), tuple("$.c", "maxLength"));
    }

    @Test
    void messagesDoNotRepeatThePath()
            throws Exception
    {
        List<Violation> violations = PAYLOAD.validate(json("{\"command\": [1]}"));

        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.message()).doesNotContain("$.command[0]").isNotBlank();
            assertThat(v).hasToString("$.command[0]: " + v.message());
        });
    }

    @Test
    void validationResultIsImmutable()
            throws Exception
    {
        List<Violation> violations = PAYLOAD.validate(json("[]"));

        assertThatThrownBy(() -> violations.add(violations.get(0))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> PAYLOAD.validate(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void documentIsADefensiveCopy()
            throws Exception
    {
        ObjectNode source = (ObjectNode) json(
                "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}}");
        JsonSchema schema = JsonSchema.of(source);
        JsonNode original = source.deepCopy();

        source.put("type", "array");
        ObjectNode returned = (ObjectNode) schema.document();
        returned.put("type", "array");
        ((ObjectNode) returned.get("properties").get("a")).put("type", "integer");

        assertThat(schema.document()).isEqualTo(original).isNotSameAs(schema.document());
        assertThat(schema.validate(json("{\"a\": \"text\"}"))).isEmpty();
        assertThat(schema.validate(json("{\"a\": 1}"))).extracting(Violation::path).containsExactly("$.a");
        assertThat(schema).hasToString(original.toString());
    }

    @Test
    void parseRefusesInvalidJson()
    {
        assertThatThrownBy(() -> JsonSchema.parse("{not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> JsonSchema.parse(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> JsonSchema.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void fromResourceReadsASchemaNextToTheAnchor()
            throws Exception
    {
        JsonSchema schema = JsonSchema.fromResource(JsonSchemaTest.class, "sample-schema.json");

        assertThat(schema.validate(json("{\"image\": \"debian\"}"))).isEmpty();
        assertThat(schema.validate(json("{\"image\": \"\"}"))).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$.image", "minLength"));
        assertThatThrownBy(() -> JsonSchema.fromResource(JsonSchemaTest.class, "missing.json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing.json");
    }

    @Test
    void emptyObjectAcceptsOnlyAnEmptyObject()
            throws Exception
    {
        JsonSchema schema = JsonSchema.emptyObject();

        assertThat(schema.validate(json("{}"))).isEmpty();
        assertThat(schema.validate(json("{\"a\": 1}"))).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$", "additionalProperties"));
        assertThat(schema.validate(json("\"text\""))).extracting(Violation::keyword).containsExactly("type");
    }

    @Test
    void sharedSchemaValidatesConcurrently()
            throws Exception
    {
        JsonNode bad = json("{\"command\": [1, \"ok\", true], \"when\": \"never\"}");
        List<Violation> expected = PAYLOAD.validate(bad);
        assertThat(expected).hasSize(3);

        TestThreads.runTogether(8, () -> {
            for (int i = 0; i < 200; i++) {
                assertThat(PAYLOAD.validate(bad)).containsExactlyInAnyOrderElementsOf(expected);
            }
            return null;
        });
    }

    @Test
    void violationRefusesNulls()
    {
        assertThatThrownBy(() -> new Violation(null, "type", "m")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Violation("$", null, "m")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Violation("$", "type", null)).isInstanceOf(NullPointerException.class);
    }
}
