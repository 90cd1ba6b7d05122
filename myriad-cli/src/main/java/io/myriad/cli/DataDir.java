package io.myriad.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --data} option shared by the commands that touch the journal. The default is
 * {@code $MYRIAD_DATA} when set, else {@code .myriad} in the current folder.
 */
final class DataDir {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder of the journal (myriad.db) and run workspaces. Default: $MYRIAD_DATA, else ./.myriad")
    Path dir;

    Path resolve() {
        if (dir != null) {
            return dir;
        }
        String env = System.getenv("MYRIAD_DATA");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(".myriad");
    }

    Path database() {
        return resolve().resolve("myriad.db");
    }

    Path workspaces() {
        return resolve().resolve("workspaces");
    }
}
