package io.myriad.store;

import java.nio.file.Path;

/** Opens the store a {@code --store} value names: a {@code jdbc:postgresql:} URL, or else a SQLite file. */
public final class Stores {
    private Stores() {}

    /** True when {@code spec} names a PostgreSQL database. */
    public static boolean isPostgres(String spec) {
        return spec != null && spec.startsWith("jdbc:postgresql:");
    }

    /**
     * Opens a PostgreSQL store when {@code spec} is a {@code jdbc:postgresql:} URL; otherwise the
     * SQLite file {@code spec} names, or {@code sqliteFile} when {@code spec} is null or blank.
     */
    public static Store open(String spec, Path sqliteFile) {
        if (isPostgres(spec)) {
            return PostgresStore.open(spec);
        }
        if (spec != null && spec.startsWith("jdbc:")) {
            throw new IllegalArgumentException("unsupported store " + spec
                    + ": give a jdbc:postgresql: URL, or a SQLite file path");
        }
        return SqliteStore.open(spec == null || spec.isBlank() ? sqliteFile : Path.of(spec));
    }
}
