package io.myriad.cli;

import io.myriad.store.Store;
import io.myriad.store.Stores;
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

    @Option(names = "--store", paramLabel = "URL",
            description = "The database: a jdbc:postgresql: URL (a cluster shares one), or a SQLite file."
                    + " Default: $MYRIAD_STORE, else myriad.db in the data folder")
    String store;

    /** The {@code --store} value, else {@code $MYRIAD_STORE}; null for the data folder's SQLite file. */
    String storeSpec() {
        if (store != null && !store.isBlank()) {
            return store;
        }
        String env = System.getenv("MYRIAD_STORE");
        return env != null && !env.isBlank() ? env : null;
    }

    /** True when the store is a PostgreSQL database (which may be shared by a cluster of nodes). */
    boolean postgres() {
        return Stores.isPostgres(storeSpec());
    }

    /** Opens the store (creating a SQLite file if needed). */
    Store openStore() {
        return Stores.open(storeSpec(), database());
    }

    /** True when the store exists: always for PostgreSQL (it is created on first open), else the file. */
    boolean storeExists() {
        String spec = storeSpec();
        if (Stores.isPostgres(spec)) {
            return true;
        }
        return java.nio.file.Files.exists(spec == null ? database() : Path.of(spec));
    }

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
