package io.myriad.core.auth;

import io.myriad.core.MyriadException;

/**
 * A principal tried an operation its roles do not grant in that tenant. The message names the
 * principal, the operation, the tenant and the roles that would grant it; it never says whether
 * the object it reached for exists in another tenant.
 */
public final class AccessDenied extends MyriadException {
    public AccessDenied(String message) {
        super(message, false);
    }
}
