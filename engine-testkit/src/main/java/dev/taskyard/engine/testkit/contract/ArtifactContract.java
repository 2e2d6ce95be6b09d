package dev.taskyard.engine.testkit.contract;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Artifacts: file, missing file and folder, nested folder, handler interrupt, invalid path. */
public interface ArtifactContract
        extends ContractCase
{
    private ResultSet artifactRun()
            throws Exception
    {
        KitRun run = newRun(payloads().writeFiles());
        boolean success = within("a run of the write-files payload", run::run);
        check(success, ContractRule.SUCCESS_REPORTING, "the write-files payload failed; log: " + run.log());
        return run.waitForResult();
    }

    @Test
    default void extractTextFile()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            KitRun run = newRun(payloads().silent());
            ResultSet result = within("a silent run", () -> {
                run.run();
                return run.waitForResult();
            });
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "extractFile on an engine declared without artifacts", () -> result.extractFile("anything"));
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "extractFolder on an engine declared without artifacts",
                    () -> result.extractFolder("anything", (path, in) -> {}));
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        String content = within("extractFile", () -> {
            try (InputStream in = result.extractFile(layout.textFile())) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        });
        check(content.contains(layout.text()), ContractRule.ARTIFACTS,
                "extracted file lacks the text: \"" + content + "\"");
    }

    @Test
    default void extractMissingFile()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        expectError(ContractRule.RESOURCE_NOT_FOUND, ResourceNotFoundException.class, "extractFile of a missing file",
                () -> result.extractFile(layout.missingFile()).close());
    }

    @Test
    default void extractMissingFolder()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        AtomicBoolean called = new AtomicBoolean();
        expectError(ContractRule.RESOURCE_NOT_FOUND, ResourceNotFoundException.class,
                "extractFolder of a missing folder",
                () -> result.extractFolder(layout.missingFolder(), (path, in) -> called.set(true)));
        check(!called.get(), ContractRule.RESOURCE_NOT_FOUND, "the handler was called for a missing folder");
    }

    @Test
    default void extractNestedFolder()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Set<String> withoutText = ConcurrentHashMap.newKeySet();
        within("extractFolder", () -> {
            result.extractFolder(layout.nestedFolder(), (path, in) -> {
                check(seen.add(path), ContractRule.ARTIFACTS, "file reported twice: " + path);
                String content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (!content.contains(layout.text())) {
                    withoutText.add(path);
                }
            });
            return null;
        });
        for (String path : seen) {
            check(!path.endsWith("/") && !path.startsWith("/") && !path.contains("\\"),
                    ContractRule.FOLDER_WITHOUT_DIRECTORIES,
                    "reported path is not a relative, /-separated file path: \"" + path + "\"");
        }
        Set<String> directories = new java.util.TreeSet<>();
        for (String file : layout.nestedFiles()) {
            for (int i = file.indexOf('/'); i >= 0; i = file.indexOf('/', i + 1)) {
                directories.add(file.substring(0, i));
            }
        }
        for (String path : seen) {
            check(!directories.contains(path), ContractRule.FOLDER_WITHOUT_DIRECTORIES,
                    "a directory was reported: " + path);
        }
        check(seen.equals(layout.nestedFiles()), ContractRule.ARTIFACTS, "extractFolder reported "
                + new java.util.TreeSet<>(seen) + ", expected exactly "
                + new java.util.TreeSet<>(layout.nestedFiles()));
        check(withoutText.isEmpty(), ContractRule.ARTIFACTS, "files without the text: " + withoutText);
    }

    @Test
    default void extractFolderHandlerInterrupt()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        expectError(ContractRule.HANDLER_INTERRUPT, HandlerInterruptedException.class,
                "extractFolder with a failing handler",
                () -> result.extractFolder(layout.nestedFolder(), (path, in) -> {
                    throw new IllegalStateException("kit handler failure");
                }));
    }

    @Test
    default void extractInvalidPath()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return;
        }
        ArtifactLayout layout = payloads().artifactLayout();
        ResultSet result = artifactRun();
        expectError(ContractRule.MALFORMED_PAYLOAD, MalformedPayloadException.class, "extractFile(\""
                + layout.invalidPath() + "\")", () -> result.extractFile(layout.invalidPath()).close());
        expectError(ContractRule.MALFORMED_PAYLOAD, MalformedPayloadException.class, "extractFolder(\""
                + layout.invalidPath() + "\")", () -> result.extractFolder(layout.invalidPath(), (path, in) -> {}));
    }
}
