package io.myriad.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The core is the engine and its ports; adapters depend on it, never the other way round. */
class ArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.myriad.core");

    @Test
    void coreDependsOnNoAdapterFrameworkOrJdbc() {
        noClasses().that().resideInAPackage("io.myriad.core..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.myriad.store..", "io.myriad.models..", "io.myriad.tools..", "io.myriad.cli..",
                        "io.myriad.server..", "java.sql..", "javax.sql..", "java.net.http..", "picocli..",
                        "io.javalin..", "org.eclipse.jetty..", "com.fasterxml.jackson.dataformat..")
                .check(CORE);
    }

    @Test
    void coreNeverWritesToTheConsole() {
        noClasses().that().resideInAPackage("io.myriad.core..")
                .should().accessField(System.class, "out")
                .orShould().accessField(System.class, "err")
                .check(CORE);
    }
}
