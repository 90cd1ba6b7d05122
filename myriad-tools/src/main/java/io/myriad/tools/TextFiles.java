package io.myriad.tools;

import io.myriad.core.tool.ToolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/** Reads whole UTF-8 text files of the workspace for the tools that change them. */
final class TextFiles {
    /** The largest file fs.edit and fs.patch change. */
    static final long MAX_BYTES = 8L * 1024 * 1024;

    private TextFiles() {}

    /** The file's bytes, or empty when it does not exist. */
    static Optional<byte[]> bytes(Workspace.Resolved file) {
        if (Files.isDirectory(file.path())) {
            throw new ToolException("'" + file.requested() + "' is a folder, not a file");
        }
        if (Files.exists(file.path()) && !Files.isRegularFile(file.path())) {
            throw new ToolException("'" + file.requested() + "' is not a regular file");
        }
        try {
            if (Files.size(file.path()) > MAX_BYTES) {
                throw new ToolException("'" + file.requested() + "' is larger than "
                        + MAX_BYTES + " bytes; it cannot be changed with this tool");
            }
            return Optional.of(Files.readAllBytes(file.path()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ToolException("cannot read '" + file.requested() + "': " + e.getMessage(),
                    e);
        }
    }

    /** Decodes a text file's bytes, refusing binary and non-UTF-8 content. */
    static String text(Workspace.Resolved file, byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                throw new ToolException("'" + file.requested() + "' looks binary (it contains "
                        + "NUL bytes); only UTF-8 text files can be changed");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ToolException("'" + file.requested() + "' is not UTF-8 text; only UTF-8 "
                    + "text files can be changed");
        }
    }

    /** The 1-based line number of the character at {@code index}. */
    static int lineOf(String text, int index) {
        int line = 1;
        for (int i = 0; i < index; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
