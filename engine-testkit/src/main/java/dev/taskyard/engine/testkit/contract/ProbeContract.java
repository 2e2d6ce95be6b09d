package dev.taskyard.engine.testkit.contract;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/**
 * Cases where the kit probes on its own instead of trusting the author's examples: a corpus of artifact paths that
 * try to leave the sandbox, exit codes beyond 0 and 1, configs the schema must refuse, the payload schema's shape.
 */
public interface ProbeContract
        extends ContractCase
{
    /** The paths every engine must refuse as malformed, whatever its path format. */
    static List<String> climbingPaths(ArtifactLayout layout)
    {
        return List.of("../kit-outside.txt", "a/../../kit-outside.txt", "../../../../../../../../etc/passwd",
                layout.textFile() + "\0.txt", "kit\0", layout.nestedFolder() + "/\0");
    }

    @Test
    default void artifactPathsCannotEscape()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return; // the negative is verified by extractTextFile
        }
        ArtifactLayout layout = payloads().artifactLayout();
        String secret = "kit-secret-" + UUID.randomUUID();
        Path secretFolder = Files.createDirectories(workFolder().resolve("kit-outside-" + UUID.randomUUID()));
        Path secretFile = Files.writeString(secretFolder.resolve("kit-secret.txt"), secret + "\n");
        List<ResultSet> results = new ArrayList<>();
        KitRun files = newRun(payloads().writeFiles());
        check(within("a run of the write-files payload", files::run), ContractRule.SUCCESS_REPORTING,
                "the write-files payload failed; log: " + files.log());
        results.add(files.waitForResult());
        Optional<String> links = payloads().symlinks(secretFile.toString(), secretFolder.toString());
        List<String> probes = new ArrayList<>(List.of("", "/", ".", secretFile.toString(), secretFolder.toString(),
                layout.nestedFolder() + "/" + "../".repeat(12) + secretFile.toString().substring(1),
                layout.textFile() + "/" + "x".repeat(5000), "/" + "x".repeat(300) + "/"
                        + "y".repeat(300), "x".repeat(5000)));
        if (links.isPresent()) {
            KitRun linked = newRun(links.get());
            check(within("a run of the symbolic-links payload", linked::run), ContractRule.SUCCESS_REPORTING,
                    "the symbolic-links payload failed; log: " + linked.log());
            results.add(linked.waitForResult());
            probes.add(layout.nestedFolder() + "/" + EngineContractTest.LINK_TO_FILE);
            probes.add(layout.nestedFolder() + "/" + EngineContractTest.LINK_TO_FOLDER + "/kit-secret.txt");
            probes.add(layout.nestedFolder() + "/" + EngineContractTest.LINK_TO_FOLDER);
            probes.add(layout.nestedFolder());
        }
        for (ResultSet result : results) {
            for (String path : climbingPaths(layout)) {
                Object file = extractFile(result, path);
                check(file instanceof MalformedPayloadException, ContractRule.ARTIFACT_PATH_ESCAPE, "extractFile(\""
                        + printable(path) + "\") gave " + describe(file) + "; expected malformed-payload");
                Object folder = extractFolder(result, path);
                check(folder instanceof MalformedPayloadException, ContractRule.ARTIFACT_PATH_ESCAPE,
                        "extractFolder(\"" + printable(path) + "\") gave " + describe(folder)
                        + "; expected malformed-payload");
            }
            for (String path : probes) {
                checkContained(extractFile(result, path), "extractFile", path, secret);
                checkContained(extractFolder(result, path), "extractFolder", path, secret);
            }
        }
    }

    private static void checkContained(Object outcome, String what, String path, String secret)
    {
        String call = what + "(\"" + printable(path) + "\")";
        if (outcome instanceof String content) {
            check(!content.contains(secret), ContractRule.ARTIFACT_PATH_ESCAPE, call
                    + " returned a file from outside the sandbox");
        }
        else {
            check(outcome instanceof MalformedPayloadException || outcome instanceof ResourceNotFoundException,
                    ContractRule.ARTIFACT_PATH_ESCAPE,
                    call + " gave " + describe(outcome)
                            + "; expected content from inside the sandbox, malformed-payload or resource-not-found");
        }
    }

    private Object extractFile(ResultSet result, String path)
            throws Exception
    {
        return within("extractFile", () -> {
            try (InputStream in = result.extractFile(path)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (Exception e) {
                return e;
            }
        });
    }

    private Object extractFolder(ResultSet result, String path)
            throws Exception
    {
        return within("extractFolder", () -> {
            StringBuilder all = new StringBuilder();
            try {
                result.extractFolder(path, (name, in) -> {
                    String content = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
                    synchronized (all) {
                        all.append(name).append('\n').append(content).append('\n');
                    }
                });
                return all.toString();
            }
            catch (Exception e) {
                return e;
            }
        });
    }

    private static String describe(Object outcome)
    {
        if (outcome instanceof String content) {
            return "content \"" + printable(content.length() > 80 ? content.substring(0, 80) + "…" : content) + "\"";
        }
        String text = String.valueOf(outcome);
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static String printable(String text)
    {
        String shown = text.length() > 120 ? text.substring(0, 60) + "…(" + text.length() + " chars)…"
                + text.substring(text.length() - 20) : text;
        return shown.replace("\0", "\\0");
    }

    @Test
    default void exitCodesAreReportedExactly()
            throws Exception
    {
        for (int code : payloads().exitCodes()) {
            KitRun run = newRun(payloads().exit(code));
            run.start();
            ResultSet result = within("waitForResult of a task exiting " + code, run::waitForResult);
            check(result.termination().exitCode().isPresent()
                    && result.termination().exitCode().getAsInt() == code, ContractRule.EXIT_CODE,
                    "a task that exited " + code + " reports " + result.termination());
            check(result.success() == (code == 0) && !result.termination().killed(), ContractRule.SUCCESS_REPORTING,
                    "a task that exited " + code + " reports success=" + result.success() + ", "
                            + result.termination());
            run.dispose();
        }
    }

    @Test
    default void configSchemaRefusesInvalidConfigs()
            throws Exception
    {
        ObjectMapper mapper = new ObjectMapper();
        EngineRegistry registry = EngineRegistry.load(Thread.currentThread().getContextClassLoader());
        String name = payloads().engineName();
        EngineContractTest.InvalidConfig invalid = payloads().invalidConfig();
        List<Violation> authored = registry.validateConfig(name, mapper.readTree(invalid.config()));
        check(!authored.isEmpty(), ContractRule.CONFIG_SCHEMA, "the invalid config "
                + invalid.config() + " was accepted");
        check(authored.stream().anyMatch(v -> v.path().equals(invalid.path())), ContractRule.CONFIG_SCHEMA,
                "the invalid config " + invalid.config() + " was refused with " + authored
                        + ", none at " + invalid.path());
        ObjectNode unknownKey = (ObjectNode) mapper.readTree(payloads().configWithMaxConcurrency(1));
        unknownKey.put("kitUnknownKey", true);
        List<Violation> unknown = registry.validateConfig(name, unknownKey);
        check(unknown.stream().anyMatch(v -> v.path().startsWith("$") && v.toString().contains("kitUnknownKey")),
                ContractRule.CONFIG_SCHEMA, "a config with the unknown key kitUnknownKey gave " + unknown);
        ObjectNode negative = (ObjectNode) mapper.readTree(payloads().configWithMaxConcurrency(1));
        negative.put("maxConcurrency", -1);
        List<Violation> negatives = registry.validateConfig(name, negative);
        check(negatives.stream().anyMatch(v -> v.path().equals("$.maxConcurrency")), ContractRule.CONFIG_SCHEMA,
                "maxConcurrency -1 gave " + negatives + ", none at $.maxConcurrency");
        for (String notAnObject : List.of("[]", "\"config\"", "42", "null")) {
            JsonNode node = mapper.readTree(notAnObject);
            check(!registry.validateConfig(name, node).isEmpty(), ContractRule.CONFIG_SCHEMA, "the config "
                    + notAnObject + " was accepted");
        }
        check(registry.validateConfig(name, mapper.readTree(payloads().configWithMaxConcurrency(1))).isEmpty(),
                ContractRule.CONFIG_SCHEMA, "the kit's own config with maxConcurrency 1 was refused");
    }

    @Test
    default void payloadSchemaDescribesAnObject()
    {
        JsonNode document = engine().payloadSchema().document();
        check("object".equals(document.path("type").asText()), ContractRule.PAYLOAD_SCHEMA,
                "the payload schema's type is " + document.path("type") + ": " + document);
        check(!engine().payloadSchema().validate(new ObjectMapper().createArrayNode()).isEmpty(),
                ContractRule.PAYLOAD_SCHEMA, "the payload schema accepts an array");
    }
}
