package io.myriad.core.secret;

import io.myriad.core.MyriadException;

/**
 * A secret that cannot be resolved or used: not found, or its store refused. The message names
 * the secret and where it was looked for, never a value. Not retriable: the configuration must
 * change first.
 */
public final class SecretException extends MyriadException {
    public SecretException(String message) {
        super(message, false);
    }
}
