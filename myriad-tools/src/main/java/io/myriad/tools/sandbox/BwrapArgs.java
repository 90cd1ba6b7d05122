package io.myriad.tools.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The bubblewrap command line of one sandbox: which parts of the host are visible, and how.
 *
 * <p>The sandbox's root is bubblewrap's own empty tmpfs, made read-only once everything is
 * mounted. On it: {@code /usr} and the top-level {@code /bin}, {@code /lib*} (recreated as links
 * where the host has merged them into /usr), a few pieces of {@code /etc} that programs need
 * (users, libraries, alternatives, certificates, time zone, Java's configuration), a fresh
 * {@code /dev} and {@code /proc}, a size-limited tmpfs on {@code /tmp}, and the workspace on
 * {@code /workspace}, the one writable place; its {@code .git}, when present, is mounted again
 * read-only on top. Nothing else of the host is there: not /home, /root, /work, /var, /run or
 * the rest of /etc (so not /etc/shadow).
 *
 * <p>With network, the sandbox shares the host's network namespace ({@code --share-net} after
 * {@code --unshare-all}) and also sees what name lookups and TLS need: {@code resolv.conf},
 * {@code hosts}, {@code nsswitch.conf}, {@code ssl} and {@code ca-certificates}, those that exist.
 */
final class BwrapArgs {
    /** Where the workspace appears inside the sandbox. */
    static final String WORKSPACE = "/workspace";

    private static final List<String> TOP_LEVEL = List.of("bin", "sbin", "lib", "lib32", "lib64",
            "libx32");
    private static final List<String> ETC = List.of("alternatives", "passwd", "group",
            "nsswitch.conf", "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
            "ssl", "ca-certificates", "ca-certificates.conf", "mime.types");
    /** What name lookups need besides {@link #ETC}, shown only with network. */
    private static final List<String> NETWORK_ETC = List.of("resolv.conf", "hosts",
            "nsswitch.conf", "ssl", "ca-certificates");

    private BwrapArgs() {}

    /**
     * The arguments from {@code bwrap} up to and including {@code --}; the command follows.
     *
     * @param host      the host's root ("/" except in tests)
     * @param workspace the workspace's real path
     * @param readOnly  more host paths to show read-only at the same place
     * @param network   whether the sandbox shares the host's network
     */
    static List<String> of(Path bwrap, Path host, Path workspace, List<Path> readOnly,
            long tmpBytes, boolean network) {
        List<String> a = new ArrayList<>(List.of(bwrap.toString(), "--unshare-all"));
        if (network) {
            a.add("--share-net");
        }
        a.addAll(List.of("--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--hostname", "sandbox",
                "--ro-bind", host.resolve("usr").toString(), "/usr"));
        for (String name : TOP_LEVEL) {
            Path p = host.resolve(name);
            if (Files.isSymbolicLink(p)) {
                try {
                    a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), "/" + name));
                } catch (IOException e) {
                    // unreadable link: leave it out
                }
            } else if (Files.isDirectory(p)) {
                a.addAll(List.of("--ro-bind", p.toString(), "/" + name));
            }
        }
        List<String> etc = new ArrayList<>(ETC);
        try (Stream<Path> entries = Files.list(host.resolve("etc"))) {
            entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("java"))
                    .sorted().forEach(etc::add);
        } catch (IOException e) {
            // no /etc to look in
        }
        if (network) {
            NETWORK_ETC.stream().filter(n -> !etc.contains(n)).forEach(etc::add);
        }
        for (String name : etc) {
            a.addAll(List.of("--ro-bind-try", host.resolve("etc").resolve(name).toString(),
                    "/etc/" + name));
        }
        a.addAll(List.of("--dev", "/dev", "--proc", "/proc",
                "--size", Long.toString(tmpBytes), "--tmpfs", "/tmp",
                "--bind", workspace.toString(), WORKSPACE));
        Path git = workspace.resolve(".git");
        if (Files.isDirectory(git, LinkOption.NOFOLLOW_LINKS)
                || Files.isRegularFile(git, LinkOption.NOFOLLOW_LINKS)) {
            a.addAll(List.of("--ro-bind", git.toString(), WORKSPACE + "/.git"));
        }
        // Last, so that a folder under /tmp (or anywhere the mounts above cover) is not hidden.
        for (Path p : readOnly) {
            a.addAll(List.of("--ro-bind-try", p.toString(), p.toString()));
        }
        a.addAll(List.of("--remount-ro", "/", "--chdir", WORKSPACE, "--clearenv",
                "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                "--setenv", "HOME", WORKSPACE, "--setenv", "LANG", "C.UTF-8",
                "--setenv", "TMPDIR", "/tmp", "--"));
        return a;
    }
}
