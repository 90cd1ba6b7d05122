package io.myriad.tools.swe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleReposIT {
    @Test
    void fiftyDistinctSamplesAndTheSameIndexGivesTheSameCommit(@TempDir Path tmp)
            throws Exception {
        Set<String> shas = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            shas.add(SampleRepos.java(tmp.resolve("a"), i).baseSha());
            shas.add(SampleRepos.python(tmp.resolve("a"), i).baseSha());
        }
        assertThat(shas).hasSize(50);
        assertThat(SampleRepos.java(tmp.resolve("b"), 3).baseSha())
                .isEqualTo(SampleRepos.java(tmp.resolve("c"), 3).baseSha());
        var s = SampleRepos.python(tmp.resolve("b"), 9);
        assertThat(s.fix()).isNotEqualTo(s.wrongFix());
        assertThat(TestPaths.javaAndPython()).accepts(s.testFile())
                .rejects(s.fix().keySet().iterator().next());
    }

    @Test
    void verifyTakesOnlyAFullCommitIdAndClearsItsScratchFolder(@TempDir Path tmp) throws Exception {
        var s = SampleRepos.python(tmp, 0);
        try (var sandbox = io.myriad.tools.sandbox.Sandbox.builder().build()) {
            DeliveryVerifier v = DeliveryVerifier.builder(sandbox, tmp.resolve("s"),
                    tmp.resolve("d")).build();
            assertThatThrownBy(() -> v.verify(s.task("t"), "main", "x"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("full commit id");
            Path left = java.nio.file.Files.createDirectories(tmp.resolve("s/t-after-3/.git"));
            DeliveryVerifier.builder(sandbox, tmp.resolve("s"), tmp.resolve("d")).build();
            assertThat(left.getParent()).as("left by an earlier process").doesNotExist();
        }
    }
}
