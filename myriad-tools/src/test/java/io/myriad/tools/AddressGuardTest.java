package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.tool.ToolException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The SSRF guard's classification of IP literals (no DNS involved). */
class AddressGuardTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(textBlock = """
            127.0.0.1,          loopback
            127.255.0.9,        loopback
            ::1,                loopback
            0.0.0.0,            unspecified
            ::,                 unspecified
            10.0.0.1,           private
            172.16.0.1,         private
            172.31.255.255,     private
            192.168.1.1,        private
            fc00::1,            private
            fd12:3456::1,       private
            100.64.0.1,         private (carrier-grade NAT)
            169.254.169.254,    link-local
            fe80::1,            link-local
            224.0.0.1,          multicast
            ff02::1,            multicast
            255.255.255.255,    reserved or broadcast
            ::ffff:10.0.0.1,    private
            ::ffff:127.0.0.1,   loopback
            ::127.0.0.1,        loopback
            64:ff9b::a9fe:a9fe, link-local
            2002:c0a8:0101::1,  private
            """)
    void refusesInternalAddresses(String literal, String why) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).contains(why);
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            8.8.8.8
            93.184.216.34
            172.32.0.1
            100.128.0.1
            2606:4700::1111
            2002:0808:0808::1
            """)
    void letsPublicAddressesThrough(String literal) throws UnknownHostException {
        assertThat(AddressGuard.refusal(InetAddress.getByName(literal))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            127.0.0.1
            169.254.169.254
            ::1
            """)
    void checkRefusesUnlessPrivateIsAllowed(String literal) {
        assertThatThrownBy(() -> AddressGuard.of(false).check(literal, "prefix: "))
                .isInstanceOf(ToolException.class)
                .hasMessageStartingWith("prefix: host '" + literal + "' resolves to")
                .hasMessageContaining("http.allow_private");
        assertThat(AddressGuard.of(true).check(literal, "")).hasSize(1);
    }

    @org.junit.jupiter.api.Test
    void anUnresolvableNameIsExplained() {
        assertThatThrownBy(() -> AddressGuard.of(false).check("no-such-host.invalid", ""))
                .isInstanceOf(ToolException.class).hasMessageContaining("could not be resolved");
    }
}
