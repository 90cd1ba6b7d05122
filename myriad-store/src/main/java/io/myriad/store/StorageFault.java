package io.myriad.store;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * A failure of the journal's environment rather than of an append: the same transaction can
 * succeed once the fault clears, so the writer retries it instead of failing its appends.
 * Everything else SQLite reports (a constraint, a corrupt file, a bug) is not one of these.
 */
enum StorageFault {
    FULL("disk full", "writing", "free space on that disk (or raise its quota)"),
    LOCKED("database is locked by another process", "at",
            "end the other process's write transaction (another myriad, a sqlite3 shell, a backup tool)"),
    IO_ERROR("I/O error", "writing", "check the disk and its mount"),
    READ_ONLY("the database or its file system is read-only", "at", "make the file, its folder and the file system writable"),
    CANNOT_OPEN("cannot open the database", "at", "check that the file and its folder still exist and are accessible"),
    OUT_OF_MEMORY("out of memory", "writing", "free memory on this machine");

    /** Causes looked through at most: a chain is short, and this stops a cycle. */
    private static final int MAX_DEPTH = 16;

    private final String what;
    private final String preposition;
    private final String remedy;

    StorageFault(String what, String preposition, String remedy) {
        this.what = what;
        this.preposition = preposition;
        this.remedy = remedy;
    }

    /** The fault behind {@code e}, looked for along its causes; empty when the append itself is at fault. */
    static Optional<StorageFault> of(SQLException e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = next(t)) {
            if (t instanceof SQLiteException se) {
                return ofPrimaryCode(se.getResultCode().code & 0xff);
            }
            if (t instanceof SQLException sql && sql.getErrorCode() != 0) {
                return ofPrimaryCode(sql.getErrorCode() & 0xff);
            }
        }
        return Optional.empty();
    }

    /** SQLite's name for the failure, extended code included (SQLITE_IOERR_WRITE), for messages. */
    static String codeName(SQLException e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = next(t)) {
            if (t instanceof SQLiteException se && se.getResultCode() != SQLiteErrorCode.UNKNOWN_ERROR) {
                return se.getResultCode().name();
            }
        }
        return "SQLite error " + e.getErrorCode();
    }

    /**
     * What the operator reads while the writer is stalled: the fault and the file, what happens
     * meanwhile, and what clears it.
     */
    String problem(String codeName, Path file, String retryEvery) {
        return "journal stalled: " + what + " (" + codeName + ") " + preposition + " " + file.toAbsolutePath()
                + "; new work is paused and nothing acknowledged is lost; retrying every " + retryEvery
                + "; to resume, " + remedy;
    }

    private static Optional<StorageFault> ofPrimaryCode(int code) {
        return Optional.ofNullable(switch (code) {
            case 5, 6, 15 -> LOCKED; // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_PROTOCOL (a WAL lock race)
            case 7 -> OUT_OF_MEMORY; // SQLITE_NOMEM
            case 8 -> READ_ONLY; // SQLITE_READONLY
            case 10 -> IO_ERROR; // SQLITE_IOERR
            case 13 -> FULL; // SQLITE_FULL
            case 14 -> CANNOT_OPEN; // SQLITE_CANTOPEN
            default -> null;
        });
    }

    private static Throwable next(Throwable t) {
        if (t.getCause() == null && t instanceof SQLException sql) {
            return sql.getNextException();
        }
        return t.getCause();
    }
}
