package org.opentela.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code src/main} form a DAG (see DESIGN.md's package table): the root package holds
 * leaf types only, {@code config} is reading machinery that knows no feature, and nothing imports
 * {@code node}, which wires the features together.
 */
class PackageGraphTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("org.opentela");
  }

  @Test
  void featurePackagesHaveNoCycles() {
    slices().matching("org.opentela.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  void theRootPackageHoldsLeafTypesOnly() {
    noClasses().that().resideInAPackage("org.opentela")
        .should().dependOnClassesThat(resideInAPackage("org.opentela..").and(not(resideInAPackage("org.opentela"))))
        .check(main);
  }

  @Test
  void configKnowsNoFeature() {
    noClasses().that().resideInAPackage("org.opentela.config..")
        .should().dependOnClassesThat(resideInAPackage("org.opentela..")
            .and(not(resideInAPackage("org.opentela.config.."))).and(not(resideInAPackage("org.opentela"))))
        .check(main);
  }

  @Test
  void nothingImportsTheWiring() {
    noClasses().that().resideOutsideOfPackage("org.opentela.node..")
        .should().dependOnClassesThat().resideInAPackage("org.opentela.node..")
        .check(main);
  }
}
