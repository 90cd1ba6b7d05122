package io.myriad.tools;

import io.myriad.core.tool.ToolException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The SSRF guard of the HTTP tools: refuses hosts that resolve to addresses an agent should not
 * reach from the machine it runs on, unless the fleet allows private addresses.
 *
 * <p>Refused: loopback (127/8, ::1), unspecified (0/8, ::), private (10/8, 172.16/12,
 * 192.168/16, fc00::/7, and the deprecated fec0::/10), shared carrier-grade NAT (100.64/10),
 * link-local (169.254/16, which holds the cloud metadata address 169.254.169.254, and
 * fe80::/10), multicast, broadcast and the reserved 240/4. IPv4 addresses embedded in IPv6
 * (mapped {@code ::ffff:a.b.c.d}, compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96},
 * 6to4 {@code 2002::/16}) are judged as the IPv4 address they carry. A name is refused when any
 * of its addresses is, so a name cannot smuggle one bad address among good ones.
 *
 * <p>The guard checks the addresses the JDK resolver returns; the HTTP client then resolves
 * the name again when it connects. Between the two lookups a hostile DNS server could change
 * the answer (DNS rebinding). The JDK caches successful lookups (30 seconds by default,
 * {@code networkaddress.cache.ttl}), so the second lookup normally returns the checked answer
 * from the cache; a deployment that sets that TTL to 0 loses this protection.
 */
final class AddressGuard {
    private final boolean allowPrivate;
    private final Predicate<InetAddress> exempt;

    private AddressGuard(boolean allowPrivate, Predicate<InetAddress> exempt) {
        this.allowPrivate = allowPrivate;
        this.exempt = exempt;
    }

    /** A guard that refuses internal addresses, or, with {@code allowPrivate}, none. */
    static AddressGuard of(boolean allowPrivate) {
        return new AddressGuard(allowPrivate, address -> false);
    }

    /** A refusing guard that lets {@code exempt} addresses through (tests on loopback). */
    static AddressGuard exempting(Predicate<InetAddress> exempt) {
        return new AddressGuard(false, exempt);
    }

    boolean allowsPrivate() {
        return allowPrivate;
    }

    /**
     * Resolves {@code host} and checks every address.
     *
     * @throws ToolException when the name does not resolve or an address is refused
     */
    List<InetAddress> check(String host, String prefix) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new ToolException(prefix + "host '" + host + "' could not be resolved");
        }
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                if (exempt.test(address)) {
                    continue;
                }
                Optional<String> why = refusal(address);
                if (why.isPresent()) {
                    throw new ToolException(prefix + "host '" + host + "' resolves to "
                            + address.getHostAddress() + ", a " + why.get() + " address, which "
                            + "the HTTP tools do not reach; if this fleet must reach internal "
                            + "services, set `http.allow_private: true` in the fleet file");
                }
            }
        }
        return Arrays.asList(addresses);
    }

    /** Why an address is refused ("loopback", "private", ...), or empty when it is public. */
    static Optional<String> refusal(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            Optional<Inet4Address> embedded = embeddedV4(b);
            if (embedded.isPresent()) {
                return refusal(embedded.get());
            }
            if (v6.isLoopbackAddress()) {
                return Optional.of("loopback");
            }
            if (v6.isAnyLocalAddress()) {
                return Optional.of("unspecified");
            }
            if (v6.isLinkLocalAddress()) {
                return Optional.of("link-local");
            }
            if (v6.isMulticastAddress()) {
                return Optional.of("multicast");
            }
            if ((b[0] & 0xfe) == 0xfc || v6.isSiteLocalAddress()) {
                return Optional.of("private");
            }
            return Optional.empty();
        }
        byte[] b = address.getAddress();
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (address.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (first == 0) {
            return Optional.of("unspecified");
        }
        if (address.isSiteLocalAddress()) {
            return Optional.of("private");
        }
        if (first == 100 && (second & 0xc0) == 64) {
            return Optional.of("private (carrier-grade NAT)");
        }
        if (address.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (address.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        if (first >= 240) {
            return Optional.of("reserved or broadcast");
        }
        return Optional.empty();
    }

    /** The IPv4 address carried by a mapped, compatible, NAT64 or 6to4 IPv6 address. */
    private static Optional<Inet4Address> embeddedV4(byte[] b) {
        boolean zeros80 = true;
        for (int i = 0; i < 10; i++) {
            zeros80 &= b[i] == 0;
        }
        int at = -1;
        if (zeros80 && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff)
                || (b[10] == 0 && b[11] == 0 && !allZero(b, 12, 16) && !isV6Loopback(b)))) {
            at = 12; // ::ffff:a.b.c.d or ::a.b.c.d
        } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b
                && allZero(b, 4, 12)) {
            at = 12; // 64:ff9b::a.b.c.d
        } else if (b[0] == 0x20 && b[1] == 0x02) {
            at = 2; // 2002:aabb:ccdd::/48
        }
        if (at < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of((Inet4Address) InetAddress.getByAddress(
                    Arrays.copyOfRange(b, at, at + 4)));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isV6Loopback(byte[] b) {
        return allZero(b, 0, 15) && b[15] == 1;
    }
}
