package dev.taskyard.arch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules of the module descriptors, as functions from a descriptor to its violations, so that their self-test
 * can aim them at deliberately wrong descriptors.
 */
final class ModuleRules
{
    /** Every module of taskyard with main code (arch-test has tests only). */
    static final Set<String> MODULES = Set.of(
            "dev.taskyard.engine", "dev.taskyard.engine.mock", "dev.taskyard.engine.testkit",
            "dev.taskyard.engine.process", "dev.taskyard.engine.docker", "dev.taskyard.engine.remote",
            "dev.taskyard.plugin", "dev.taskyard.worker",
            "dev.taskyard.store", "dev.taskyard.store.testkit", "dev.taskyard.store.postgres",
            "dev.taskyard.client", "dev.taskyard.server", "dev.taskyard.bench");

    /** The test libraries: the only modules that may read JUnit. */
    static final Set<String> TEST_LIBRARIES = Set.of("dev.taskyard.engine.testkit", "dev.taskyard.store.testkit");

    private static final Set<String> TEST_FRAMEWORKS =
            Set.of("org.junit.jupiter.api", "org.assertj.core", "quicktheories");

    private ModuleRules() {}

    /**
     * The violations of one descriptor: a package outside the module's name, an internal package exported to everyone
     * or to a module that is not taskyard's, a package opened to everyone (or an open module), a production module
     * that reads a test library or a test framework.
     */
    static List<String> violations(ModuleDescriptor module)
    {
        String name = module.name();
        List<String> violations = new ArrayList<>();
        for (String pkg : module.packages()) {
            if (!pkg.equals(name) && !pkg.startsWith(name + ".")) {
                violations.add(name + ": package " + pkg + " lies outside the module's package root");
            }
        }
        for (ModuleDescriptor.Exports export : module.exports()) {
            if (isInternal(export.source())) {
                if (!export.isQualified()) {
                    violations.add(name + ": exports its internal package " + export.source() + " to everyone");
                }
                else if (!MODULES.containsAll(export.targets())) {
                    violations.add(name + ": exports its internal package " + export.source()
                            + " to " + export.targets()
                            + ", which are not all taskyard modules");
                }
            }
        }
        if (module.isOpen()) {
            violations.add(name + ": is an open module; open only the packages reflection needs, to the modules that "
                    + "reflect");
        }
        for (ModuleDescriptor.Opens opens : module.opens()) {
            if (!opens.isQualified()) {
                violations.add(name + ": opens " + opens.source() + " to everyone");
            }
        }
        if (!TEST_LIBRARIES.contains(name)) {
            for (ModuleDescriptor.Requires requires : module.requires()) {
                if (TEST_LIBRARIES.contains(requires.name()) || TEST_FRAMEWORKS.contains(requires.name())) {
                    violations.add(name + ": production code requires the test library " + requires.name());
                }
            }
        }
        return violations;
    }

    /** The taskyard module descriptors on the class path, by module name. */
    static Map<String, ModuleDescriptor> onClassPath()
    {
        Map<String, ModuleDescriptor> found = new TreeMap<>();
        try {
            for (URL url : Collections.list(ModuleRules.class.getClassLoader().getResources("module-info.class"))) {
                try (InputStream in = url.openStream()) {
                    ModuleDescriptor descriptor = ModuleDescriptor.read(in);
                    if (descriptor.name().startsWith("dev.taskyard.")) {
                        found.put(descriptor.name(), descriptor);
                    }
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the module descriptors on the class path", e);
        }
        return found;
    }

    private static boolean isInternal(String pkg)
    {
        return pkg.endsWith(".internal") || pkg.contains(".internal.");
    }
}
